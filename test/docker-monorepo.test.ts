import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, toLine } from './helpers/fixtures.js';
import { imageAnalysis } from '../src/rules/docker/_image.js';
import { buildFacts } from '../src/rules/docker/_build.js';

/**
 * Seed 001 rebuilt from scratch: a pnpm monorepo whose worker images install with npm, one service
 * with an unfrozen pnpm install, a worker on Node 16 under engines >=18, and two correct multi-stage
 * pnpm Dockerfiles (pnpm deploy; production install in the final stage) that must stay clean.
 */
const MONOREPO = join(FIXTURES, 'docker/package-manager-mismatch/fires-pnpm-monorepo');
const CORRECT = ['services/api-gateway/Dockerfile', 'services/trainer-service/Dockerfile'];

test('seed 001 monorepo: docker findings with exact lines', async () => {
  const { result, cleanup } = await auditFixture(MONOREPO);
  try {
    const docker = result.findings.filter((f) => f.ruleId.startsWith('docker/')).map(toLine).sort();
    // The workers' `npm install` has no package-lock.json to follow: package-manager-mismatch says
    // so, and unfrozen-install (which is about ignoring a lockfile that exists) stays silent.
    assert.deepEqual(docker, [
      'services/notification-service/Dockerfile:8 docker/unfrozen-install',
      'services/purchase-worker/Dockerfile:1 docker/base-image-unpinned',
      'services/purchase-worker/Dockerfile:7 docker/package-manager-mismatch',
      'services/session-worker/Dockerfile:7 docker/package-manager-mismatch',
    ]);
    const mismatch = result.findings.find((f) => f.ruleId === 'docker/package-manager-mismatch')!;
    assert.match(mismatch.message, /npm install --legacy-peer-deps/);
    assert.match(mismatch.message, /package\*\.json/);
    assert.ok(mismatch.related.some((r) => r.file === 'package.json'), 'names the packageManager declaration');
    const engines = result.findings.find((f) => f.ruleId === 'docker/base-image-unpinned')!;
    assert.match(engines.message, /Node 16, outside engines\.node ">=18\.0\.0"/);
  } finally {
    cleanup();
  }
});

test('seed 001 monorepo: the correct multi-stage pnpm Dockerfiles produce no finding of any rule', async () => {
  const { result, cleanup } = await auditFixture(MONOREPO);
  try {
    const onCorrect = result.findings.filter((f) => f.file && CORRECT.includes(f.file)).map((f) => `${toLine(f)}: ${f.message}`);
    assert.deepEqual(onCorrect, []);
  } finally {
    cleanup();
  }
});

test('seed 001 monorepo: silence on the correct images is proven, not guessed', async () => {
  const { result, cleanup } = await auditFixture(MONOREPO);
  try {
    const { model } = result;
    for (const [path, entry] of [
      ['services/api-gateway/Dockerfile', '/app/dist/index.js'],
      ['services/trainer-service/Dockerfile', '/app/services/trainer-service/dist/index.js'],
      ['services/session-worker/Dockerfile', '/app/services/session-worker/dist/index.js'],
    ] as const) {
      const dockerfile = model.dockerfiles.find((d) => d.path === path)!;
      const facts = buildFacts(model, dockerfile);
      assert.equal(facts.contexts[0].dir, '', `${path} is built from the repository root`);
      const final = dockerfile.stages[dockerfile.stages.length - 1];
      assert.equal(imageAnalysis(model, dockerfile, '').has(final, entry), 'yes', `${path}: ${entry}`);
    }
    const trainer = model.dockerfiles.find((d) => d.path === 'services/trainer-service/Dockerfile')!;
    const final = trainer.stages[trainer.stages.length - 1];
    assert.equal(imageAnalysis(model, trainer, '').has(final, '/app/services/trainer-service/build/index.js'), 'no');
  } finally {
    cleanup();
  }
});
