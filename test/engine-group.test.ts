import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupFindings, ungrouped } from '../src/engine/group.js';
import type { Finding } from '../src/engine/finding.js';
import { runRules } from '../src/engine/run.js';
import { discover } from '../src/discover/index.js';
import { defineRule } from '../src/rules/rule.js';
import { renderText } from '../src/report/text.js';
import { audit } from '../src/engine/audit.js';
import { writeFiles } from './helpers/git.js';

/** One finding per root cause; severity follows the evidence. */

function finding(overrides: Partial<Finding>): Finding {
  return { ruleId: 'repo/lockfile-out-of-sync', severity: 'high', title: 't', message: 'm', file: 'package.json', line: 1, related: [], fix: 'f', fingerprint: 'x', ...overrides };
}

test('occurrences of one cause become one finding: the worst first, the others under related, a stable fingerprint', () => {
  const occurrences = [
    finding({ message: 'express ^4.21 not in the lockfile', line: 14, group: { key: 'pnpm-lock.yaml', label: 'express' } }),
    finding({ message: 'zod ^3 not in the lockfile', line: 9, severity: 'critical', group: { key: 'pnpm-lock.yaml', label: 'zod' } }),
    finding({ message: 'pino ^9 not in the lockfile', line: 20, group: { key: 'pnpm-lock.yaml', label: 'pino' } }),
    finding({ ruleId: 'docker/runs-as-root', message: 'root', file: 'Dockerfile', line: 1 }),
  ];
  const grouped = groupFindings(occurrences);
  assert.equal(grouped.length, 2);
  const lockfile = grouped.find((f) => f.ruleId === 'repo/lockfile-out-of-sync')!;
  assert.equal(lockfile.severity, 'critical');
  assert.equal(lockfile.line, 9);
  assert.equal(lockfile.occurrences, 3);
  assert.equal(lockfile.message, 'zod ^3 not in the lockfile (and 2 more of the same cause: express, pino; each is listed under related)');
  assert.deepEqual(lockfile.related.map((r) => `${r.file}:${r.line}`), ['package.json:14', 'package.json:20']);
  assert.equal('group' in lockfile, false, 'the grouping key is internal');
  // The fingerprint is the cause's: fixing one occurrence does not make the finding "new".
  const afterOneFix = groupFindings(occurrences.filter((f) => !f.message.startsWith('pino')));
  assert.equal(afterOneFix.find((f) => f.ruleId === 'repo/lockfile-out-of-sync')!.fingerprint, lockfile.fingerprint);
  // --no-group: every place apart, as the rules reported them.
  assert.equal(ungrouped(occurrences).length, 4);
});

test('a statement several rules object to is one finding under the worst rule', () => {
  const key = { key: 'statement\u0000m/1.sql\u0000ALTER TABLE t DROP COLUMN a, ADD COLUMN b int NOT NULL', acrossRules: true };
  const grouped = groupFindings([
    finding({ ruleId: 'migrations/adding-required-field', severity: 'medium', message: 'ADD COLUMN NOT NULL', file: 'm/1.sql', line: 1, group: key }),
    finding({ ruleId: 'migrations/drop-column', severity: 'critical', message: 'DROP COLUMN a', file: 'm/1.sql', line: 1, group: key }),
  ]);
  assert.equal(grouped.length, 1);
  assert.equal(grouped[0].ruleId, 'migrations/drop-column');
  assert.match(grouped[0].message, /\(the same cause also triggers migrations\/adding-required-field; see related\)$/);
});

test('a finding that rests on an assumption is at most medium and says what it assumed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-assume-'));
  writeFiles(root, { 'package.json': '{"name":"x"}' });
  try {
    const rule = defineRule({
      id: 'test/assumed',
      severity: 'critical',
      title: 'A rule for the test',
      messages: { m: { message: 'the service cannot start', fix: 'fix it' } },
      check(_model, report) {
        report('m', { file: 'package.json', line: 1 }, {}, { assumes: 'that the container runs this package (a name match)' });
        report('m', { file: 'package.json', line: 1 }, {}, { severity: 'low', assumes: 'something' });
      },
    });
    const { model } = await discover(root);
    const { findings } = runRules(model, [rule]);
    assert.deepEqual(findings.map((f) => f.severity), ['medium', 'low']);
    assert.equal(findings[0].message, 'the service cannot start (assumed: that the container runs this package (a name match))');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the text report lists a few places of a grouped cause and says where the rest are', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-group-text-'));
  const files: Record<string, string> = { 'package.json': '{"name":"x"}' };
  writeFiles(root, files);
  try {
    const rule = defineRule({
      id: 'test/many',
      severity: 'high',
      title: 'A rule for the test',
      messages: { m: { message: 'variable {{n}} is missing', fix: 'set it' } },
      check(_model, report) {
        for (let n = 1; n <= 12; n++) report('m', { file: 'package.json', line: 1 }, { n }, { group: { key: 'task', label: `V${n}` }, key: `V${n}` });
      },
    });
    const result = await audit(root, { rules: [rule], config: false });
    assert.equal(result.findings.length, 1);
    assert.equal(result.findings[0].occurrences, 12);
    const text = renderText(result, { color: false, showPassed: false });
    assert.match(text, /↳ … 5 more \(every place: --format json, or --no-group\)/);
    const flat = await audit(root, { rules: [rule], config: false, group: false });
    assert.equal(flat.findings.length, 12);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
