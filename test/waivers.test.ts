import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { audit } from '../src/engine/audit.js';
import { ConfigError, parseConfig } from '../src/engine/config.js';
import { renderJson } from '../src/report/json.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderPrompt } from '../src/report/prompt.js';
import { renderText } from '../src/report/text.js';
import { findRule } from '../src/rules/index.js';
import { tempRepo } from './golden/repos.js';

const ROOT = 'docker/runs-as-root';
/**
 * The waiver machinery is the same whatever the rule; the tests run two rules so that rules added
 * later cannot change which findings exist in these small repositories.
 */
const RULES = [findRule(ROOT)!, findRule('repo/parse-error')!];

/** One blocking problem (a service image running as root) and nothing else the current rules report. */
const ONE_SERVICE = {
  'package.json': JSON.stringify({ name: 'payments', private: true }, null, 2) + '\n',
  'services/payments/Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY dist ./dist\nCMD ["node", "dist/main.js"]\n',
};

const WAIVER = {
  ruleId: ROOT,
  path: 'services/payments/**',
  reason: 'the payments image is rebuilt on the hardened base in sprint 2; accepted for the MVP launch',
  approvedBy: 'Dana Ortiz (product owner)',
  approvedAt: '2026-03-02',
  expires: '2026-06-30',
};

test('a waiver with reason and approver turns FAIL into WAIVED, and shows under "what not to do"', async () => {
  const repo = tempRepo('payments', ONE_SERVICE);
  try {
    const before = await audit(repo.root, { rules: RULES, now: new Date('2026-04-01T12:00:00Z') });
    assert.equal(before.gate.status, 'FAIL');
    const blocking = before.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    assert.deepEqual(blocking.map((f) => `${f.file} ${f.ruleId}`), [`services/payments/Dockerfile ${ROOT}`]);

    repo.write('shipready.config.json', JSON.stringify({ waivers: [WAIVER] }, null, 2));
    const after = await audit(repo.root, { rules: RULES, now: new Date('2026-04-01T12:00:00Z') });
    assert.equal(after.gate.status, 'WAIVED');
    assert.equal(after.gate.score, before.gate.score, 'a waived risk still costs points: it is accepted, not gone');
    const waived = after.findings.find((f) => f.ruleId === ROOT)!;
    assert.equal(waived.waiver?.reason, WAIVER.reason);
    assert.equal(waived.waiver?.approvedBy, WAIVER.approvedBy);
    assert.equal(waived.waiver?.source, 'shipready.config.json:3');

    const prompt = renderPrompt(after);
    const whatNotToDo = prompt.slice(prompt.indexOf('## Accepted decisions: what not to do'));
    assert.ok(prompt.includes('## Accepted decisions: what not to do'), prompt);
    assert.match(whatNotToDo, /- Do NOT act on "Container runs as root" \(`docker\/runs-as-root`\) in `services\/payments\/\*\*`: the payments image is rebuilt on the hardened base in sprint 2; accepted for the MVP launch \(approved by Dana Ortiz \(product owner\), until 2026-06-30\)\./);
    assert.ok(!/### \d+\. HIGH: Container runs as root/.test(prompt), 'a waived finding is not in the fix list');

    assert.match(renderText(after, { color: false }), /Gate: WAIVED/);
    assert.match(renderText(after, { color: false }), /waived: the payments image is rebuilt/);
    const md = renderMarkdown(after);
    assert.match(md, /^# ☑️ shipready: WAIVED/);
    assert.match(md, /## Accepted risks \(waived\)\n\n\| Finding \| Reason \| Approved by \| Expires \|\n\|---\|---\|---\|---\|\n\| `services\/payments\/Dockerfile:1` Container runs as root \| the payments image/);
    const json = JSON.parse(renderJson(after));
    assert.equal(json.gate.status, 'WAIVED');
    assert.equal(json.waivers[0].state, 'active');
    assert.equal(json.waivers[0].matched.length, 1);
  } finally {
    repo.cleanup();
  }
});

test('after its expiry date a waiver no longer applies, and the reports say it lapsed', async () => {
  const repo = tempRepo('payments', { ...ONE_SERVICE, '.shipready.yml': yamlOf(WAIVER) });
  try {
    const lastDay = await audit(repo.root, { rules: RULES, now: new Date('2026-06-30T23:59:00Z') });
    assert.equal(lastDay.gate.status, 'WAIVED', 'the expiry day itself is still covered');
    const after = await audit(repo.root, { rules: RULES, now: new Date('2026-07-01T00:00:01Z') });
    assert.equal(after.gate.status, 'FAIL');
    const finding = after.findings.find((f) => f.ruleId === ROOT)!;
    assert.equal(finding.waiver, undefined);
    assert.deepEqual(after.waivers.map((w) => [w.state, w.matched.length, w.waiver.source]), [['expired', 1, '.shipready.yml:2']]);
    assert.match(renderText(after, { color: false }), /waiver expired on 2026-06-30 \(\.shipready\.yml:2\): this finding counts again/);
    const prompt = renderPrompt(after);
    assert.ok(!prompt.includes('Do NOT act on'), 'an expired waiver is no longer an accepted decision');
    assert.match(prompt, /### 1\. HIGH: Container runs as root/);
    assert.match(prompt, /waiver at `\.shipready\.yml:2` expired on 2026-06-30/);
    assert.match(renderMarkdown(after), /⏰ .*expired on 2026-06-30/);
  } finally {
    repo.cleanup();
  }
});

function yamlOf(w: typeof WAIVER): string {
  return [
    'waivers:',
    `  - ruleId: ${w.ruleId}`,
    `    path: "${w.path}"`,
    `    reason: "${w.reason}"`,
    `    approvedBy: ${w.approvedBy}`,
    `    approvedAt: ${w.approvedAt}`,
    `    expires: ${w.expires}`,
    '',
  ].join('\n');
}

test('a waiver covers only its rule and its paths; an unused one is reported', async () => {
  const repo = tempRepo('payments', {
    ...ONE_SERVICE,
    'services/search/Dockerfile': 'FROM node:20-alpine\nCMD ["node", "index.js"]\n',
    'shipready.config.json': JSON.stringify({
      waivers: [WAIVER, { ruleId: 'repo/parse-error', path: 'legacy/**', reason: 'legacy files are not deployed', approvedBy: 'Lee' }],
    }),
  });
  try {
    const result = await audit(repo.root, { rules: RULES, now: new Date('2026-04-01T00:00:00Z') });
    const byFile = Object.fromEntries(result.findings.filter((f) => f.ruleId === ROOT).map((f) => [f.file, Boolean(f.waiver)]));
    assert.deepEqual(byFile, { 'services/payments/Dockerfile': true, 'services/search/Dockerfile': false });
    assert.equal(result.gate.status, 'FAIL');
    assert.match(renderText(result, { color: false }), /UNUSED WAIVERS \(1\)[^\n]*\n {2}shipready\.config\.json:1 {2}repo\/parse-error legacy\/\*\*/);
  } finally {
    repo.cleanup();
  }
});

test('per-rule severity overrides and disabled rules', async () => {
  const repo = tempRepo('payments', { ...ONE_SERVICE, 'shipready.config.json': JSON.stringify({ rules: { [ROOT]: 'medium' } }) });
  try {
    const lowered = await audit(repo.root, { rules: RULES });
    assert.equal(lowered.findings.find((f) => f.ruleId === ROOT)?.severity, 'medium');
    assert.notEqual(lowered.gate.status, 'FAIL');
    repo.write('shipready.config.json', JSON.stringify({ rules: { [ROOT]: 'off' }, failOn: 'critical' }));
    const off = await audit(repo.root, { rules: RULES });
    assert.equal(off.findings.filter((f) => f.ruleId === ROOT).length, 0);
    assert.ok(!off.passed.includes(ROOT), 'a disabled rule did not run, so it did not pass either');
    assert.equal(off.gate.failOn, 'critical');
    assert.equal((await audit(repo.root, { rules: RULES, failOn: 'low' })).gate.failOn, 'low', '--fail-on wins over the config file');
    assert.equal((await audit(repo.root, { rules: RULES, config: false })).findings.filter((f) => f.ruleId === ROOT).length, 1, '--no-config');
  } finally {
    repo.cleanup();
  }
});

test('a broken configuration stops the audit with the file and line of each problem', async () => {
  const bad = async (text: string, file = 'shipready.config.json') => {
    try {
      await parseConfig(text, file);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail(`accepted: ${text}`);
  };
  assert.match(await bad('{ "waivers": [ { "ruleId": "docker/runs-as-root", "approvedBy": "x" } ] }'), /shipready\.config\.json:1: waivers\[0\] must have required property 'reason'/);
  assert.match(await bad('{\n  "rules": {\n    "docker/runs-as-root": "loud"\n  }\n}'), /shipready\.config\.json:3: rules\.docker\/runs-as-root must be "off" or one of critical/);
  assert.match(await bad('{\n  "waiver": []\n}'), /:2: the configuration has unknown key "waiver"/);
  assert.match(await bad('waivers:\n  - ruleId: docker/runs-as-root\n    reason: ok then\n    approvedBy: me\n    expires: 31/12/2026\n', '.shipready.yml'), /\.shipready\.yml:5: waivers\[0\]\.expires must be a date \(YYYY-MM-DD\)/);
  assert.match(await bad('waivers:\n  - ruleId: docker/runs-as-root\n    reason: ok then\n    approvedBy: me\n    expires: 2026-02-30\n', '.shipready.yml'), /\.shipready\.yml:5: waivers\[0\]\.expires "2026-02-30" is not a real date/);
  assert.match(await bad('{ "waivers": [ } ', 'shipready.config.json'), /not valid JSON/);
  assert.match(await bad('waivers: [', '.shipready.yml'), /not valid YAML/);

  const repo = tempRepo('payments', { ...ONE_SERVICE, 'shipready.config.json': JSON.stringify({ rules: { 'docker/runs-as-rot': 'off' } }) });
  try {
    await assert.rejects(audit(repo.root), /unknown rule "docker\/runs-as-rot" \(did you mean "docker\/runs-as-root"\?\)/);
    repo.write('.shipready.yml', 'rules: {}\n');
    await assert.rejects(audit(repo.root), /both exist/);
  } finally {
    repo.cleanup();
  }
});

test('the documented config schema is the one the loader enforces', () => {
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../schema/config.schema.json', import.meta.url)), 'utf8'));
  assert.deepEqual(schema.definitions.waiver.required, ['ruleId', 'reason', 'approvedBy']);
  const doc = readFileSync(fileURLToPath(new URL('../docs/config.md', import.meta.url)), 'utf8');
  for (const key of [...Object.keys(schema.properties), ...Object.keys(schema.definitions.waiver.properties)]) {
    if (key === '$schema') continue;
    assert.ok(doc.includes(`\`${key}\``), `docs/config.md does not document "${key}"`);
  }
});

test('--config names another file; .shipready.yaml is found too; the HTML lists waivers to review', async () => {
  const repo = tempRepo('payments', { ...ONE_SERVICE, '.shipready.yaml': 'failOn: critical\n' });
  try {
    assert.equal((await audit(repo.root, { rules: RULES })).gate.failOn, 'critical');
    const elsewhere = join(repo.root, '..', 'team-waivers.json');
    writeFileSync(elsewhere, JSON.stringify({ waivers: [{ ruleId: 'repo/parse-error', reason: 'no such file here', approvedBy: 'Lee', expires: '2020-01-01' }] }));
    const result = await audit(repo.root, { rules: RULES, config: elsewhere });
    assert.equal(result.config.file, elsewhere, 'a file outside the audited folder is named by its full path');
    assert.equal(result.gate.failOn, 'high', 'the folder\'s own config is not merged in');
    const { renderHtml } = await import('../src/report/html.js');
    assert.match(renderHtml(result), /<section id="waivers"><h2>Waivers to review<\/h2><ul><li><code>[^<]*team-waivers\.json:1<\/code> <code>repo\/parse-error<\/code> expired on 2020-01-01/);
    await assert.rejects(audit(repo.root, { rules: RULES, config: elsewhere + '.missing' }), /config file .* does not exist/);
  } finally {
    repo.cleanup();
  }
});
