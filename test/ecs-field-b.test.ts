import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { migrationCommandOf } from '../src/rules/ecs/migrations-on-boot.js';
import { auditFixture, FIXTURES } from './helpers/fixtures.js';

/** Findings of one rule in a fixture case, as `file:line severity`. */
async function findingsOf(ruleId: string, fixture: string): Promise<{ at: string; severity: string; message: string }[]> {
  const { result, cleanup } = await auditFixture(join(FIXTURES, fixture));
  try {
    return result.findings.filter((f) => f.ruleId === ruleId).map((f) => ({ at: `${f.file}:${f.line}`, severity: f.severity, message: f.message }));
  } finally {
    cleanup();
  }
}

/** Audits a repository written from a map of files. */
async function auditFiles(files: Record<string, string>, ruleId: string): Promise<{ at: string; severity: string; message: string }[]> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-ecs-b-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const result = await audit(root);
    return result.findings.filter((f) => f.ruleId === ruleId).map((f) => ({ at: `${f.file}:${f.line}`, severity: f.severity, message: f.message }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('migration commands: the tools and the ways they are invoked', () => {
  const yes = [
    ['npx', 'prisma', 'migrate', 'deploy'],
    ['prisma', 'migrate', 'deploy', '--schema', 'prisma/schema.prisma'],
    ['pnpm', 'exec', 'prisma', 'migrate', 'deploy'],
    ['yarn', 'prisma', 'migrate', 'deploy'],
    ['node', 'node_modules/.bin/knex', 'migrate:latest'],
    ['npx', 'knex', 'migrate:latest', '--knexfile', 'dist/knexfile.js'],
    ['npx', 'drizzle-kit', 'migrate'],
    ['npx', 'typeorm-ts-node-commonjs', 'migration:run', '-d', 'src/data-source.ts'],
    ['npx', 'typeorm', 'migration:run', '-d', 'dist/data-source.js'],
    ['node-pg-migrate', 'up'],
    ['npx', 'sequelize-cli', 'db:migrate'],
    ['DATABASE_URL=x', 'npx', 'prisma', 'migrate', 'deploy'],
  ];
  for (const argv of yes) assert.ok(migrationCommandOf(argv), argv.join(' '));
  const no = [
    ['npx', 'prisma', 'generate'],
    ['prisma', 'migrate', 'status'],
    ['npx', 'knex', 'migrate:make', 'add_users'],
    ['node', 'dist/index.js'],
    ['npx', 'typeorm', 'migration:generate'],
    ['node-pg-migrate', 'down'],
    ['npm', 'run', 'build'],
  ];
  for (const argv of no) assert.equal(migrationCommandOf(argv), undefined, argv.join(' '));
});

test('deployment-config: a blocked rollout is critical, minimum 0 behind a load balancer is high', async () => {
  assert.deepEqual((await findingsOf('ecs/deployment-config', 'ecs/deployment-config/fires-terraform')).map((f) => f.severity), ['critical']);
  const cfn = await findingsOf('ecs/deployment-config', 'ecs/deployment-config/fires-cloudformation');
  assert.deepEqual(cfn.map((f) => f.severity), ['high']);
  assert.match(cfn[0].message, /minimum healthy percent 0 \(infra\/service\.yaml:26\)/);
});

test('deployment-config: ECS rounding with the desired count decides', async () => {
  const service = (desired: number, min: number, max: number) => ({
    'infra/main.tf': `resource "aws_ecs_service" "api" {
  name                               = "api"
  task_definition                    = "api"
  desired_count                      = ${desired}
  deployment_minimum_healthy_percent = ${min}
  deployment_maximum_percent         = ${max}
}
`,
  });
  // One task, minimum 50: ceil(0.5) = 1 must stay, and max 100 allows no second one.
  assert.equal((await auditFiles(service(1, 50, 100), 'ecs/deployment-config')).length, 1);
  // Two tasks, minimum 50: one may stop.
  assert.equal((await auditFiles(service(2, 50, 100), 'ecs/deployment-config')).length, 0);
  // Two tasks, maximum 150: floor(3) allows a third task.
  assert.equal((await auditFiles(service(2, 100, 150), 'ecs/deployment-config')).length, 0);
  // Two tasks, maximum 120: floor(2.4) = 2, no room; minimum 100 keeps both.
  assert.equal((await auditFiles(service(2, 100, 120), 'ecs/deployment-config')).length, 1);
});

test('health-check-grace-period: high with a slow-boot signal, and the message names it', async () => {
  const plain = await findingsOf('ecs/health-check-grace-period', 'ecs/health-check-grace-period/fires-terraform');
  assert.deepEqual(plain.map((f) => f.severity), ['medium']);
  const slow = await findingsOf('ecs/health-check-grace-period', 'ecs/health-check-grace-period/fires-slow-boot-terraform');
  assert.deepEqual(slow.map((f) => f.severity), ['high']);
  assert.match(slow[0].message, /prisma migrate deploy/);
});

test('migrations-on-boot: high without a grace period behind a load balancer, medium with one', async () => {
  const withGrace = await findingsOf('ecs/migrations-on-boot', 'ecs/migrations-on-boot/fires-terraform');
  assert.deepEqual(withGrace.map((f) => f.severity), ['medium']);
  assert.match(withGrace[0].message, /runs 3 tasks \(infra\/ecs\.tf:27\)/);
  const noGrace = await findingsOf('ecs/migrations-on-boot', 'ecs/health-check-grace-period/fires-slow-boot-terraform');
  assert.deepEqual(noGrace.map((f) => f.severity), ['high']);
});

test('node-heap-budget: over the budget after sidecars is high; no cap on Node 18 is medium', async () => {
  const budget = await findingsOf('ecs/node-heap-budget', 'ecs/node-heap-budget/fires-sidecar-taskdef-json');
  assert.deepEqual(budget.map((f) => f.severity), ['high']);
  assert.match(budget[0].message, /896 MiB .* only 640 MiB/);
  const noCap = await findingsOf('ecs/node-heap-budget', 'ecs/node-heap-budget/fires-no-cap-terraform');
  assert.deepEqual(noCap.map((f) => f.severity), ['medium']);
  assert.match(noCap[0].message, /Node 18 \(node:18-slim in server\/Dockerfile:8\)/);
  // ecs/fargate-size owns a cap above the container's whole memory: no second finding here.
  assert.equal((await findingsOf('ecs/node-heap-budget', 'ecs/fargate-size/fires-heap-taskdef')).length, 0);
});

test('container-memory-exceeds-task: names the CDK default task size', async () => {
  const cdk = await findingsOf('ecs/container-memory-exceeds-task', 'ecs/container-memory-exceeds-task/fires-cdk');
  assert.equal(cdk.length, 1);
  assert.match(cdk[0].message, /memory 1024 MiB .* task's memory 512 MiB .*CDK default for memoryLimitMiB/);
});

test('readonly-rootfs: the terraform-aws-modules default is named as the source of the read-only filesystem', async () => {
  const module = await findingsOf('ecs/readonly-rootfs-no-writable-tmp', 'ecs/readonly-rootfs-no-writable-tmp/fires-terraform-module');
  assert.equal(module.length, 1);
  assert.match(module[0].message, /defaults readonly_root_filesystem to true/);
  assert.match(module[0].message, /'formidable' \(imported in server\/src\/uploads\.ts:2\)/);
});

test('deployment-config: DAEMON services have their own defaults and are not judged', async () => {
  const files = {
    'infra/main.tf': `resource "aws_ecs_service" "agent" {
  name                       = "agent"
  task_definition            = "agent"
  scheduling_strategy        = "DAEMON"
  deployment_maximum_percent = 100
}
`,
  };
  assert.equal((await auditFiles(files, 'ecs/deployment-config')).length, 0);
  files['infra/main.tf'] = files['infra/main.tf'].replace('"DAEMON"', '"REPLICA"');
  assert.equal((await auditFiles(files, 'ecs/deployment-config')).length, 1);
});
