import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, toLine } from './helpers/fixtures.js';
import type { Finding } from '../src/engine/finding.js';
import { severityRank } from '../src/rules/rule.js';
import { known } from '../src/model/infra.js';

/** The ecs/aws rules of the seeds; the field rules (ecs/health-check-grace-period, …) have their own tests. */
const SEED_RULES = new Set([
  'ecs/env-missing', 'ecs/plaintext-secret', 'ecs/healthcheck', 'ecs/stop-timeout', 'ecs/fargate-size', 'ecs/logging',
  'ecs/mutable-image', 'ecs/port-mismatch', 'ecs/no-circuit-breaker', 'aws/alb-http-only', 'aws/alb-rule-limits', 'aws/iam-wildcard',
]);
const isInfraFinding = (f: Finding): boolean => SEED_RULES.has(f.ruleId);

/**
 * The same correct deployment written as task-definition JSON, Terraform, CloudFormation and CDK:
 * secrets from Secrets Manager, awslogs, a stopTimeout above the app's 30 s drain, the served health
 * path, the app's port, a circuit breaker with rollback, HTTPS with a redirect, scoped IAM.
 */
for (const format of ['taskdef', 'terraform', 'cloudformation', 'cdk']) {
  test(`infra-good-${format}: a correct setup gives no finding of severity medium or above`, async () => {
    const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', `infra-good-${format}`));
    try {
      // The deployment must be understood, or silence would prove nothing.
      const infra = result.model.infra;
      assert.equal(infra.taskDefinitions.length, 1);
      const container = infra.taskDefinitions[0].containers[0];
      assert.ok(container?.link, 'the container is linked to the service');
      assert.equal(container.link.service.name, 'shop-api');
      assert.ok(result.model.services[0].env.some((e) => e.name === 'S3_BUCKET_NAME' && e.required), 'source facts are there');
      if (format !== 'taskdef') {
        assert.equal(infra.ecsServices.length, 1);
        assert.equal(infra.ecsServices[0].taskDefinition, infra.taskDefinitions[0]);
        assert.ok(infra.listeners.length >= 2 && infra.listenerRules.length === 1 && infra.iamStatements.length >= 1);
        assert.deepEqual(infra.logGroups.map((g) => known(g.name)), ['/ecs/shop-api'], 'the log group the IaC creates');
      }
      const serious = result.findings.filter((f) => severityRank(f.severity) <= severityRank('medium'));
      assert.deepEqual(serious.map((f) => `${toLine(f)} [${f.severity}] ${f.message}`), []);
    } finally {
      cleanup();
    }
  });
}

test('seed 002 in CDK: missing S3_BUCKET_NAME, HTTP-only ALB, s3:* on *, no rollback; the served health path is not reported', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', 'infra-seed-002-cdk'));
  try {
    const stack = 'infrastructure/lib/stacks/compute.ts';
    assert.deepEqual(result.findings.filter(isInfraFinding).map(toLine).sort(), [
      `${stack}:28 aws/iam-wildcard`,
      `${stack}:35 ecs/env-missing`,
      `${stack}:50 ecs/no-circuit-breaker`,
      `${stack}:58 aws/alb-http-only`,
    ]);
    const env = result.findings.find((f) => f.ruleId === 'ecs/env-missing')!;
    // Read with `!` and no default: the code runs on with undefined until the first upload (high, not a startup crash).
    assert.equal(env.severity, 'high');
    assert.match(env.message, /S3_BUCKET_NAME is read by the code with no default/);
    assert.deepEqual(env.related.map((r) => `${r.file}:${r.line}`), ['server/s3Storage.ts:4']);
  } finally {
    cleanup();
  }
});

test('seed 003 in Terraform: six path patterns in one rule, latest on an IMMUTABLE repository pushed by the workflow', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', 'infra-seed-003-terraform'));
  try {
    assert.deepEqual(result.findings.filter(isInfraFinding).map(toLine).sort(), [
      'infra/terraform/alb.tf:24 aws/alb-http-only',
      'infra/terraform/alb.tf:46 aws/alb-rule-limits',
      'infra/terraform/ecs.tf:17 ecs/mutable-image',
      'infra/terraform/ecs.tf:36 ecs/no-circuit-breaker',
    ]);
    const image = result.findings.find((f) => f.ruleId === 'ecs/mutable-image')!;
    assert.equal(image.severity, 'high');
    assert.deepEqual(image.related.map((r) => `${r.file}:${r.line}`), ['infra/terraform/ecr.tf:3', '.github/workflows/deploy.yml:28']);
    const container = result.model.infra.taskDefinitions[0].containers[0];
    assert.equal(container.link?.via, 'dockerfile', 'linked through the workflow that builds backend/Dockerfile');
  } finally {
    cleanup();
  }
});

test('seed 001 as task-definition JSON: a validated JWT_SECRET the task never sets, an HTTP health check on a worker', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', 'infra-seed-001-taskdef'));
  try {
    assert.deepEqual(result.findings.filter(isInfraFinding).map(toLine).sort(), [
      'infra/ecs/api-gateway.json:13 ecs/env-missing',
      'infra/ecs/session-worker.json:16 ecs/healthcheck',
    ]);
    const env = result.findings.find((f) => f.ruleId === 'ecs/env-missing')!;
    assert.match(env.message, /^JWT_SECRET is required/);
    assert.match(env.message, /by image repository name 'api-gateway'/);
    assert.deepEqual(env.related.map((r) => r.file), ['services/api-gateway/src/index.ts']);
    // Each container is linked to its own service in the monorepo.
    const links = result.model.infra.taskDefinitions.flatMap((t) => t.containers.map((c) => `${t.file} → ${c.link?.service.dir}`)).sort();
    assert.deepEqual(links, ['infra/ecs/api-gateway.json → services/api-gateway', 'infra/ecs/session-worker.json → services/session-worker']);
  } finally {
    cleanup();
  }
});

test('values the repository does not fix (variables, module outputs) give no finding and read "unknown" in the services section', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', 'infra-unknown-terraform'));
  try {
    // The app requires S3_BUCKET_NAME and JWT_SECRET, drains for 30 s and listens on 3000: all unknowable here.
    assert.deepEqual(result.findings.filter(isInfraFinding).map((f) => `${toLine(f)} ${f.message}`), []);
    const { toJsonReport } = await import('../src/report/json.js');
    const report = toJsonReport(result) as { services: { deployment: Record<string, unknown>[] | string }[] };
    const [deployment] = report.services[0].deployment as Record<string, unknown>[];
    assert.equal(deployment.environment, 'unknown');
    assert.equal(deployment.secrets, 'unknown');
    assert.equal(deployment.stopTimeoutSeconds, 'unknown (var.stop_timeout)');
    assert.equal(deployment.cpu, 'unknown (var.cpu)');
    assert.deepEqual(deployment.containerPorts, ['unknown (var.container_port)']);
  } finally {
    cleanup();
  }
});

/** Acceptance: the same situation written in each format gives the same finding (rule, severity, count, what it names). */
const SAME_SITUATION: { rule: string; prefix: string; formats: string[]; names: RegExp }[] = [
  { rule: 'ecs/env-missing', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /^(\w+) is required/ },
  { rule: 'ecs/plaintext-secret', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /^(\w+) in the environment/ },
  { rule: 'ecs/stop-timeout', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /gives itself ([\d.]+ s)/ },
  { rule: 'ecs/healthcheck', prefix: 'fires-container-path-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /requests (\S+),/ },
  { rule: 'ecs/healthcheck', prefix: 'fires-tg-path-', formats: ['terraform', 'cloudformation', 'cdk'], names: /requests (\S+),/ },
  { rule: 'ecs/port-mismatch', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /listens on (\d+)/ },
  { rule: 'ecs/fargate-size', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /memory (\d+) MiB/ },
  { rule: 'ecs/logging', prefix: 'fires-', formats: ['taskdef', 'terraform', 'cloudformation', 'cdk'], names: /container '(\w+)'/ },
  // The task-definition JSON case has no ECR repository beside it, so it cannot say IMMUTABLE (medium there).
  { rule: 'ecs/mutable-image', prefix: 'fires-', formats: ['terraform', 'cloudformation', 'cdk'], names: /IMMUTABLE/ },
  { rule: 'ecs/no-circuit-breaker', prefix: 'fires-', formats: ['terraform', 'cloudformation', 'cdk'], names: /no deployment circuit breaker/ },
  { rule: 'aws/alb-http-only', prefix: 'fires-', formats: ['terraform', 'cloudformation', 'cdk'], names: /port (\d+)/ },
  { rule: 'aws/alb-rule-limits', prefix: 'fires-', formats: ['terraform', 'cloudformation', 'cdk'], names: /has (\d+) condition values/ },
  { rule: 'aws/iam-wildcard', prefix: 'fires-', formats: ['terraform', 'cloudformation', 'cdk'], names: /allows "([^"]+)"/ },
];

for (const { rule, prefix, formats, names } of SAME_SITUATION) {
  test(`${rule} ${prefix}*: the same finding in ${formats.join(', ')}`, async () => {
    const seen: string[] = [];
    for (const format of formats) {
      const { result, cleanup } = await auditFixture(join(FIXTURES, rule, `${prefix}${format}`));
      try {
        const findings = result.findings.filter((f) => f.ruleId === rule);
        seen.push(findings.map((f) => `${f.severity} ${names.exec(f.message)?.[1] ?? names.exec(f.message)?.[0] ?? f.message}`).sort().join(' | '));
      } finally {
        cleanup();
      }
    }
    assert.ok(seen[0].length > 0);
    assert.deepEqual(seen, formats.map(() => seen[0]), formats.map((f, i) => `${f}: ${seen[i]}`).join('\n'));
  });
}
