import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { ConfigError } from '../src/engine/config.js';
import { renderJson } from '../src/report/json.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderPrompt } from '../src/report/prompt.js';
import { renderText } from '../src/report/text.js';
import { findRule } from '../src/rules/index.js';
import { SERVICES_REPO, tempRepo } from './golden/repos.js';

const ROOT = 'docker/runs-as-root';
/** Two rules, so that rules added later cannot change which findings these repositories have. */
const RULES = [findRule(ROOT)!, findRule('repo/parse-error')!];
const key = (f: { ruleId: string; file: string | null }) => `${f.file} ${f.ruleId}`;

test('run, fix two problems, run with --baseline: exactly those two fixed, the rest open, a new problem new', async () => {
  const repo = tempRepo('fleet', SERVICES_REPO);
  try {
    const first = await audit(repo.root, { rules: RULES, config: false });
    const baselineFile = join(repo.root, '..', 'baseline.json');
    writeFileSync(baselineFile, renderJson(first));
    const before = first.findings.map(key);
    assert.ok(before.includes(`services/api/Dockerfile ${ROOT}`) && before.includes(`services/billing/Dockerfile ${ROOT}`), before.join('\n'));

    // Fix two: api gets a USER, billing stops switching to root.
    repo.write('services/api/Dockerfile', SERVICES_REPO['services/api/Dockerfile'].replace('CMD ["node"', 'USER node\nCMD ["node"'));
    repo.write('services/billing/Dockerfile', SERVICES_REPO['services/billing/Dockerfile'].replace('USER root', 'USER node'));
    // Unrelated lines move above a problem that stays: it must remain "open", not become new.
    repo.write('services/legacy/Dockerfile', '# syntax=docker/dockerfile:1\n# legacy service, rebuilt next quarter\n\n' + SERVICES_REPO['services/legacy/Dockerfile']);
    // A new problem.
    repo.write('services/reports/Dockerfile', 'FROM node:20-alpine\nWORKDIR /app\nCOPY dist ./dist\nCMD ["node", "dist/reports.js"]\n');

    const second = await audit(repo.root, { rules: RULES, config: false, baseline: baselineFile });
    const b = second.baseline!;
    assert.deepEqual(b.fixed.map(key).sort(), [`services/api/Dockerfile ${ROOT}`, `services/billing/Dockerfile ${ROOT}`]);
    const legacy = second.findings.find((f) => f.file === 'services/legacy/Dockerfile' && f.ruleId === ROOT)!;
    assert.equal(legacy.line, 4, 'the FROM line moved down three lines');
    assert.equal(legacy.baseline, 'open');
    const fresh = second.findings.find((f) => f.file === 'services/reports/Dockerfile' && f.ruleId === ROOT)!;
    assert.equal(fresh.baseline, 'new');
    // Everything else was there before and is still there.
    for (const f of second.findings) {
      if (f.file === 'services/reports/Dockerfile') assert.equal(f.baseline, 'new', key(f));
      else assert.equal(f.baseline, 'open', `${key(f)} should be open`);
    }
    assert.equal(b.open + b.new, second.findings.length);
    assert.equal(b.open, first.findings.length - 2);

    // Every human format shows the status.
    const text = renderText(second, { color: false });
    assert.match(text, /services\/reports\/Dockerfile:1 +docker\/runs-as-root \[new\]/);
    assert.match(text, /FIXED SINCE THE BASELINE \(2\)/);
    const md = renderMarkdown(second);
    assert.match(md, /2 fixed, \d+ still open, \d+ new/);
    assert.match(md, /fixed: `services\/api\/Dockerfile:8` Container runs as root/);
    const prompt = renderPrompt(second);
    assert.match(prompt, /### Fixed \(2\): no action needed\n\n- Container runs as root: `services\/api\/Dockerfile:8`/);
    assert.match(prompt, /### New since then \(\d+\)\n\n(- .*\n)*- HIGH: Container runs as root: `services\/reports\/Dockerfile:1`/);
    assert.match(prompt, /### Still open \(\d+\)\n\n(- .*\n)*- HIGH: Container runs as root: `services\/legacy\/Dockerfile:4`/);
    const json = JSON.parse(renderJson(second));
    assert.equal(json.findings.find((f: { file: string; ruleId: string }) => f.file === 'services/reports/Dockerfile' && f.ruleId === ROOT).baseline, 'new');
    assert.deepEqual(json.baseline.fixed.map(key).sort(), [`services/api/Dockerfile ${ROOT}`, `services/billing/Dockerfile ${ROOT}`]);
  } finally {
    repo.cleanup();
  }
});

test('a changed offending line is a new finding; its old self is fixed', async () => {
  const repo = tempRepo('fleet', { 'Dockerfile': 'FROM node:20\nUSER root\n' });
  try {
    const baselineFile = join(repo.root, '..', 'baseline.json');
    writeFileSync(baselineFile, renderJson(await audit(repo.root, { rules: RULES, config: false })));
    repo.write('Dockerfile', 'FROM node:20\nUSER 0\n');
    const second = await audit(repo.root, { rules: RULES, config: false, baseline: baselineFile });
    assert.deepEqual(second.findings.filter((f) => f.ruleId === ROOT).map((f) => f.baseline), ['new']);
    assert.deepEqual(second.baseline!.fixed.filter((e) => e.ruleId === ROOT).map((e) => e.line), [2]);
  } finally {
    repo.cleanup();
  }
});

test('findings of a rule that no longer runs are not called fixed', async () => {
  const repo = tempRepo('fleet', { 'Dockerfile': 'FROM node:20\nUSER root\n' });
  try {
    const baselineFile = join(repo.root, '..', 'baseline.json');
    writeFileSync(baselineFile, renderJson(await audit(repo.root, { rules: RULES, config: false })));
    repo.write('shipready.config.json', JSON.stringify({ rules: { [ROOT]: 'off' } }));
    const second = await audit(repo.root, { rules: RULES, baseline: baselineFile });
    assert.equal(second.baseline!.fixed.filter((e) => e.ruleId === ROOT).length, 0);
    assert.deepEqual(second.baseline!.notChecked.map((e) => e.ruleId), [ROOT]);
  } finally {
    repo.cleanup();
  }
});

test('--write-baseline writes a report that --baseline reads back; a bad baseline is refused with its reason', async () => {
  const repo = tempRepo('fleet', SERVICES_REPO);
  try {
    const file = join(repo.root, '..', 'written.json');
    const { runAuditCommand } = await import('../src/commands/audit.js');
    const out = process.stdout.write;
    process.stdout.write = () => true;
    try {
      await runAuditCommand(repo.root, { format: 'json', writeBaseline: file, config: false });
    } finally {
      process.stdout.write = out;
    }
    const again = await audit(repo.root, { rules: RULES, config: false, baseline: file });
    assert.equal(again.baseline!.fixed.length, 0);
    assert.equal(again.baseline!.new, 0);
    assert.ok(again.findings.every((f) => f.baseline === 'open'));
    assert.ok(JSON.parse(readFileSync(file, 'utf8')).findings.length > 0);

    writeFileSync(file, '{"tool": {"name": "shipready"}}');
    await assert.rejects(audit(repo.root, { rules: RULES, config: false, baseline: file }), (err: Error) => err instanceof ConfigError && /no "findings" array/.test(err.message));
    writeFileSync(file, 'not json');
    await assert.rejects(audit(repo.root, { rules: RULES, config: false, baseline: file }), /is not JSON/);
    await assert.rejects(audit(repo.root, { rules: RULES, config: false, baseline: file + '.missing' }), /cannot read the baseline/);
  } finally {
    repo.cleanup();
  }
});
