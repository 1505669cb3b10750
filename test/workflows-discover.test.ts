import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';
import { parseWorkflow } from '../src/discover/workflows.js';
import type { Workflow } from '../src/model/workflow.js';

function workflow(text: string): Workflow {
  const result = parseWorkflow(text, '.github/workflows/ci.yml');
  assert.ok('workflow' in result && result.workflow, 'parses');
  return result.workflow;
}

test('run: | scripts: each command at its own file line, continuations at the first line', () => {
  const wf = workflow(`name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Many commands
        run: |
          # a comment line
          npm ci

          npm run lint --if-present && npm test
          docker build \\
            -f services/api/Dockerfile \\
            services/api
          echo done
`);
  const step = wf.jobs[0].steps[0];
  assert.equal(step.run?.loc.line, 8);
  assert.deepEqual(step.commands.map((c) => [c.argv[0] + ' ' + (c.argv[1] ?? ''), c.loc.line]), [
    ['npm ci', 10],
    ['npm run', 12],
    ['npm test', 12],
    ['docker build', 13],
    ['echo done', 16],
  ]);
  assert.deepEqual(step.installs.map((i) => [i.command.text, i.loc.line]), [['npm ci', 10]]);
  assert.deepEqual(step.scripts.map((s) => [s.script, s.ifPresent, s.loc.line]), [['lint', true, 12], ['test', false, 12]]);
  assert.deepEqual(step.dockerBuilds.map((b) => [b.dockerfilePaths, b.contextDirs, b.loc.line]), [[['services/api/Dockerfile'], ['services/api'], 13]]);
  // Values of a continued command sit on their own lines.
  assert.equal(step.dockerBuilds[0].file?.loc.line, 14);
  assert.equal(step.dockerBuilds[0].context?.loc.line, 15);
});

test('folded and plain scalars: commands found on their source lines', () => {
  const wf = workflow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: >
          npm ci
          --ignore-scripts
      - run: npm test
`);
  assert.equal(wf.jobs[0].steps[0].commands[0].loc.line, 7);
  assert.equal(wf.jobs[0].steps[0].installs[0].command.frozen, true);
  assert.equal(wf.jobs[0].steps[1].commands[0].loc.line, 9);
});

test('triggers, permissions, concurrency, environment, needs, matrix, reusable workflows, anchors', () => {
  const wf = workflow(`name: Deploy
on:
  push:
    branches: [main, 'release/**']
  workflow_dispatch:
permissions:
  contents: read
concurrency: deploy-\${{ github.ref }}
x-aws: &aws
  role-to-assume: arn:aws:iam::123456789012:role/deploy
  aws-region: eu-west-1
jobs:
  build:
    runs-on: [self-hosted, linux]
    strategy:
      matrix:
        service: [api, worker]
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with: *aws
      - uses: docker/build-push-action@v6
        with:
          file: services/\${{ matrix.service }}/Dockerfile
          push: \${{ github.event_name != 'pull_request' }}
          tags: |
            ghcr.io/acme/\${{ matrix.service }}:\${{ github.sha }}
            ghcr.io/acme/\${{ matrix.service }}:latest
  deploy:
    needs: [build]
    if: github.ref == 'refs/heads/main'
    environment:
      name: production
      url: https://example.com
    permissions:
      id-token: write
    steps:
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: td.json
          wait-for-service-stability: true
  shared:
    uses: ./.github/workflows/notify.yml
    with:
      channel: deploys
    secrets: inherit
`);
  assert.deepEqual(wf.triggers.map((t) => [t.value, t.loc.line]), [['push', 3], ['workflow_dispatch', 5]]);
  assert.deepEqual(wf.pushBranches.map((b) => b.value), ['main', 'release/**']);
  assert.equal(wf.permissions?.scopes.get('contents')?.value, 'read');
  assert.equal(wf.concurrency?.loc.line, 8);
  const [build, deploy, shared] = wf.jobs;
  assert.equal(build.runsOn?.value, 'self-hosted,linux');
  assert.deepEqual(build.matrix.get('service')?.map((v) => v.value), ['api', 'worker']);
  // The alias resolves to the anchored mapping; its values keep the anchor's lines.
  assert.equal(build.steps[0].with.get('role-to-assume')?.loc.line, 10);
  const image = build.steps[1].dockerBuilds[0];
  assert.deepEqual(image.dockerfilePaths, ['services/api/Dockerfile', 'services/worker/Dockerfile']);
  assert.equal(image.push, true);
  assert.deepEqual(image.tags.map((t) => t.loc.line), [26, 27]);
  assert.deepEqual(deploy.needs.map((n) => n.value), ['build']);
  assert.equal(deploy.environment?.value, 'production');
  assert.equal(deploy.environment?.loc.line, 31);
  assert.equal(deploy.permissions?.scopes.get('id-token')?.value, 'write');
  assert.deepEqual(deploy.steps[0].activities.map((a) => [a.kind, a.loc.line]), [['ecs-deploy', 37], ['ecs-wait', 40]]);
  assert.equal(shared.uses?.value, './.github/workflows/notify.yml');
  assert.equal(shared.with.get('channel')?.value, 'deploys');
  assert.equal(shared.secrets?.value, 'inherit');
});

test('what steps do: audit, scans, deploys, smoke tests, rollback, migrations; downloads are not smoke tests', () => {
  const wf = workflow(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: pnpm audit --prod
      - uses: aquasecurity/trivy-action@0.28.0
      - run: trivy fs --exit-code 1 .
      - run: aws ecs update-service --cluster c --service s --force-new-deployment
      - run: aws ecs wait services-stable --cluster c --services s
      - run: curl -fsS https://api.example.com/health
      - run: curl -fsSL https://get.docker.com -o get-docker.sh
      - run: curl -LO https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl
      - run: npx prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --exit-code
      - if: failure()
        run: aws ecs update-service --cluster c --service s --task-definition "$PREVIOUS"
`);
  const kinds = wf.jobs[0].steps.map((s) => s.activities.map((a) => a.kind).sort().join(','));
  assert.deepEqual(kinds, ['audit', 'image-scan', 'audit', 'ecs-deploy', 'ecs-wait', 'smoke-test', '', '', 'migration-check', 'ecs-deploy,rollback']);
});

test('workflow and compose builds set the Dockerfile build context', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-ctx-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  try {
    write('services/api/Dockerfile', 'FROM node:22-alpine\nCOPY services/api/package.json ./\n');
    write('services/web/Dockerfile', 'FROM node:22-alpine\nCOPY . .\n');
    write('services/solo/Dockerfile', 'FROM node:22-alpine\nCOPY . .\n');
    write('.github/workflows/ci.yml', `on: pull_request
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: services/api/Dockerfile
`);
    write('deploy/compose.yaml', 'services:\n  web:\n    build:\n      context: ../services/web\n');
    const { model } = await discover(root);
    const contexts = (p: string) => model.dockerfiles.find((d) => d.path === p)?.contexts.map((c) => [c.dir, c.via, c.source?.line]);
    assert.deepEqual(contexts('services/api/Dockerfile'), [['', 'workflow', 9]]);
    assert.deepEqual(contexts('services/web/Dockerfile'), [['services/web', 'compose', 3]]);
    assert.deepEqual(contexts('services/solo/Dockerfile'), [['services/solo', 'dockerfile-folder', undefined]]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('matrix include/exclude: paths expand per combination; expressions that cannot be resolved stay unresolved', () => {
  const wf = workflow(`on: push
jobs:
  images:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - service: api
            dockerfile: services/api/Dockerfile
          - service: worker
            dockerfile: services/worker/Dockerfile.worker
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: services/\${{ matrix.service }}
          file: \${{ matrix.dockerfile }}
      - run: docker build -f \${{ matrix.dockerfile }} -t "acme/\${{ matrix.service }}:\${GITHUB_SHA}" services/\${{ matrix.service }}
  dynamic:
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - uses: docker/build-push-action@v6
        with:
          file: services/\${{ matrix.service }}/Dockerfile
`);
  const [images, dynamic] = wf.jobs;
  const build = images.steps[0].dockerBuilds[0];
  assert.deepEqual(build.contextDirs, ['services/api', 'services/worker']);
  assert.deepEqual(build.dockerfilePaths, ['services/api/Dockerfile', 'services/worker/Dockerfile.worker']);
  assert.deepEqual(build.targets, [
    { dockerfilePath: 'services/api/Dockerfile', contextDir: 'services/api' },
    { dockerfilePath: 'services/worker/Dockerfile.worker', contextDir: 'services/worker' },
  ]);
  const cli = images.steps[1].dockerBuilds[0];
  assert.deepEqual(cli.targets, build.targets);
  assert.deepEqual(dynamic.steps[0].dockerBuilds[0].dockerfilePaths, []);
});

test('a local composite action contributes its steps to the calling step, at their lines in action.yml', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-action-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  try {
    write('.github/actions/deploy/action.yml', `name: deploy
runs:
  using: composite
  steps:
    - run: |
        docker build -t "$IMAGE" .
        docker push "$IMAGE"
      shell: bash
    - run: aws ecs update-service --cluster prod --service api --force-new-deployment
      shell: bash
`);
    write('.github/workflows/deploy.yml', `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/deploy
`);
    const { model } = await discover(root);
    const step = model.workflows[0].jobs[0].steps[1];
    assert.deepEqual(step.activities.map((a) => [a.kind, a.loc.file, a.loc.line]), [
      ['docker-build', '.github/actions/deploy/action.yml', 6],
      ['docker-push', '.github/actions/deploy/action.yml', 7],
      ['ecs-deploy', '.github/actions/deploy/action.yml', 9],
    ]);
    assert.equal(step.dockerBuilds[0].push, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('branch and path filters of push and pull_request, and the comment beside continue-on-error', () => {
  const wf = workflow(`name: CI
on:
  push:
    branches-ignore: [main]
    tags: ['v*']
  pull_request:
    paths-ignore:
      - '**.md'
jobs:
  flaky:
    runs-on: ubuntu-latest
    # Non-blocking while the adapter suite is incomplete.
    continue-on-error: true
    steps:
      - run: npm test
        continue-on-error: true # upstream outage
      - run: npm run lint
        continue-on-error: true
`);
  assert.deepEqual(wf.pushBranches, []);
  assert.deepEqual(wf.pushBranchesIgnore.map((b) => b.value), ['main']);
  assert.deepEqual(wf.pushTags.map((t) => t.value), ['v*']);
  assert.deepEqual(wf.pullRequestPaths, []);
  assert.deepEqual(wf.pullRequestPathsIgnore.map((p) => p.value), ['**.md']);
  const [job] = wf.jobs;
  assert.equal(job.continueOnErrorNote, 'Non-blocking while the adapter suite is incomplete.');
  assert.equal(job.steps[0].continueOnErrorNote, 'upstream outage');
  assert.equal(job.steps[1].continueOnErrorNote, undefined);
});

test("what a composite action does under its own step's if: keeps that condition", async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-action-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  try {
    write('.github/actions/setup/action.yml', `name: setup
runs:
  using: composite
  steps:
    - run: pnpm install --frozen-lockfile
      shell: bash
    - name: Fallback build on a cache miss
      if: steps.cache.outputs.cache-hit != 'true'
      run: pnpm run build:all
      shell: bash
`);
    write('.github/workflows/ci.yml', `on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/setup
`);
    const { model } = await discover(root);
    const step = model.workflows[0].jobs[0].steps[1];
    assert.deepEqual(step.activities.map((a) => [a.kind, a.condition]), [
      ['install', undefined],
      ['script', "steps.cache.outputs.cache-hit != 'true'"],
      ['build', "steps.cache.outputs.cache-hit != 'true'"],
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
