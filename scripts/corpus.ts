/**
 * npm run corpus -- <dir> — audits every repository under <dir> (one folder each, checked out at the
 * commits pinned in docs/precision.md) and prints the medium-or-worse findings per repository and per
 * rule, so that a change to a rule can be compared with the run before it.
 *
 *   npm run corpus -- ../corpus                       # counts per repository and per rule
 *   npm run corpus -- ../corpus --out /tmp/reports    # also one JSON report per repository
 *   npm run corpus -- ../corpus --compare /tmp/reports-before   # per-rule differences with an earlier --out
 *   npm run corpus -- ../corpus --list ci/permissions # every finding of one rule, one line each
 *   npm run corpus -- ../corpus --review review.md    # every medium+ finding as a review packet
 *   npm run corpus -- ../corpus --review review.md --sample 150 --seed 7   # a reproducible sample
 *
 * A review packet lists each finding (F1, F2, …) with its repository, place, message, fix and
 * related places, for reviewers who judge it TRUE / FALSE / NOISE against the repository without
 * reading shipready's code (docs/precision.md).
 *
 * The repositories are not part of this project; docs/precision.md says how to get them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { audit } from '../src/engine/audit.js';
import { toJsonReport } from '../src/report/json.js';
import { severityRank, type Severity } from '../src/rules/rule.js';

interface ReportedFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  fix: string;
  file: string | null;
  line: number | null;
  related: { file: string; line: number; message: string }[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    compare: { type: 'string' },
    list: { type: 'string' },
    review: { type: 'string' },
    sample: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'no-group': { type: 'boolean', default: false },
  },
});

const dir = positionals[0];
if (!dir || !existsSync(dir)) {
  console.error('usage: npm run corpus -- <folder holding one repository per subfolder> [--out dir] [--compare dir] [--list ruleId]');
  process.exit(2);
}

const serious = (f: ReportedFinding) => severityRank(f.severity) <= severityRank('medium');
const repos = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();
const perRule = new Map<string, Map<string, number>>();
const perRepo: { repo: string; critical: number; high: number; medium: number; ms: number }[] = [];
const listed: string[] = [];
const forReview: { repo: string; finding: ReportedFinding }[] = [];

if (values.out) mkdirSync(values.out, { recursive: true });
for (const repo of repos) {
  const started = performance.now();
  const result = await audit(resolve(dir, repo), { config: false, labels: [], group: !values['no-group'] });
  const report = toJsonReport(result) as { findings: ReportedFinding[] };
  const ms = performance.now() - started;
  if (values.out) writeFileSync(join(values.out, `${repo}.json`), JSON.stringify(report, null, 2));
  const counts = { critical: 0, high: 0, medium: 0 };
  for (const f of report.findings.filter(serious)) {
    counts[f.severity as keyof typeof counts]++;
    const byRepo = perRule.get(f.ruleId) ?? new Map<string, number>();
    byRepo.set(repo, (byRepo.get(repo) ?? 0) + 1);
    perRule.set(f.ruleId, byRepo);
    if (values.list === f.ruleId) listed.push(`${repo} ${f.severity} ${f.file}:${f.line} ${f.message}`);
    forReview.push({ repo, finding: f });
  }
  perRepo.push({ repo, ...counts, ms });
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const padStart = (s: string | number, n: number) => String(s).padStart(n);

console.log(`${pad('repository', 56)}${padStart('crit', 6)}${padStart('high', 6)}${padStart('med', 6)}${padStart('ms', 8)}`);
for (const r of perRepo) console.log(`${pad(r.repo, 56)}${padStart(r.critical, 6)}${padStart(r.high, 6)}${padStart(r.medium, 6)}${padStart(Math.round(r.ms), 8)}`);
const sum = (k: 'critical' | 'high' | 'medium') => perRepo.reduce((a, r) => a + r[k], 0);
console.log(`${pad(`${repos.length} repositories`, 56)}${padStart(sum('critical'), 6)}${padStart(sum('high'), 6)}${padStart(sum('medium'), 6)}`);
console.log('');

let before: Map<string, number> | undefined;
if (values.compare) {
  before = new Map();
  for (const file of readdirSync(values.compare).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(values.compare, file), 'utf8')) as { findings: ReportedFinding[] };
    for (const f of report.findings.filter(serious)) before.set(f.ruleId, (before.get(f.ruleId) ?? 0) + 1);
  }
}
console.log(`${pad('rule (medium or worse)', 48)}${padStart('findings', 9)}${padStart('repos', 7)}${before ? padStart('before', 8) : ''}`);
const ids = [...new Set([...perRule.keys(), ...(before?.keys() ?? [])])].sort((a, b) => total(perRule.get(b) ?? new Map()) - total(perRule.get(a) ?? new Map()) || a.localeCompare(b));
for (const id of ids) {
  const m = perRule.get(id) ?? new Map<string, number>();
  console.log(`${pad(id, 48)}${padStart(total(m), 9)}${padStart(m.size, 7)}${before ? padStart(before.get(id) ?? 0, 8) : ''}`);
}
if (values.list) {
  console.log('');
  for (const l of listed) console.log(l);
}

if (values.review) {
  // A seeded shuffle (mulberry32), so that the same corpus and seed give the same sample.
  let state = Number(values.seed) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let chosen = forReview;
  const size = values.sample ? Number(values.sample) : undefined;
  if (size !== undefined && size < forReview.length) {
    const order = forReview.map((item, i) => ({ item, i, r: random() }));
    chosen = order.sort((a, b) => a.r - b.r).slice(0, size).sort((a, b) => a.i - b.i).map((x) => x.item);
  }
  const lines: string[] = [];
  chosen.forEach(({ repo, finding: f }, n) => {
    lines.push(`### F${n + 1} — ${f.ruleId} [${f.severity}]`, `repository: ${resolve(dir, repo)}`, `at: ${f.file ?? '(repository)'}${f.line ? `:${f.line}` : ''}`, `message: ${f.message}`, `fix: ${f.fix}`);
    for (const r of f.related) lines.push(`related: ${r.file}:${r.line} — ${r.message}`);
    lines.push('');
  });
  writeFileSync(values.review, lines.join('\n'));
  console.log(`\n${chosen.length} finding(s) of ${forReview.length} written to ${values.review}`);
}
