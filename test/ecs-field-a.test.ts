import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../src/engine/finding.js';
import type { AuditResult } from '../src/engine/audit.js';
import { audit } from '../src/engine/audit.js';
import { auditFixture, FIXTURE_TODAY, FIXTURES } from './helpers/fixtures.js';

/**
 * Field rules aws/target-type-not-ip, ecs/cpu-architecture-mismatch, ecs/execution-role-permissions,
 * ecs/task-role-missing, ecs/healthcheck-command, ecs/log-group-missing, ecs/taskdef-readonly-fields:
 * the facts each message names, the severities evidence decides, the IAM facts the discoverer joins,
 * and variants of the fixtures where a value the repository does not fix must keep the rule silent.
 */

async function run(fixture: string, edit?: (root: string) => void): Promise<AuditResult> {
  const { result, root, cleanup } = await auditFixture(join(FIXTURES, fixture));
  try {
    if (!edit) return result;
    // The variant: the same repository with one value changed.
    edit(root);
    return await audit(root, { now: FIXTURE_TODAY });
  } finally {
    cleanup();
  }
}

function only(result: AuditResult, ruleId: string): Finding[] {
  return result.findings.filter((f) => f.ruleId === ruleId);
}

function patch(root: string, file: string, from: string | RegExp, to: string): void {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(from, to);
  assert.notEqual(next, text, `patch of ${file} changed nothing`);
  writeFileSync(path, next);
}

test('target-type-not-ip names the default, the awsvpc evidence and the service', async () => {
  const [f] = only(await run('aws/target-type-not-ip/fires-terraform'), 'aws/target-type-not-ip');
  assert.equal(f.severity, 'critical');
  assert.match(f.message, /instance \(the default: no target type is written\)/);
  assert.match(f.message, /network mode 'awsvpc' \(infra\/terraform\/ecs\.tf:4\)/);
  assert.deepEqual(f.related.map((r) => `${r.file}:${r.line}`), ['infra/terraform/ecs.tf:50']);
});

test('target-type-not-ip stays silent when the target type is a variable', async () => {
  const result = await run('aws/target-type-not-ip/fires-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', '  protocol    = "HTTP"\n  vpc_id', '  protocol    = "HTTP"\n  target_type = var.target_type\n  vpc_id'),
  );
  assert.deepEqual(only(result, 'aws/target-type-not-ip'), []);
});

test('cpu-architecture-mismatch quotes both sides; unpinned CDK assets are high, proven mismatches critical', async () => {
  const [wf] = only(await run('ecs/cpu-architecture-mismatch/fires-workflow-platforms-terraform'), 'ecs/cpu-architecture-mismatch');
  assert.equal(wf.severity, 'critical');
  assert.match(wf.message, /platforms linux\/arm64/);
  assert.match(wf.message, /X86_64 \(the Fargate default: no runtimePlatform\.cpuArchitecture in infra\/terraform\/ecs\.tf:1\)/);
  const [cdk] = only(await run('ecs/cpu-architecture-mismatch/fires-cdk-asset-unpinned'), 'ecs/cpu-architecture-mismatch');
  assert.equal(cdk.severity, 'high');
  const [runner] = only(await run('ecs/cpu-architecture-mismatch/fires-runner-taskdef-json'), 'ecs/cpu-architecture-mismatch');
  assert.match(runner.message, /x86_64 runner 'ubuntu-latest'/);
  assert.match(runner.message, /ARM64 \(linux\/arm64\) \(cpuArchitecture in \.aws\/task-definition\.json:9\)/);
});

test('cpu-architecture-mismatch: a platform from a matrix, or a self-hosted runner without an arch label, is not judged', async () => {
  const matrix = await run('ecs/cpu-architecture-mismatch/fires-workflow-platforms-terraform', (root) =>
    patch(root, '.github/workflows/release.yml', 'platforms: linux/arm64', 'platforms: ${{ matrix.platform }}'),
  );
  assert.deepEqual(only(matrix, 'ecs/cpu-architecture-mismatch'), []);
  const selfHosted = await run('ecs/cpu-architecture-mismatch/fires-arm-runner-cloudformation', (root) =>
    patch(root, '.github/workflows/build.yml', 'runs-on: ubuntu-24.04-arm', 'runs-on: [self-hosted, linux]'),
  );
  assert.deepEqual(only(selfHosted, 'ecs/cpu-architecture-mismatch'), []);
  const armTask = await run('ecs/cpu-architecture-mismatch/fires-arm-runner-cloudformation', (root) =>
    patch(root, 'infra/cloudformation/service.yaml', 'CpuArchitecture: X86_64', 'CpuArchitecture: ARM64'),
  );
  assert.deepEqual(only(armTask, 'ecs/cpu-architecture-mismatch'), [], 'an arm runner builds arm64 for an ARM64 task');
});

test('cpu-architecture-mismatch: docker build --platform in a run script decides over the runner', async () => {
  const pinned = await run('ecs/cpu-architecture-mismatch/fires-runner-taskdef-json', (root) =>
    patch(root, '.github/workflows/deploy.yml', 'docker build -t', 'docker build --platform linux/arm64 -t'),
  );
  assert.deepEqual(only(pinned, 'ecs/cpu-architecture-mismatch'), []);
  const wrong = await run('ecs/cpu-architecture-mismatch/fires-runner-taskdef-json', (root) =>
    patch(root, '.github/workflows/deploy.yml', 'docker build -t', 'docker buildx build --platform linux/amd64 --push -t'),
  );
  const [f] = only(wrong, 'ecs/cpu-architecture-mismatch');
  assert.equal(f.line, 22);
  assert.match(f.message, /platforms linux\/amd64/);
});

test('IAM model: policy documents and aws_iam_policy attachments are joined to the role; a policy from a variable marks it unresolved', async () => {
  const joined = await run('ecs/execution-role-permissions/silent-terraform');
  const statements = joined.model.infra.iamStatements.filter((s) => s.roleRefs.includes('aws_iam_role.execution'));
  assert.ok(statements.some((s) => s.actions.some((a) => a.value === 'secretsmanager:GetSecretValue')));
  const unreadable = await run('ecs/execution-role-permissions/silent-unreadable-policy-terraform');
  assert.equal(unreadable.model.infra.iamRoles.find((r) => r.resourceName === 'aws_iam_role.execution')?.policiesUnresolved, true);
});

test('execution-role-permissions: a secret on an ARN outside the granted prefix fires; an expression resource counts as granted', async () => {
  const outside = await run('ecs/execution-role-permissions/silent-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', 'secret:prod/*"]', 'secret:staging/*"]'),
  );
  const [f] = only(outside, 'ecs/execution-role-permissions');
  assert.equal(f.line, 22);
  assert.match(f.message, /does not allow secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod\/jwt_secret/);
  const expression = await run('ecs/execution-role-permissions/silent-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', '["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*"]', '[aws_secretsmanager_secret.app.arn]'),
  );
  assert.deepEqual(only(expression, 'ecs/execution-role-permissions'), []);
});

test('execution-role-permissions: environment files in S3 need s3:GetObject on the execution role', async () => {
  const result = await run('ecs/execution-role-permissions/silent-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', '      stopTimeout = 45\n', '      stopTimeout = 45\n      environmentFiles = [{ value = "arn:aws:s3:::shop-config/prod.env", type = "s3" }]\n'),
  );
  const findings = only(result, 'ecs/execution-role-permissions');
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /environment file arn:aws:s3:::shop-config\/prod\.env/);
});

test('task-role-missing names the SDK import; a task role from a variable counts as set', async () => {
  const [f] = only(await run('ecs/task-role-missing/fires-terraform'), 'ecs/task-role-missing');
  assert.match(f.message, /@aws-sdk\/client-s3, imported at server\/src\/storage\.ts:1/);
  assert.deepEqual(f.related.map((r) => `${r.file}:${r.line}`), ['server/src/storage.ts:1']);
  const variable = await run('ecs/task-role-missing/fires-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', '  execution_role_arn       = aws_iam_role.execution.arn\n', '  execution_role_arn       = aws_iam_role.execution.arn\n  task_role_arn            = var.task_role_arn\n'),
  );
  assert.deepEqual(only(variable, 'ecs/task-role-missing'), []);
});

test('healthcheck-command: a slim image has no curl; a Debian image does', async () => {
  const slim = await run('ecs/healthcheck-command/fires-curl-alpine-terraform', (root) => patch(root, 'server/Dockerfile', /FROM node:22-alpine\nWORKDIR \/app\nENV/, 'FROM node:22-slim\nWORKDIR /app\nENV'));
  const [f] = only(slim, 'ecs/healthcheck-command');
  assert.match(f.message, /node:22-slim \(server\/Dockerfile:8\), a slim image/);
  const full = await run('ecs/healthcheck-command/fires-curl-alpine-terraform', (root) => patch(root, 'server/Dockerfile', /FROM node:22-alpine\nWORKDIR \/app\nENV/, 'FROM node:22-bookworm\nWORKDIR /app\nENV'));
  assert.deepEqual(only(full, 'ecs/healthcheck-command'), []);
});

test('healthcheck-command: CMD-SHELL cannot run in a distroless image', async () => {
  const result = await run('ecs/healthcheck-command/silent-wget-alpine-terraform', (root) =>
    patch(root, 'server/Dockerfile', /FROM node:22-alpine\nWORKDIR \/app\nENV/, 'FROM gcr.io/distroless/nodejs22-debian12\nWORKDIR /app\nENV'),
  );
  const [f] = only(result, 'ecs/healthcheck-command');
  assert.match(f.message, /no \/bin\/sh/);
});

test('log-group-missing: a log group named by a variable elsewhere in the stack keeps it silent', async () => {
  const result = await run('ecs/log-group-missing/fires-terraform', (root) =>
    patch(root, 'infra/terraform/ecs.tf', 'resource "aws_ecs_service" "api" {', 'resource "aws_cloudwatch_log_group" "app" {\n  name = var.log_group_name\n}\n\nresource "aws_ecs_service" "api" {'),
  );
  assert.deepEqual(only(result, 'ecs/log-group-missing'), []);
});

test('taskdef-readonly-fields: severity follows how the file is registered', async () => {
  const severity = async (c: string) => only(await run(`ecs/taskdef-readonly-fields/${c}`), 'ecs/taskdef-readonly-fields').map((f) => f.severity);
  assert.deepEqual(await severity('fires-cli'), ['high']);
  assert.deepEqual(await severity('fires-deploy-action'), ['low']);
  assert.deepEqual(await severity('fires-unregistered'), ['medium']);
});
