import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { computeGate } from '../src/engine/gate.js';
import { parseIgnoreComment } from '../src/engine/ignores.js';
import type { Finding } from '../src/engine/finding.js';
import { findRule } from '../src/rules/index.js';

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shipready-engine-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const rootRule = [findRule('docker/runs-as-root')!];

test('ignore comments: every comment syntax, a reason is required', () => {
  assert.deepEqual(parseIgnoreComment('# shipready-ignore docker/runs-as-root: base image drops privileges', 3), {
    ruleIds: ['docker/runs-as-root'], reason: 'base image drops privileges', line: 3,
  });
  assert.equal(parseIgnoreComment('// shipready-ignore src/cors-wildcard, src/listen-localhost: dev only', 1)?.ruleIds.length, 2);
  assert.equal(parseIgnoreComment('-- shipready-ignore migrations/drop-column: column unused since v2', 1)?.reason, 'column unused since v2');
  assert.equal(parseIgnoreComment('/* shipready-ignore a/b: why */', 1)?.reason, 'why');
  assert.equal(parseIgnoreComment('<!-- shipready-ignore a/b: why -->', 1)?.reason, 'why');
  assert.equal(parseIgnoreComment('# shipready-ignore docker/runs-as-root', 1)?.reason, '');
  assert.equal(parseIgnoreComment('RUN echo shipready-ignore', 1), undefined);
});

test('an ignore comment with a reason silences the finding and is reported; without a reason it does not apply', async () => {
  const root = repo({
    'a/Dockerfile': 'FROM node:20\n# shipready-ignore docker/runs-as-root: image is run with --user by the platform\nUSER root\n',
    'b/Dockerfile': 'FROM node:20\n# shipready-ignore docker/runs-as-root\nUSER root\n',
  });
  try {
    const result = await audit(root, { rules: rootRule });
    assert.deepEqual(result.findings.map((f) => `${f.file}:${f.line}`), ['b/Dockerfile:3']);
    assert.match(result.findings[0].message, /gives no reason, so it does not apply/);
    assert.deepEqual(result.ignored.map((i) => [i.finding.file, i.reason, i.comment]).sort(), [
      ['a/Dockerfile', 'image is run with --user by the platform', 'a/Dockerfile:2'],
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fingerprints stay the same when unrelated lines move, and differ per occurrence', async () => {
  const root = repo({ 'Dockerfile': 'FROM node:20\nUSER root\n', 'w/Dockerfile': 'FROM node:20\nUSER root\n' });
  try {
    const first = await audit(root, { rules: rootRule });
    writeFileSync(join(root, 'Dockerfile'), '# syntax=docker/dockerfile:1\n\nFROM node:20\nRUN echo hi\nUSER root\n');
    const second = await audit(root, { rules: rootRule });
    const byFile = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [f.file, f.fingerprint]));
    assert.equal(second.findings.find((f) => f.file === 'Dockerfile')?.line, 5);
    assert.deepEqual(byFile(second.findings), byFile(first.findings));
    assert.notEqual(byFile(first.findings)['Dockerfile'], byFile(first.findings)['w/Dockerfile']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function finding(severity: Finding['severity'], waived = false): Finding {
  return {
    ruleId: 'x/y', severity, title: 't', message: 'm', file: 'f', line: 1, related: [], fix: 'f', fingerprint: 'abcdefgh',
    ...(waived ? { waiver: { ruleId: 'x/y', reason: 'accepted', source: 'test' } } : {}),
  };
}

test('gate and score', () => {
  assert.deepEqual(computeGate([], 'high'), { status: 'PASS', score: 100, failOn: 'high' });
  assert.equal(computeGate([finding('low'), finding('info')], 'high').status, 'PASS');
  assert.equal(computeGate([finding('medium')], 'high').status, 'CONCERNS');
  assert.equal(computeGate([finding('high')], 'high').status, 'FAIL');
  assert.equal(computeGate([finding('high')], 'critical').status, 'CONCERNS');
  assert.equal(computeGate([finding('high', true), finding('low')], 'high').status, 'WAIVED');
  assert.equal(computeGate([finding('high', true), finding('critical')], 'high').status, 'FAIL');
  // Two highs and three mediums: 100 - 2×10 - 3×5.
  assert.equal(computeGate([finding('high'), finding('high'), finding('medium'), finding('medium'), finding('medium')], 'high').score, 65);
  assert.equal(computeGate(Array.from({ length: 9 }, () => finding('critical')), 'high').score, 0);
});

test('findings are sorted worst first, then by file and line', async () => {
  const root = repo({ 'z/Dockerfile': 'FROM node:20\n', 'a/Dockerfile': 'FROM node:20\n', 'broken/Dockerfile': 'FROM node:20\nCOPPY x y\n' });
  try {
    const result = await audit(root, { rules: [...rootRule, findRule('repo/parse-error')!] });
    assert.deepEqual(result.findings.map((f) => `${f.severity} ${f.file}:${f.line}`), [
      'high a/Dockerfile:1',
      'high broken/Dockerfile:1',
      'high broken/Dockerfile:2',
      'high z/Dockerfile:1',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('migration commands are recognised however they are started', async () => {
  const { classifyMigrationCommand, toolArgv } = await import('../src/model/shell.js');
  const run = (text: string) => classifyMigrationCommand(text.split(' '));
  assert.deepEqual(toolArgv(['npx', '-y', 'prisma@5.22.0', 'migrate', 'deploy']), ['prisma', 'migrate', 'deploy']);
  assert.deepEqual(toolArgv(['npm', 'exec', '--', 'ts-node', 'src/main.ts']), ['ts-node', 'src/main.ts']);
  assert.deepEqual(toolArgv(['node_modules/.bin/knex', 'migrate:latest']), ['knex', 'migrate:latest']);
  assert.equal(run('npx prisma migrate deploy')?.action, 'run');
  assert.equal(run('pnpm prisma migrate status')?.action, 'check');
  assert.equal(run('node node_modules/typeorm/cli.js migration:run -d dist/data-source.js')?.tool, 'typeorm');
  assert.equal(run('yarn knex migrate:latest --knexfile knexfile.ts')?.action, 'run');
  assert.equal(run('drizzle-kit check')?.action, 'check');
  assert.equal(run('node-pg-migrate up')?.action, 'run');
  assert.equal(run('npx sequelize-cli db:migrate')?.tool, 'sequelize');
  assert.equal(run('prisma generate'), undefined);
  assert.equal(run('npm run build'), undefined);
});
