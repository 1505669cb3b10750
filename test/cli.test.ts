import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { allRules } from '../src/rules/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/shipready.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/docker/runs-as-root/fires', import.meta.url));
const SILENT = fileURLToPath(new URL('./fixtures/docker/runs-as-root/silent', import.meta.url));

/** Runs the built CLI (npm test builds first), without a TTY and without colour settings inherited. */
function cli(args: string[], env: Record<string, string> = {}) {
  const { NO_COLOR, FORCE_COLOR, ...rest } = process.env;
  void NO_COLOR;
  void FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...rest, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rules lists every rule with id, severity and title', () => {
  const r = cli(['rules']);
  assert.equal(r.code, 0);
  for (const rule of allRules) {
    const line = r.stdout.split('\n').find((l) => l.startsWith(rule.id + ' '));
    assert.ok(line, `${rule.id} missing from "shipready rules"`);
    assert.ok(line.includes(rule.severity) && line.includes(rule.title), line);
  }
});

test('explain prints the rule doc; an unknown rule is a usage error', () => {
  const r = cli(['explain', 'docker/runs-as-root']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /## Why it breaks on ECS/);
  assert.match(r.stdout, /USER node/);
  const bad = cli(['explain', 'docker/no-such-rule']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no rule "docker\/no-such-rule"/);
});

test('exit codes: 1 at or above --fail-on, 0 below, 2 for usage errors', () => {
  // The fixture's findings are high: they fail the default threshold (high) but not --fail-on critical.
  assert.equal(cli(['audit', FIXTURE]).code, 1);
  assert.equal(cli(['audit', FIXTURE, '--fail-on', 'critical']).code, 0);
  assert.equal(cli(['audit', SILENT, '--fail-on', 'critical']).code, 0);
  assert.equal(cli(['audit', FIXTURE, '--fail-on', 'urgent']).code, 2);
  assert.equal(cli(['audit', '/no/such/folder']).code, 2);
  assert.equal(cli(['audit', FIXTURE, '--format', 'yaml']).code, 2);
  assert.equal(cli(['frobnicate']).code, 2);
  assert.equal(cli(['--version']).code, 0);
});

test('text report: file:line, message, fix, summary line; colour only when asked', () => {
  const plain = cli(['audit', FIXTURE]);
  assert.match(plain.stdout, /Dockerfile:8 {2}docker\/runs-as-root/);
  assert.match(plain.stdout, /fix: /);
  assert.match(plain.stdout, /Gate: FAIL {2}score \d+\/100/);
  assert.match(plain.stdout, /PASSED \(\d+\)/);
  assert.doesNotMatch(plain.stdout, /\u001b\[/, 'no ANSI codes when stdout is not a TTY');
  const forced = cli(['audit', FIXTURE], { FORCE_COLOR: '1' });
  assert.match(forced.stdout, /\u001b\[/);
  const noColor = cli(['audit', FIXTURE], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.doesNotMatch(noColor.stdout, /\u001b\[/, 'NO_COLOR wins');
});

test('JSON report validates against schema/report.schema.json', () => {
  const r = cli(['audit', FIXTURE, '--format', 'json']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as { tool: { name: string }; findings: { ruleId: string; file: string; line: number }[] };
  const schema = JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv({ allErrors: true }).compile(schema);
  assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
  const finding = report.findings.find((f) => f.ruleId === 'docker/runs-as-root')!;
  assert.equal(finding.file, 'Dockerfile');
  assert.equal(finding.line, 8);
  assert.equal(report.tool.name, 'shipready');
});

test('audit never writes into the audited repository', async () => {
  const { cpSync, mkdtempSync, readdirSync, statSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createHash } = await import('node:crypto');
  const root = mkdtempSync(join(tmpdir(), 'shipready-readonly-'));
  cpSync(fileURLToPath(new URL('../examples/shopfront', import.meta.url)), root, { recursive: true });
  const snapshot = () => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const st = statSync(p);
          out.push(`${p} ${st.size} ${st.mtimeMs} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
        }
      }
    };
    walk(root);
    return out.sort();
  };
  try {
    const before = snapshot();
    const r = cli(['audit', root, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.deepEqual(snapshot(), before);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('audit finishes on a Dockerfile without WORKDIR whose CMD names a relative file', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const root = mkdtempSync(join(tmpdir(), 'shipready-noworkdir-'));
  try {
    writeFileSync(join(root, 'package.json'), '{ "name": "svc", "main": "server.js", "dependencies": { "express": "^4.21.0" } }\n');
    writeFileSync(join(root, 'server.js'), "require('express')().listen(3000);\n");
    writeFileSync(join(root, 'Dockerfile'), 'FROM node:20-alpine\nCOPY . .\nCMD ["node", "server.js"]\n');
    const r = spawnSync(process.execPath, [BIN, 'audit', root, '--format', 'json'], { encoding: 'utf8', timeout: 20000 });
    assert.notEqual(r.signal, 'SIGTERM', 'audit did not finish within 20 s');
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.ok(JSON.parse(r.stdout).findings.length > 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
