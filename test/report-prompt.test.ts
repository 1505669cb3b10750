import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, type AuditResult } from '../src/engine/audit.js';
import type { Finding } from '../src/engine/finding.js';
import { computeGate, summarize } from '../src/engine/gate.js';
import { effortMinutes, formatMinutes } from '../src/report/effort.js';
import { renderPrompt } from '../src/report/prompt.js';
import { allRules, findRule } from '../src/rules/index.js';
import { SERVICES_REPO, tempRepo } from './golden/repos.js';

const RULES = [findRule('docker/runs-as-root')!, findRule('repo/parse-error')!];

async function fleet(): Promise<AuditResult> {
  const repo = tempRepo('fleet', SERVICES_REPO);
  try {
    return await audit(repo.root, { rules: RULES, config: false });
  } finally {
    repo.cleanup();
  }
}

test('remaining fixes in priority order, grouped by rule, with files, lines, fix and effort', async () => {
  const result = await fleet();
  const prompt = renderPrompt(result);
  assert.match(prompt, /^# Deployment fixes for `fleet`: instructions for the next change\n\n## Context\n/);
  assert.ok(!prompt.includes('## Status of previous recommendations'), 'no baseline, no status section');
  const headings = [...prompt.matchAll(/^### (\d+)\. (\w+): (.*)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  assert.deepEqual(headings, ['1 HIGH: Container runs as root', '2 HIGH: Deployment file cannot be parsed or read'].map((h) => h.replace(':', '')));
  assert.match(prompt, /\*\*Files:\*\* `services\/api\/Dockerfile` \(line 8\), `services\/billing\/Dockerfile` \(line 4\), `services\/legacy\/Dockerfile` \(line 1\)/);
  assert.match(prompt, /- `services\/billing\/Dockerfile:4`: the final stage sets USER root: the service runs as root\n  - fix: switch to an unprivileged user/);
  assert.match(prompt, new RegExp(`\\*\\*Effort:\\*\\* about ${formatMinutes(effortMinutes('docker/runs-as-root', 3))}`));
});

test('the execution order puts critical fixes first, then quick wins, each with an effort', async () => {
  const result = await fleet();
  const base = result.findings[0];
  const findings: Finding[] = [
    ...result.findings,
    { ...base, ruleId: 'ci/path-not-found', title: 'Workflow uses a path that does not exist', severity: 'critical', file: '.github/workflows/deploy.yml', line: 41, fingerprint: 'aaaaaaaaaaaaaaaa' },
    { ...base, ruleId: 'ci/image-scan-missing', title: 'Images are never scanned', severity: 'medium', file: '.github/workflows/deploy.yml', line: 30, fingerprint: 'bbbbbbbbbbbbbbbb' },
  ];
  const prompt = renderPrompt({ ...result, findings, summary: summarize(findings), gate: computeGate(findings, 'high') });
  const order = prompt.slice(prompt.indexOf('## Execution order'));
  const steps = [...order.matchAll(/^(\d+)\. (.*)$/gm)].map((m) => m[2]);
  assert.match(steps[0], /^Workflow uses a path that does not exist \(`\.github\/workflows\/deploy\.yml:41`\): 2 min, blocks the gate$/);
  // Blocking fixes before the rest; among those, the quicker first.
  const blocking = steps.filter((s) => s.endsWith('blocks the gate'));
  assert.deepEqual(steps.slice(0, blocking.length), blocking);
  assert.match(steps[steps.length - 1], /^Images are never scanned .*: 10 min$/);
  const total = /Estimated total: about (.*?)\. Run/.exec(order)?.[1];
  assert.equal(total, formatMinutes(effortMinutes('docker/runs-as-root', 3) + effortMinutes('repo/parse-error', 2) + effortMinutes('ci/path-not-found') + effortMinutes('ci/image-scan-missing')));
});

test('inline ignores with their reason are accepted decisions too', async () => {
  const repo = tempRepo('fleet', { 'Dockerfile': '# shipready-ignore docker/runs-as-root: the orchestrator forces --user 10001\nFROM node:20\n' });
  try {
    const prompt = renderPrompt(await audit(repo.root, { rules: RULES, config: false }));
    assert.match(prompt, /## Accepted decisions: what not to do\n\n.*\n\n- Do NOT change `Dockerfile:2` for `docker\/runs-as-root`: the orchestrator forces --user 10001 \(inline ignore at `Dockerfile:1`\)\./);
    assert.match(prompt, /There is nothing left to fix/);
  } finally {
    repo.cleanup();
  }
});

test('every rule gets an effort estimate from one table', () => {
  for (const rule of allRules) {
    const minutes = effortMinutes(rule.id);
    assert.ok(Number.isInteger(minutes) && minutes >= 1 && minutes <= 240, `${rule.id}: ${minutes}`);
  }
  assert.equal(formatMinutes(90), '1 h 30 min');
  assert.equal(formatMinutes(120), '2 h');
  assert.equal(effortMinutes('ci/path-not-found', 2), 3, 'each further occurrence costs a third of the first, at least a minute');
});

test('a destructive migration approved by pull-request label is listed as an accepted decision', async () => {
  const repo = tempRepo('fleet', {
    'package.json': JSON.stringify({ name: 'fleet', dependencies: { 'node-pg-migrate': '7.0.0' } }),
    'migrations/0001_drop_legacy.sql': 'ALTER TABLE orders DROP COLUMN legacy_sku;\n',
  });
  try {
    const result = await audit(repo.root, { rules: [findRule('migrations/drop-column')!], config: false, labels: ['migration-destructive-approved'] });
    const drop = result.findings.find((f) => f.ruleId === 'migrations/drop-column');
    assert.ok(drop?.waiver, JSON.stringify(result.findings));
    assert.match(renderPrompt(result), /- Do NOT change `migrations\/0001_drop_legacy\.sql:1` for `migrations\/drop-column`: the pull request carries the label migration-destructive-approved \(pull-request label migration-destructive-approved\)\./);
  } finally {
    repo.cleanup();
  }
});
