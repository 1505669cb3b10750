import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analysis } from '../src/analysis/index.js';
import type { DeploymentModel } from '../src/model/index.js';
import { deploymentFacts, emptyInfraModel, recordDeployment, type ContainerDefinition, type InfraValue, type TaskDefinition } from '../src/model/infra.js';
import type { Service } from '../src/model/source.js';
import type { Loc } from '../src/model/location.js';
import type { Rule } from '../src/rules/rule.js';
import { ecsRules } from '../src/rules/ecs/index.js';
import { awsRules } from '../src/rules/aws/index.js';

/**
 * The ecs/* and aws/* rules on hand-built models: every value the repository does not fix
 * (a variable, an import, a function call) must keep a rule silent rather than claim that
 * something is missing.
 */

const at = (file: string, line: number): Loc => ({ file, line });
const lit = <T>(value: T, line: number, file = 'infra/main.tf'): InfraValue<T> => ({ value, loc: at(file, line) });
const expr = (text: string, line: number, file = 'infra/main.tf'): InfraValue<never> => ({ value: { unresolved: text }, loc: at(file, line) });

function service(overrides: Partial<Service> = {}): Service {
  return {
    name: 'shop-api',
    dir: 'server',
    kind: 'http',
    entries: [{ file: 'server/src/index.ts', via: 'package.json main' }],
    dockerfiles: [],
    env: [
      { name: 'S3_BUCKET_NAME', loc: at('server/src/storage.ts', 4), required: true, via: 'process.env.S3_BUCKET_NAME' },
      { name: 'JWT_SECRET', loc: at('server/src/config.ts', 1), required: true, enforced: true, via: 'list of required variables' },
    ],
    servers: [{ framework: 'express', port: { value: 3000, env: 'PORT', text: 'port', loc: at('server/src/index.ts', 20) }, loc: at('server/src/index.ts', 20) }],
    routes: [{ method: 'GET', path: '/api/health', framework: 'express', loc: at('server/src/index.ts', 10) }],
    signalHandlers: [],
    shutdownTimeouts: [{ value: 30000, text: '30_000', loc: at('server/src/index.ts', 24) }],
    connections: [],
    ...overrides,
  } as Service;
}

function container(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: lit('api', 12),
    image: lit('123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2', 13),
    imageRef: { text: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2', repository: 'shop-api', tag: '1.4.2', tagUnresolved: false },
    portMappings: [{ containerPort: lit(3000, 14), loc: at('infra/main.tf', 14) }],
    portMappingsComplete: true,
    environment: [{ name: 'NODE_ENV', value: lit('production', 16), loc: at('infra/main.tf', 16) }],
    environmentComplete: true,
    environmentLoc: at('infra/main.tf', 15),
    secrets: [],
    secretsComplete: true,
    environmentFiles: [],
    logConfiguration: { logDriver: lit('awslogs', 20), options: new Map(), loc: at('infra/main.tf', 19) },
    dependsOn: [],
    mountPoints: [],
    unknownKeys: [],
    loc: at('infra/main.tf', 12),
    ...overrides,
  };
}

function modelWith(svc: Service, c: ContainerDefinition, task: Partial<TaskDefinition> = {}): DeploymentModel {
  const infra = emptyInfraModel();
  const taskDefinition: TaskDefinition = {
    format: 'terraform',
    file: 'infra/main.tf',
    resourceName: 'aws_ecs_task_definition.api',
    loc: at('infra/main.tf', 1),
    cpu: lit(512, 3),
    memory: lit(1024, 4),
    fargate: true,
    volumes: [],
    containers: [c],
    readOnlyFields: [],
    ...task,
  };
  infra.taskDefinitions.push(taskDefinition);
  c.link = { service: svc, via: 'image-repository', evidence: "image repository name 'shop-api'" };
  recordDeployment(svc, taskDefinition, c);
  return { services: [svc], infra, workflows: [], dockerfiles: [] } as unknown as DeploymentModel;
}

function run(rule: Rule, model: DeploymentModel): { key: string; line?: number; file?: string; message: string }[] {
  const out: { key: string; line?: number; file?: string; message: string }[] = [];
  rule.check(model, (key, loc, data) => {
    const spec = (rule.messages as Record<string, { message: string }>)[key];
    out.push({ key, file: loc?.file, line: loc?.line, message: spec.message.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n: string) => String(data?.[n] ?? '')) });
  }, new Analysis(model));
  return out;
}

const rule = (id: string): Rule => [...ecsRules, ...awsRules].find((r) => r.id === id)!;

test('ecs/env-missing: a required variable absent from a complete environment is reported at the environment line', () => {
  const findings = run(rule('ecs/env-missing'), modelWith(service(), container()));
  // A validated variable stops the service (critical); a plain read without a default fails later (high).
  assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.key}`).sort(), ['infra/main.tf:15 missing', 'infra/main.tf:15 unset']);
  const s3 = findings.find((f) => f.message.includes('S3_BUCKET_NAME'))!;
  assert.match(s3.message, /S3_BUCKET_NAME is read by the code with no default \(process\.env\.S3_BUCKET_NAME at server\/src\/storage\.ts:4\)/);
  assert.match(findings.find((f) => f.message.includes('JWT_SECRET'))!.message, /JWT_SECRET is required by the code \(list of required variables at server\/src\/config\.ts:1\)/);
  assert.match(s3.message, /linked to service 'shop-api' by image repository name 'shop-api'/);
});

test('ecs/env-missing: unresolved environment, env files or secrets lists never claim a variable is missing', () => {
  for (const overrides of [
    { environmentComplete: false },
    { secretsComplete: false },
    { environmentFiles: [lit('arn:aws:s3:::config/api.env', 18)] },
  ] satisfies Partial<ContainerDefinition>[]) {
    assert.deepEqual(run(rule('ecs/env-missing'), modelWith(service(), container(overrides))), [], JSON.stringify(overrides));
  }
  // Variables set by Fargate itself are never required from the task definition.
  const svc = service({ env: [{ name: 'AWS_REGION', loc: at('server/src/s3.ts', 1), required: true, via: 'process.env.AWS_REGION' }] });
  assert.deepEqual(run(rule('ecs/env-missing'), modelWith(svc, container())), []);
});

test('ecs/stop-timeout: the default 30 s fires against a 30 s drain; an unresolved stopTimeout or deadline stays silent', () => {
  assert.equal(run(rule('ecs/stop-timeout'), modelWith(service(), container())).length, 1);
  assert.deepEqual(run(rule('ecs/stop-timeout'), modelWith(service(), container({ stopTimeoutSeconds: expr('var.stop_timeout', 17) }))), []);
  assert.deepEqual(run(rule('ecs/stop-timeout'), modelWith(service(), container({ stopTimeoutSeconds: lit(45, 17) }))), []);
  const fromEnv = service({ shutdownTimeouts: [{ env: 'SHUTDOWN_TIMEOUT_MS', value: 10000, text: 'SHUTDOWN_TIMEOUT_MS', loc: at('server/src/index.ts', 24) }] });
  const setByTask = container({ environment: [{ name: 'SHUTDOWN_TIMEOUT_MS', value: expr('var.shutdown_ms', 16), loc: at('infra/main.tf', 16) }] });
  assert.deepEqual(run(rule('ecs/stop-timeout'), modelWith(fromEnv, setByTask)), [], 'deadline set from a variable: unknown');
  const setLiteral = container({ environment: [{ name: 'SHUTDOWN_TIMEOUT_MS', value: lit('28000', 16), loc: at('infra/main.tf', 16) }] });
  assert.equal(run(rule('ecs/stop-timeout'), modelWith(fromEnv, setLiteral)).length, 1, 'deadline set literally by the task: 28 s against 30 s');
});

test('ecs/port-mismatch: PORT set by the task decides; PORT from an expression is unknown', () => {
  const wrong = container({ portMappings: [{ containerPort: lit(8080, 14), loc: at('infra/main.tf', 14) }] });
  assert.equal(run(rule('ecs/port-mismatch'), modelWith(service(), wrong)).length, 1);
  const portFromVar = container({
    portMappings: [{ containerPort: lit(8080, 14), loc: at('infra/main.tf', 14) }],
    environment: [{ name: 'PORT', value: expr('var.port', 16), loc: at('infra/main.tf', 16) }],
  });
  assert.deepEqual(run(rule('ecs/port-mismatch'), modelWith(service(), portFromVar)), []);
  const portSet = container({
    portMappings: [{ containerPort: lit(8080, 14), loc: at('infra/main.tf', 14) }],
    environment: [{ name: 'PORT', value: lit('8080', 16), loc: at('infra/main.tf', 16) }],
  });
  assert.deepEqual(run(rule('ecs/port-mismatch'), modelWith(service(), portSet)), []);
  const unresolvedMapping = container({ portMappings: [{ containerPort: expr('var.port', 14), loc: at('infra/main.tf', 14) }] });
  assert.deepEqual(run(rule('ecs/port-mismatch'), modelWith(service(), unresolvedMapping)), []);
});

test('ecs/healthcheck: unresolved health check commands and unreadable routes are not judged', () => {
  const hc = (command: InfraValue<string[]>) => container({ healthCheck: { command, loc: at('infra/main.tf', 30) } });
  assert.equal(run(rule('ecs/healthcheck'), modelWith(service(), hc(lit(['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1'], 31)))).length, 1);
  assert.deepEqual(run(rule('ecs/healthcheck'), modelWith(service(), hc(expr('local.health_command', 31)))), []);
  assert.deepEqual(run(rule('ecs/healthcheck'), modelWith(service(), hc(lit(['CMD-SHELL', 'curl -f http://localhost:3000/api/health || exit 1'], 31)))), []);
  assert.deepEqual(run(rule('ecs/healthcheck'), modelWith(service({ routes: [] }), hc(lit(['CMD-SHELL', 'curl -f http://localhost:3000/health'], 31)))), [], 'no routes known');
  const wrongPort = run(rule('ecs/healthcheck'), modelWith(service(), hc(lit(['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/api/health'], 31))));
  assert.deepEqual(wrongPort.map((f) => f.key), ['portNotServed']);
  const worker = run(rule('ecs/healthcheck'), modelWith(service({ kind: 'worker', servers: [], routes: [] }), hc(lit(['CMD-SHELL', 'curl -f http://localhost:3000/health'], 31))));
  assert.deepEqual(worker.map((f) => f.key), ['workerHttpCheck']);
});

test('ecs/fargate-size and ecs/mutable-image: variables are unknown, literals are judged', () => {
  assert.deepEqual(run(rule('ecs/fargate-size'), modelWith(service(), container(), { cpu: expr('var.cpu', 3), memory: lit(4096, 4) })), []);
  assert.equal(run(rule('ecs/fargate-size'), modelWith(service(), container(), { cpu: lit(256, 3), memory: lit(4096, 4) })).length, 1);
  const latest = container({ image: lit('shop-api:latest', 13), imageRef: { text: 'shop-api:latest', repository: 'shop-api', tag: 'latest', tagUnresolved: false } });
  assert.equal(run(rule('ecs/mutable-image'), modelWith(service(), latest)).length, 1);
  const tagVar = container({ image: expr('${aws_ecr_repository.api.repository_url}:${var.tag}', 13), imageRef: { text: '${aws_ecr_repository.api.repository_url}:${var.tag}', tagUnresolved: true } });
  assert.deepEqual(run(rule('ecs/mutable-image'), modelWith(service(), tagVar)), []);
});

test('the services section says unknown for what the repository does not fix', () => {
  const svc = service();
  modelWith(svc, container({ environmentComplete: false, stopTimeoutSeconds: expr('var.stop_timeout', 17) }), { cpu: expr('var.cpu', 3) });
  const facts = deploymentFacts(svc) as Record<string, unknown>[];
  assert.equal(facts.length, 1);
  assert.equal(facts[0].environment, 'unknown');
  assert.equal(facts[0].stopTimeoutSeconds, 'unknown (var.stop_timeout)');
  assert.equal(facts[0].cpu, 'unknown (var.cpu)');
  assert.equal(facts[0].memoryMiB, 1024);
  assert.match(String(facts[0].linkedBy), /image-repository/);
  assert.equal(deploymentFacts(service()), 'unknown', 'a service no task definition runs');
});

test('ecs/plaintext-secret: a secret value from an expression is medium; a secret ARN or name is not a secret', () => {
  const env = (value: InfraValue<string>) => container({ environment: [{ name: 'DB_PASSWORD', value, loc: at('infra/main.tf', 16) }] });
  const findings = (value: InfraValue<string>) => run(rule('ecs/plaintext-secret'), modelWith(service(), env(value))).map((f) => f.key);
  assert.deepEqual(findings(expr('aws_secretsmanager_secret_version.db.secret_string', 16)), ['expression']);
  assert.deepEqual(findings(expr('var.db_password', 16)), ['expression']);
  assert.deepEqual(findings(lit('hunter2-but-longer', 16)), ['literal']);
  assert.deepEqual(findings(expr('aws_secretsmanager_secret.db.arn', 16)), []);
  assert.deepEqual(findings(lit('', 16)), []);
  assert.deepEqual(findings(lit('changeme', 16)), []);
});
