import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { FIXTURES, FIXTURE_TODAY, toLine } from './helpers/fixtures.js';

/** Audits a repository made of the given files and returns the findings of one rule as `file:line rule`. */
async function findings(files: Record<string, string>, ruleId: string): Promise<{ lines: string[]; messages: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-ci-field-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const result = await audit(root, { now: FIXTURE_TODAY });
    const own = result.findings.filter((f) => f.ruleId === ruleId);
    return { lines: own.map(toLine).sort(), messages: own.map((f) => f.message) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const silentDeploy = readFileSync(join(FIXTURES, 'ci/deployed-tag-not-pushed/silent/.github/workflows/deploy.yml'), 'utf8');

test('deployed-tag-not-pushed: the silent fixture is silent because its tags resolve equal, not because they are unknown', async () => {
  // Same workflow, but the build pushes :latest: both renders (needs output, env IMAGE_TAG) now resolve to a tag never pushed.
  const text = silentDeploy.replaceAll('$ECR_REPOSITORY:$GITHUB_SHA', '$ECR_REPOSITORY:latest');
  assert.notEqual(text, silentDeploy);
  const { lines, messages } = await findings({ '.github/workflows/deploy.yml': text }, 'ci/deployed-tag-not-pushed');
  assert.deepEqual(lines, ['.github/workflows/deploy.yml:33 ci/deployed-tag-not-pushed', '.github/workflows/deploy.yml:39 ci/deployed-tag-not-pushed']);
  assert.match(messages[0], /<ECR registry>\/shop-api:\$\{\{ github\.sha \}\}/);
  assert.match(messages[0], /pushes "<ECR registry>\/shop-api:latest"/);
});

test('deployed-tag-not-pushed: a push in a job the deploy does not wait for is no proof', async () => {
  const text = silentDeploy.replaceAll('$ECR_REPOSITORY:$GITHUB_SHA', '$ECR_REPOSITORY:latest').replace('    needs: build\n', '');
  const { lines } = await findings({ '.github/workflows/deploy.yml': text }, 'ci/deployed-tag-not-pushed');
  // The first render reads needs.build.outputs (so it still names the job); the second has no link to the build.
  assert.deepEqual(lines, []);
});

test('deployed-tag-not-pushed: a tag written to $GITHUB_ENV mid-run is unknown', async () => {
  const text = silentDeploy
    .replaceAll('$ECR_REPOSITORY:$GITHUB_SHA', '$ECR_REPOSITORY:$IMAGE_TAG')
    .replace('      - id: build-image\n', '      - run: echo "IMAGE_TAG=$(date +%s)" >> $GITHUB_ENV\n      - id: build-image\n');
  const { lines } = await findings({ '.github/workflows/deploy.yml': text }, 'ci/deployed-tag-not-pushed');
  assert.deepEqual(lines, []);
});

test('oidc-misconfigured: id-token granted at workflow level reaches jobs without their own block only', async () => {
  const workflow = [
    'on: push',
    'permissions:',
    '  id-token: write',
    '  contents: read',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: aws-actions/configure-aws-credentials@v4',
    '        with: { role-to-assume: "arn:aws:iam::1:role/a", aws-region: eu-west-1 }',
    '  b:',
    '    runs-on: ubuntu-latest',
    '    permissions: read-all',
    '    steps:',
    '      - uses: aws-actions/configure-aws-credentials@v4',
    '        with: { role-to-assume: "arn:aws:iam::1:role/b", aws-region: eu-west-1 }',
    '',
  ].join('\n');
  const { lines, messages } = await findings({ '.github/workflows/deploy.yml': workflow }, 'ci/oidc-misconfigured');
  assert.deepEqual(lines, ['.github/workflows/deploy.yml:16 ci/oidc-misconfigured']);
  assert.match(messages[0], /`read-all`/);
});

test('deployed-tag-not-pushed: matrix tags are expanded per combination and compared one by one', async () => {
  const path = '.github/workflows/deploy.yml';
  const original = readFileSync(join(FIXTURES, 'scenarios/well-configured-pipeline', path), 'utf8');
  const taskDefinition = readFileSync(join(FIXTURES, 'scenarios/well-configured-pipeline/deploy/api-task-definition.json'), 'utf8');
  // As written: ledger-api:<sha> is pushed by the matrix row service=api.
  assert.deepEqual((await findings({ [path]: original, 'deploy/api-task-definition.json': taskDefinition }, 'ci/deployed-tag-not-pushed')).lines, []);
  // Pushed only as :latest: the render of ledger-api:<sha> is never pushed.
  const latest = original.replace('docker push "$ECR_REGISTRY/ledger-${{ matrix.service }}:${GITHUB_SHA}"', 'docker push "$ECR_REGISTRY/ledger-${{ matrix.service }}:latest"');
  assert.notEqual(latest, original);
  const { lines, messages } = await findings({ [path]: latest, 'deploy/api-task-definition.json': taskDefinition }, 'ci/deployed-tag-not-pushed');
  assert.deepEqual(lines, [`${path}:69 ci/deployed-tag-not-pushed`]);
  assert.match(messages[0], /pushes "<ECR registry>\/ledger-api:latest"/);
  assert.doesNotMatch(messages[0], /ledger-worker/);
});

test('deployed-tag-not-pushed: AWS starter workflow, ::set-output, and tags chosen by inputs stay silent', async () => {
  const starter = readFileSync(join(FIXTURES, 'ci/taskdef-container-name-mismatch/fires-starter-env/.github/workflows/aws.yml'), 'utf8');
  const rule = 'ci/deployed-tag-not-pushed';
  assert.deepEqual((await findings({ '.github/workflows/aws.yml': starter }, rule)).lines, []);
  const setOutput = starter.replace('echo "image=$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG" >> $GITHUB_OUTPUT', 'echo "::set-output name=image::$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG"');
  assert.notEqual(setOutput, starter);
  assert.deepEqual((await findings({ '.github/workflows/aws.yml': setOutput }, rule)).lines, []);
  // The same workflow with the output written as :latest proves the output was read (and fires).
  const wrongOutput = starter.replace('echo "image=$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG"', 'echo "image=$ECR_REGISTRY/$ECR_REPOSITORY:latest"');
  assert.deepEqual((await findings({ '.github/workflows/aws.yml': wrongOutput }, rule)).lines, ['.github/workflows/aws.yml:50 ci/deployed-tag-not-pushed']);
  // A tag chosen at dispatch time may be the pushed one: no proof.
  const byInput = starter.replace('image: ${{ steps.build-image.outputs.image }}', 'image: ${{ steps.login-ecr.outputs.registry }}/my-app:${{ inputs.tag }}');
  assert.notEqual(byInput, starter);
  assert.deepEqual((await findings({ '.github/workflows/aws.yml': byInput }, rule)).lines, []);
});
