import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, type AuditResult } from '../src/engine/audit.js';
import type { Finding } from '../src/engine/finding.js';
import { computeGate, summarize } from '../src/engine/gate.js';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../src/report/markdown.js';
import { findRule } from '../src/rules/index.js';
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

function withFindings(result: AuditResult, findings: Finding[]): AuditResult {
  return { ...result, findings, summary: summarize(findings), gate: computeGate(findings, result.gate.failOn) };
}

test('verdict, score, summary table by area, sections and checklist', async () => {
  const result = await fleet();
  const md = renderMarkdown(result);
  assert.match(md, new RegExp(`^# ❌ shipready: FAIL · score ${result.gate.score}/100\\n`));
  assert.match(md, /\| Area \| Status \| Notes \|\n\|---\|---\|---\|\n\| Repository \| ❌ \| 2 high: Deployment file cannot be parsed or read \|\n\| Dockerfiles \| ❌ \| 3 high: Container runs as root \|/);
  const sections = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, [
    'Summary by area',
    '❌ Must fix before deploying',
    '⚠️ Below the gate: likely to break at runtime or bite later',
    '✅ Production-safe: checks passed',
    'Pre-deploy checklist',
  ]);
  assert.match(md, /\d+\. \*\*Deployment file cannot be parsed or read\*\* — `services\/billing\/package\.json:4` · high · `repo\/parse-error`\n {3}- /);
  const checklist = md.slice(md.indexOf('## Pre-deploy checklist'));
  // One box per distinct fix, listing every place it applies to.
  assert.equal(checklist.match(/^- \[ \] /gm)?.length, new Set(result.findings.map((f) => f.fix)).size);
  assert.match(checklist, /- \[ \] add "USER node" .* \(`services\/api\/Dockerfile:8`, `services\/legacy\/Dockerfile:1`\)/);
});

test('a pipe or an HTML tag in a message cannot break the table or the page', async () => {
  const result = await fleet();
  const f = { ...result.findings[0], title: 'a | b <img src=x>', message: 'x | y <script>', fix: 'assume `arn:aws:iam::<account>:role/deploy` instead of <keys>' };
  const md = renderMarkdown(withFindings(result, [f]));
  assert.ok(!md.includes('<script>') && !md.includes('<img'), 'HTML is escaped');
  assert.ok(md.includes('assume `arn:aws:iam::<account>:role/deploy` instead of &lt;keys>'), 'code spans are left as they are');
  for (const row of md.split('\n').filter((l) => l.startsWith('|'))) {
    assert.equal(row.replace(/\\\|/g, '').split('|').length, 5, `a row with 3 cells: ${row}`);
  }
});

test('a huge report fits GitHub\'s comment limit, cut between whole entries with a count', async () => {
  const result = await fleet();
  const base = result.findings[0];
  const many: Finding[] = Array.from({ length: 3000 }, (_, i) => ({
    ...base,
    file: `services/svc-${String(i).padStart(4, '0')}/Dockerfile`,
    line: 1,
    message: `${base.message} (service ${i}) ` + 'x'.repeat(80),
    fix: `${base.fix} in svc-${i}`,
    fingerprint: i.toString(16).padStart(16, '0'),
  }));
  const md = renderMarkdown(withFindings(result, many));
  assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
  const shown = [...md.matchAll(/^\d+\. \*\*/gm)].length;
  assert.ok(shown > 0 && shown < 3000);
  const more = /…and (\d+) more that fail the gate/.exec(md);
  assert.ok(more, 'says how many were left out');
  assert.equal(Number(more[1]) + shown, 3000);
  // Every entry shown is whole: its fix line is there.
  assert.equal([...md.matchAll(/^ +- \*\*Fix:\*\* /gm)].length, shown);
  for (const row of md.split('\n').filter((l) => l.startsWith('|'))) assert.ok(row.endsWith('|'), row);
  assert.match(md, /- \[ \] …and \d+ more/);

  // A tighter limit cuts more, still between entries.
  const small = renderMarkdown(withFindings(result, many), 8000);
  assert.ok(small.length <= 8000);
  assert.match(small, /…and \d+ more that fail the gate/);
});
