import type { AuditResult } from '../engine/audit.js';
import type { Finding } from '../engine/finding.js';
import { lapsedWaivers } from '../engine/waivers.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';
import { VERSION } from '../version.js';
import { classify, repoName, ruleTitle, summarizeAreas, where, type AreaStatus } from './areas.js';

/** Words, not emoji: the page must read the same in a browser without an emoji font and on paper. */
const STATUS_LABEL: Record<AreaStatus, string> = { pass: 'OK', warn: 'Concerns', fail: 'Must fix' };

/**
 * One self-contained HTML page: inline styles, no script, no network, so it can be attached to a
 * build, mailed, opened offline or printed. Code excerpts come from the audited files as read
 * during the audit.
 */

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Lines shown around the offending one. */
const CONTEXT_LINES = 2;

function excerpt(result: AuditResult, file: string | null, line: number | null): string {
  if (!file || !line) return '';
  const text = result.model.files.read(file);
  if (text === undefined) return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (line > lines.length) return '';
  const from = Math.max(1, line - CONTEXT_LINES);
  const to = Math.min(lines.length, line + CONTEXT_LINES);
  const rows: string[] = [];
  for (let n = from; n <= to; n++) {
    const content = lines[n - 1].replace(/\r$/, '');
    // Long minified lines would drown the page; the location still says where to look.
    const shown = content.length > 240 ? content.slice(0, 240) + ' …' : content;
    rows.push(`<span class="ln${n === line ? ' hit' : ''}"><span class="no">${n}</span>${esc(shown)}</span>`);
  }
  // Each line is a block of its own: no newline between them, or the pre would double-space.
  return `<pre class="code" aria-label="${esc(file)} lines ${from} to ${to}">${rows.join('')}</pre>`;
}

function badge(f: Finding): string {
  const tags: string[] = [];
  if (f.baseline === 'new') tags.push('<span class="tag new">new</span>');
  if (f.baseline === 'open') tags.push('<span class="tag open">still open</span>');
  if (f.waiver) tags.push('<span class="tag waived">waived</span>');
  return tags.join(' ');
}

function findingCard(result: AuditResult, f: Finding): string {
  const related = f.related
    .map((r) => `<li><code>${esc(where(r.file, r.line))}</code> ${esc(r.message)}${excerpt(result, r.file, r.line)}</li>`)
    .join('');
  const waiver = f.waiver
    ? `<p class="waiver">Waived: ${esc(f.waiver.reason)}${f.waiver.approvedBy ? ` (approved by ${esc(f.waiver.approvedBy)}${f.waiver.expires ? `, until ${esc(f.waiver.expires)}` : ''})` : ''}</p>`
    : '';
  const lapsed = lapsedWaivers(f, result.waivers)
    .map((l) => `<p class="waiver lapsed">The waiver at <code>${esc(l.waiver.source)}</code> expired on ${esc(l.waiver.expires ?? '')}: this finding counts again.</p>`)
    .join('');
  return `<article class="finding sev-${f.severity}" data-rule="${esc(f.ruleId)}" data-fingerprint="${esc(f.fingerprint)}">
<header><span class="sev">${f.severity}</span> <h3>${esc(f.title)}</h3> ${badge(f)}</header>
<p class="loc"><code>${esc(where(f.file, f.line))}</code> · <code>${esc(f.ruleId)}</code></p>
<p class="message">${esc(f.message)}</p>
${excerpt(result, f.file, f.line)}
${related ? `<ul class="related">${related}</ul>` : ''}
<p class="fix"><strong>Fix:</strong> ${esc(f.fix)}</p>
${waiver}${lapsed}
</article>`;
}

const STYLE = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa;
  --critical:#8250df; --high:#cf222e; --medium:#9a6700; --low:#0969da; --info:#59636e; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 32px 0 12px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { display: inline; font-size: 16px; margin: 0; }
.meta { color: var(--muted); margin: 0 0 16px; }
.gate { display: inline-block; font-weight: 700; padding: 4px 12px; border-radius: 6px; color: #fff; }
.gate.PASS { background: #1a7f37; } .gate.CONCERNS { background: #9a6700; } .gate.FAIL { background: #cf222e; } .gate.WAIVED { background: #0969da; }
.score { font-size: 40px; font-weight: 700; margin-left: 16px; vertical-align: middle; }
.counts { display: flex; gap: 8px; flex-wrap: wrap; margin: 12px 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; background: var(--soft); }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--info); border-radius: 6px; padding: 12px 16px; margin: 12px 0; break-inside: avoid; }
.sev { text-transform: uppercase; font-size: 12px; font-weight: 700; letter-spacing: .04em; }
${SEVERITIES.map((s) => `.sev-${s} { border-left-color: var(--${s}); } .sev-${s} .sev { color: var(--${s}); }`).join('\n')}
.loc, .loc code { color: var(--muted); margin: 4px 0; }
.message { margin: 8px 0; } .fix { margin: 8px 0 0; }
.tag { font-size: 12px; border-radius: 10px; padding: 1px 8px; border: 1px solid var(--line); }
.tag.new { background: #fff8c5; } .tag.waived { background: #ddf4ff; } .tag.open { background: var(--soft); }
.waiver { color: #0969da; margin: 6px 0 0; } .waiver.lapsed { color: #9a6700; }
pre.code { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 0; overflow-x: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; margin: 8px 0; }
.ln { display: block; padding: 0 12px 0 0; white-space: pre; } .ln.hit { background: #fff1b3; }
.no { display: inline-block; width: 4em; padding-right: 12px; text-align: right; color: var(--muted); user-select: none; }
ul.related { margin: 8px 0; padding-left: 20px; }
.passed li { margin: 2px 0; }
.status { font-weight: 600; white-space: nowrap; } .status::before { content: "●"; margin-right: 6px; }
.status.pass { color: #1a7f37; } .status.warn { color: #9a6700; } .status.fail { color: #cf222e; }
footer { color: var(--muted); margin-top: 40px; font-size: 13px; }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  .finding, table, pre.code { break-inside: avoid; } h2 { break-after: avoid; }
  pre.code { white-space: pre-wrap; overflow: visible; } .ln { white-space: pre-wrap; }
}
`;

/** Expired waivers and waivers that match nothing: both want a decision from whoever owns the config. */
function waiversToReview(result: AuditResult): string {
  const items = [
    ...result.waivers
      .filter((w) => w.state === 'expired')
      .map((w) => `<li><code>${esc(w.waiver.source)}</code> <code>${esc(w.waiver.ruleId)}</code> expired on ${esc(w.waiver.expires ?? '')}: it no longer applies</li>`),
    ...result.waivers
      .filter((w) => w.state === 'active' && w.matched.length === 0)
      .map((w) => `<li><code>${esc(w.waiver.source)}</code> <code>${esc(w.waiver.ruleId)}</code>${w.waiver.path ? ` on <code>${esc(w.waiver.path)}</code>` : ''} matches no finding: remove it</li>`),
  ];
  return items.length ? `<section id="waivers"><h2>Waivers to review</h2><ul>${items.join('')}</ul></section>` : '';
}

export function renderHtml(result: AuditResult): string {
  const { blocking, belowGate, hygiene, waived } = classify(result);
  const areas = summarizeAreas(result);
  const repo = repoName(result);
  const counts = SEVERITIES.map((s: Severity) => `<li><strong>${result.summary[s]}</strong> ${s}</li>`).join('');
  const section = (id: string, title: string, findings: Finding[], empty: string) =>
    `<section id="${id}"><h2>${esc(title)} (${findings.length})</h2>${findings.length ? findings.map((f) => findingCard(result, f)).join('\n') : `<p>${esc(empty)}</p>`}</section>`;
  const b = result.baseline;
  const baseline = b
    ? `<section id="baseline"><h2>Since the baseline</h2><p>Compared with <code>${esc(b.source)}</code>: ${b.fixed.length} fixed, ${b.open} still open, ${b.new} new.</p>${
        b.fixed.length ? `<ul class="fixed">${b.fixed.map((e) => `<li>fixed: <code>${esc(where(e.file, e.line))}</code> ${esc(e.title)} (<code>${esc(e.ruleId)}</code>)</li>`).join('')}</ul>` : ''
      }</section>`
    : '';
  const passed = areas.filter((a) => a.passed.length);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shipready: ${esc(repo)} ${result.gate.status} ${result.gate.score}/100</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>shipready audit of <code>${esc(repo)}</code></h1>
<p class="meta">shipready ${VERSION} · ${result.stats.files} files · ${result.rulesRun} rules · gate fails on ${result.gate.failOn} and above</p>
<p><span class="gate ${result.gate.status}" id="gate">${result.gate.status}</span><span class="score" id="score">${result.gate.score}<small>/100</small></span></p>
<ul class="counts">${counts}</ul>
<section id="areas"><h2>Areas</h2>
<table><thead><tr><th>Area</th><th>Status</th><th>Notes</th></tr></thead><tbody>
${areas.map((a) => `<tr class="area ${a.status}"><td>${esc(a.name)}</td><td><span class="status ${a.status}">${STATUS_LABEL[a.status]}</span></td><td>${esc(a.notes)}</td></tr>`).join('\n')}
</tbody></table></section>
${baseline}
${section('blocking', 'Must fix before deploying', blocking, `Nothing at ${result.gate.failOn} or above is left unwaived.`)}
${section('below-gate', 'Below the gate: likely to break at runtime or bite later', belowGate, 'Nothing of medium severity or worse below the gate.')}
${hygiene.length ? section('hygiene', 'Hygiene', hygiene, '') : ''}
${waived.length ? section('waived', 'Accepted risks (waived)', waived, '') : ''}
<section id="passed"><h2>Checks passed</h2>${
    passed.length ? `<ul class="passed">${passed.map((a) => `<li><strong>${esc(a.name)}:</strong> ${a.passed.map((id) => esc(ruleTitle(id))).join(' · ')}</li>`).join('')}</ul>` : '<p>No check passed.</p>'
  }</section>
${waiversToReview(result)}
${result.errors.length ? `<section id="errors"><h2>Checks that did not run</h2><ul>${result.errors.map((e) => `<li><code>${esc(e.ruleId)}</code>: ${esc(e.message.split('\n')[0])}</li>`).join('')}</ul></section>` : ''}
<footer>Generated by shipready ${VERSION}. Static analysis: the audited code was not run.</footer>
</main>
</body>
</html>
`;
}
