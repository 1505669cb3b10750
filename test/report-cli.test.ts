import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE, exampleExists, tempRepo } from './golden/repos.js';

const BIN = fileURLToPath(new URL('../bin/shipready.js', import.meta.url));

/** The built CLI (npm test builds first), as CI and the GitHub Action run it. */
function cli(args: string[], cwd: string) {
  const { NO_COLOR, FORCE_COLOR, ...env } = process.env;
  void NO_COLOR;
  void FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string | null;
  fingerprint: string;
  baseline?: string;
  waiver?: { reason: string };
}

test('one run writes several reports; waiving every blocking finding turns exit 1 into exit 0 (WAIVED); --baseline reads the JSON back', { skip: !exampleExists() && 'examples/shopfront is missing' }, () => {
  const repo = tempRepo('shopfront', EXAMPLE);
  const out = join(repo.root, '..');
  try {
    const summary = join(out, 'step-summary.md');
    writeFileSync(summary, '## earlier step\n');
    const first = cli(['audit', repo.root, '--format', 'json', '--output', join(out, 'report.json'), '--report', `sarif=${join(out, 'report.sarif')}`, '--report', `html=${join(out, 'report.html')}`, '--markdown-summary', summary], out);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { gate: { status: string }; findings: JsonFinding[] };
    const blocking = report.findings.filter((f) => ['critical', 'high'].includes(f.severity));
    assert.equal(first.code, blocking.length > 0 ? 1 : 0, first.stderr);
    assert.equal(JSON.parse(readFileSync(join(out, 'report.sarif'), 'utf8')).version, '2.1.0');
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /^<!doctype html>/);
    const appended = readFileSync(summary, 'utf8');
    assert.ok(appended.startsWith('## earlier step\n# '), 'the step summary is appended to, not replaced');
    assert.match(appended, /## Summary by area/);

    // Accept every blocking finding, one waiver per fingerprint: the gate says WAIVED and CI passes.
    writeFileSync(
      join(repo.root, 'shipready.config.json'),
      JSON.stringify({
        waivers: blocking.map((f) => ({ ruleId: f.ruleId, fingerprint: f.fingerprint, reason: 'accepted for the launch, tracked in OPS-142', approvedBy: 'release manager' })),
      }),
    );
    const waived = cli(['audit', repo.root, '--format', 'json', '--baseline', join(out, 'report.json')], out);
    const second = JSON.parse(waived.stdout) as { gate: { status: string }; findings: JsonFinding[]; baseline: { fixed: unknown[]; new: number } };
    if (blocking.length > 0) assert.equal(second.gate.status, 'WAIVED');
    assert.equal(waived.code, 0, waived.stderr);
    assert.ok(second.findings.every((f) => f.baseline === 'open'), 'nothing changed in the code: every finding is still open');
    assert.equal(second.baseline.fixed.length, 0);
    assert.equal(second.findings.filter((f) => f.waiver).length, blocking.length);
  } finally {
    repo.cleanup();
  }
});

test('usage errors: a bad --report, a broken config, a missing baseline exit 2 with one line', () => {
  const repo = tempRepo('tiny', { 'Dockerfile': 'FROM node:20\nUSER node\n' });
  try {
    const badReport = cli(['audit', repo.root, '--report', 'pdf=x.pdf'], repo.root);
    assert.equal(badReport.code, 2);
    assert.match(badReport.stderr, /--report takes <format>=<file>/);
    writeFileSync(join(repo.root, '.shipready.yml'), 'waivers:\n  - ruleId: docker/runs-as-root\n');
    const badConfig = cli(['audit', repo.root], repo.root);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /\.shipready\.yml:2: waivers\[0\] must have required property 'reason'/);
    const noConfig = cli(['audit', repo.root, '--no-config', '--baseline', 'missing.json'], repo.root);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /cannot read the baseline missing\.json/);
  } finally {
    repo.cleanup();
  }
});
