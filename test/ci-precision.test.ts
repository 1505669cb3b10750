import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import type { Finding } from '../src/engine/finding.js';
import { FIXTURES, FIXTURE_TODAY, toLine } from './helpers/fixtures.js';

/**
 * What the pipeline rules say on the shapes real repositories showed: how severe a finding is, what
 * one root cause becomes, and which other side a message names. The fixtures under
 * test/fixtures/ci/ say where findings are; these tests say what they are worth.
 */

/** Audits a repository made of a fixture (optional) and the given files, grouped as the CLI does. */
async function audited(files: Record<string, string>, ruleId: string, base?: string): Promise<Finding[]> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-ci-precision-'));
  try {
    if (base) cpSync(join(FIXTURES, base), root, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const result = await audit(root, { now: FIXTURE_TODAY, config: false });
    assert.equal(result.errors.length, 0, result.errors.map((e) => e.message).join('\n'));
    return result.findings.filter((f) => f.ruleId === ruleId);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');

const DEPLOY_WITH_KEYS = `name: Deploy
on:
  push:
    branches: [main]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: eu-west-1
      - run: docker build -t 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:\${{ github.sha }} . && docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:\${{ github.sha }}
  deploy:
    needs: image
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: eu-west-1
      - run: aws ecs update-service --cluster prod --service api --force-new-deployment
`;

test('permissions: one long-lived key used by several jobs of a workflow is one finding, its other uses related', async () => {
  const found = (await audited({ '.github/workflows/deploy.yml': DEPLOY_WITH_KEYS }, 'ci/permissions')).filter((f) => /long-lived/.test(f.message));
  assert.deepEqual(found.map(toLine), ['.github/workflows/deploy.yml:12 ci/permissions']);
  assert.deepEqual(found[0].related.map((r) => `${r.file}:${r.line}`), ['.github/workflows/deploy.yml:22']);
  assert.equal(found[0].severity, 'medium');
});

test('permissions: unscoped jobs holding AWS keys are medium; jobs that only build and push are low', async () => {
  const deploy = await audited({ '.github/workflows/deploy.yml': DEPLOY_WITH_KEYS }, 'ci/permissions');
  const open = deploy.find((f) => /sets no `permissions:`/.test(f.message));
  assert.equal(open?.severity, 'medium');
  assert.match(open!.message, /jobs "image" and "deploy" \(holding AWS credentials and deploying\) declare none/);
  const publish = `name: Publish
on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          username: \${{ secrets.DOCKERHUB_USERNAME }}
          password: \${{ secrets.DOCKERHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          context: .
          push: true
          tags: acme/app:\${{ github.ref_name }}
`;
  const images = await audited({ '.github/workflows/publish.yml': publish }, 'ci/permissions');
  assert.deepEqual(images.map((f) => `${toLine(f)} ${f.severity}`), ['.github/workflows/publish.yml:1 ci/permissions low']);
});

test('permissions: two callers of one unscoped reusable workflow are one finding, whose fix is in the called file', async () => {
  const callee = `name: Docker build
on:
  workflow_call:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          username: \${{ secrets.DOCKER_USERNAME }}
          password: \${{ secrets.DOCKER_PASSWORD }}
      - uses: docker/build-push-action@v6
        with:
          context: .
          push: true
          tags: acme/outline:\${{ github.sha }}
`;
  const caller = (name: string, on: string) => `name: ${name}
on:
  ${on}
jobs:
  publish:
    uses: ./.github/workflows/docker-build.yml
    secrets: inherit
`;
  const found = await audited(
    {
      '.github/workflows/docker-build.yml': callee,
      '.github/workflows/docker.yml': caller('Docker', "push:\n    tags: ['v*']"),
      '.github/workflows/docker-nightly.yml': caller('Docker nightly', "schedule:\n    - cron: '0 3 * * *'"),
    },
    'ci/permissions',
  );
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.match(found[0].message, /docker-build\.yml/);
  assert.match(found[0].fix, /on those jobs in \.github\/workflows\/docker-build\.yml/);
  // Both callers are places of the one finding; the called jobs are related.
  assert.deepEqual([found[0].file, ...found[0].related.map((r) => r.file)].sort(), ['.github/workflows/docker-build.yml', '.github/workflows/docker-nightly.yml', '.github/workflows/docker.yml']);
});

test('unprotected-production: an OIDC deploy without environment is low and says where the restriction belongs', async () => {
  const found = await audited({}, 'ci/unprotected-production', 'ci/unprotected-production/fires');
  const noEnvironment = (f: Finding) => /job "deploy-production"/.test(f.message) && /without `environment:`/.test(f.message);
  const oidc = found.find(noEnvironment);
  assert.equal(oidc?.severity, 'low');
  assert.match(oidc!.fix, /trust policy/);
  // The same job holding repository secrets: environment scoping is then the fix, at medium.
  const withKeys = fixture('ci/unprotected-production/fires/.github/workflows/deploy.yml').replaceAll(
    '          role-to-assume: arn:aws:iam::123456789012:role/deploy\n',
    '          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n',
  );
  const keyed = await audited({ '.github/workflows/deploy.yml': withKeys }, 'ci/unprotected-production', 'ci/unprotected-production/fires');
  assert.equal(keyed.find(noEnvironment)?.severity, 'medium');
});

const MANUAL_ROLLBACK = `name: Rollback
on:
  workflow_dispatch:
    inputs:
      task-definition:
        required: true
permissions:
  contents: read
  id-token: write
jobs:
  prod:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - run: aws ecs update-service --cluster prod --service api --task-definition "\${{ inputs.task-definition }}"
`;

test('unprotected-production: a manual rollback is low without a group to share, medium with the group of the push deploy', async () => {
  const alone = await audited({ '.github/workflows/rollback.yml': MANUAL_ROLLBACK }, 'ci/unprotected-production');
  assert.deepEqual(alone.map((f) => `${toLine(f)} ${f.severity}`), ['.github/workflows/rollback.yml:11 ci/unprotected-production low']);
  const deploy = MANUAL_ROLLBACK.replace('name: Rollback', 'name: Deploy')
    .replace('  workflow_dispatch:\n    inputs:\n      task-definition:\n        required: true\n', '  push:\n    branches: [main]\n')
    .replace('    environment: production\n', '    environment: production\n    concurrency: deploy-production\n');
  const shared = await audited({ '.github/workflows/rollback.yml': MANUAL_ROLLBACK, '.github/workflows/deploy.yml': deploy }, 'ci/unprotected-production');
  assert.deepEqual(shared.map((f) => `${toLine(f)} ${f.severity}`), ['.github/workflows/rollback.yml:11 ci/unprotected-production medium']);
  assert.match(shared[0].message, /group "deploy-production"/);
  assert.match(shared[0].fix, /group: deploy-production/);
});

test('smoke-test-missing: after a stability wait it is low advice; a deploy that does not wait is medium', async () => {
  const waits = await audited({}, 'ci/smoke-test-missing', 'ci/smoke-test-missing/fires');
  assert.deepEqual(waits.map((f) => f.severity), ['low']);
  const noWait = await audited({}, 'ci/smoke-test-missing', 'ci/smoke-test-missing/fires-no-wait');
  assert.deepEqual(noWait.map((f) => f.severity), ['medium']);
  assert.match(noWait[0].message, /nothing waits for the new tasks/);
});

test('dependency-audit-missing: Dependabot on npm makes it low; the anchor avoids a pull-request workflow with path filters', async () => {
  const ci = (name: string, filter: string) => `name: ${name}
on:
  pull_request:${filter}
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npm test
`;
  const files = {
    '.github/workflows/ci-nochanges.yml': ci('CI (no changes)', "\n    paths-ignore:\n      - package-lock.json\n      - 'src/**'"),
    '.github/workflows/ci.yml': ci('CI', ''),
  };
  const plain = await audited(files, 'ci/dependency-audit-missing', 'ci/dependency-audit-missing/fires');
  assert.deepEqual(plain.map((f) => `${toLine(f)} ${f.severity}`), ['.github/workflows/ci.yml:11 ci/dependency-audit-missing medium']);
  const dependabot = "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule:\n      interval: weekly\n    open-pull-requests-limit: 0\n";
  const withBot = await audited({ ...files, '.github/dependabot.yml': dependabot }, 'ci/dependency-audit-missing', 'ci/dependency-audit-missing/fires');
  assert.deepEqual(withBot.map((f) => f.severity), ['low']);
  assert.match(withBot[0].message, /Dependabot/);
});

test('migration-check-missing: a repository that only publishes images is low', async () => {
  const found = await audited({}, 'ci/migration-check-missing', 'ci/migration-check-missing/fires');
  assert.deepEqual(found.map((f) => f.severity), ['medium']);
  const publish = `name: Publish
on:
  push:
    tags: ['v*']
permissions:
  contents: read
  packages: write
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: .
          push: true
          tags: ghcr.io/acme/app:\${{ github.ref_name }}
`;
  const root = mkdtempSync(join(tmpdir(), 'shipready-ci-precision-'));
  try {
    cpSync(join(FIXTURES, 'ci/migration-check-missing/fires'), root, { recursive: true });
    rmSync(join(root, '.github/workflows/deploy.yml'));
    writeFileSync(join(root, '.github/workflows/publish.yml'), publish);
    const result = await audit(root, { now: FIXTURE_TODAY, config: false });
    const own = result.findings.filter((f) => f.ruleId === 'ci/migration-check-missing');
    assert.deepEqual(own.map((f) => `${toLine(f)} ${f.severity}`), ['.github/workflows/publish.yml:13 ci/migration-check-missing low']);
    assert.match(own[0].message, /publishes images/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rollback-missing: a deploy of a service the infrastructure code does not define says nothing about the services it does define', async () => {
  const other = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  BillingService:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: billing
      Cluster: shop-production
      LaunchType: FARGATE
      TaskDefinition: !Ref BillingTask
`;
  const found = await audited({ 'infra/service.yml': other }, 'ci/rollback-missing', 'ci/rollback-missing/fires-service-without-breaker');
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, 'low');
  assert.match(found[0].message, /"shop-api"\) is not one the repository defines/);
  assert.deepEqual(found[0].related, []);
});

test('compose/production-readiness: one finding per service; a repository that deploys to ECS makes the compose file hygiene', async () => {
  const standalone = await audited({}, 'compose/production-readiness', 'compose/production-readiness/fires-prod-file');
  assert.ok(standalone.some((f) => (f.occurrences ?? 1) > 1 || f.severity === 'medium'), standalone.map(toLine).join('\n'));
  const withEcs = await audited({
    '.aws/task-definition.json': JSON.stringify({ family: 'api', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'api', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0', essential: true }] }),
  }, 'compose/production-readiness', 'compose/production-readiness/fires-prod-file');
  assert.ok(withEcs.length > 0);
  assert.deepEqual([...new Set(withEcs.map((f) => f.severity))], ['low']);
  // Restart policy, limits and health check of one service: one finding, the others under related.
  const services = new Set(withEcs.map((f) => f.line));
  assert.equal(withEcs.length, services.size);
});
