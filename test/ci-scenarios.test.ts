import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, readExpected, toLine } from './helpers/fixtures.js';
import type { Finding } from '../src/engine/finding.js';

/** The findings of the pipeline areas: other areas' rules fire on these repositories too and are not compared here. */
function isPipelineFinding(f: Finding): boolean {
  return f.ruleId.startsWith('ci/') || f.ruleId.startsWith('compose/') || f.ruleId === 'repo/dependency-updates-missing';
}

test('seed 000 pipeline: one finding per remaining fix, at the exact line', async () => {
  const dir = join(FIXTURES, 'scenarios', 'seed-000-pipeline');
  const expected = readExpected(dir);
  const { result, cleanup } = await auditFixture(dir);
  try {
    const pipeline = result.findings.filter(isPipelineFinding);
    const detail = pipeline.map((f) => `${toLine(f)} [${f.severity}]: ${f.message}`).join('\n');
    assert.deepEqual(pipeline.map(toLine).sort(), expected.lines, detail);
    // The wrong Dockerfile path is critical and names the Dockerfile that exists.
    const paths = pipeline.filter((f) => f.ruleId === 'ci/path-not-found');
    for (const f of paths) {
      assert.equal(f.severity, 'critical');
      assert.match(f.message, /infrastructure\/docker\/Dockerfile\.service/);
      assert.match(f.message, /deploy\/docker\/Dockerfile\.service/);
      assert.deepEqual(f.related.map((r) => r.file), ['deploy/docker/Dockerfile.service']);
    }
    // Things done right give nothing: SHA tags, restrictive permissions with an OIDC role.
    assert.ok(!pipeline.some((f) => f.ruleId === 'ci/mutable-image-tag' || f.ruleId === 'ci/permissions'));
    assert.equal(result.errors.length, 0, result.errors.map((e) => e.message).join('\n'));
  } finally {
    cleanup();
  }
});

test('seed 000 pipeline: the workflow build context reaches the Dockerfile model', async () => {
  const dir = join(FIXTURES, 'scenarios', 'seed-000-pipeline');
  const { result, cleanup } = await auditFixture(dir);
  try {
    const dockerfile = result.model.dockerfiles.find((d) => d.path === 'deploy/docker/Dockerfile.service');
    assert.ok(dockerfile);
    // Compose builds it from the repository root (context ../.. from deploy/docker).
    assert.deepEqual(dockerfile.contexts.map((c) => [c.dir, c.via]), [['', 'compose']]);
  } finally {
    cleanup();
  }
});

test('well-configured pipeline: no ci/compose/dependency finding of medium severity or above', async () => {
  const dir = join(FIXTURES, 'scenarios', 'well-configured-pipeline');
  const { result, cleanup } = await auditFixture(dir);
  try {
    const serious = result.findings.filter((f) => isPipelineFinding(f) && ['critical', 'high', 'medium'].includes(f.severity));
    assert.deepEqual(serious.map((f) => `${toLine(f)} [${f.severity}]: ${f.message}`), []);
    // The pipeline was understood, not skipped: it builds, scans, deploys, smoke-tests and can roll back.
    const kinds = new Set(result.model.workflows.flatMap((w) => w.jobs.flatMap((j) => j.steps.flatMap((s) => s.activities.map((a) => a.kind)))));
    for (const kind of ['install', 'audit', 'docker-build', 'image-scan', 'ecs-deploy', 'smoke-test', 'rollback'] as const) assert.ok(kinds.has(kind), `no ${kind} recognised`);
    assert.equal(result.model.dependencyUpdates.length, 1);
    assert.equal(result.errors.length, 0, result.errors.map((e) => e.message).join('\n'));
  } finally {
    cleanup();
  }
});
