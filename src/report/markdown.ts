import type { AuditResult } from '../engine/audit.js';
import type { Finding } from '../engine/finding.js';
import { lapsedWaivers } from '../engine/waivers.js';
import { SEVERITIES } from '../rules/rule.js';
import { VERSION } from '../version.js';
import { classify, repoName, ruleTitle, STATUS_ICON, summarizeAreas, where } from './areas.js';

/** GitHub rejects issue and pull-request comments (and job summaries) longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

const GATE_ICON = { PASS: '✅', CONCERNS: '⚠️', FAIL: '❌', WAIVED: '☑️' } as const;

/**
 * Messages quote code in backticks. Outside those spans a "<" would start raw HTML, so it is
 * escaped; inside them it must stay as it is, or the reader sees "&lt;".
 */
function escapeOutsideCode(text: string): string {
  return text
    .split(/(`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;')))
    .join('');
}

/** Text for a list item or paragraph: one line, no stray HTML. */
function inline(text: string): string {
  return escapeOutsideCode(text.replace(/\r?\n/g, ' '));
}

/** Text for a table cell: as inline, and no pipe may end the cell early (GFM wants \| even in code). */
function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|');
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text}${fence}`;
}

function status(f: Finding): string {
  const tags: string[] = [];
  if (f.baseline === 'new') tags.push('🆕 new');
  else if (f.baseline === 'open') tags.push('still open');
  if (f.waiver) tags.push('waived');
  return tags.length ? ` _(${tags.join(', ')})_` : '';
}

interface Section {
  heading: string;
  intro?: string;
  /** Each entry is rendered whole or not at all: the report is never cut inside one. */
  entries: string[];
  more?: (hidden: number) => string;
}

function findingEntry(f: Finding, index: number, result: AuditResult): string {
  // Sub-items indented to the item's content column, so every renderer nests them under it.
  const pad = ' '.repeat(String(index).length + 2);
  const lines = [`${index}. **${cell(f.title)}** — ${code(where(f.file, f.line))} · ${f.severity} · ${code(f.ruleId)}${status(f)}`];
  lines.push(`${pad}- ${inline(f.message)}`);
  for (const r of f.related) lines.push(`${pad}- ↳ ${code(where(r.file, r.line))}: ${inline(r.message)}`);
  lines.push(`${pad}- **Fix:** ${inline(f.fix)}`);
  for (const lapsed of lapsedWaivers(f, result.waivers)) {
    lines.push(`${pad}- ⏰ The waiver at ${code(lapsed.waiver.source)} (approved by ${inline(lapsed.waiver.approvedBy ?? 'nobody')}) expired on ${lapsed.waiver.expires}: this finding counts again.`);
  }
  return lines.join('\n');
}

function buildSections(result: AuditResult): Section[] {
  const { blocking, belowGate, hygiene, waived } = classify(result);
  const sections: Section[] = [];
  const areas = summarizeAreas(result);

  sections.push({
    heading: '## Summary by area',
    entries: ['| Area | Status | Notes |\n|---|---|---|', ...areas.map((a) => `| ${cell(a.name)} | ${STATUS_ICON[a.status]} | ${cell(a.notes)} |`)],
  });

  // A reviewer tracking readiness wants the movement first.
  if (result.baseline) {
    const b = result.baseline;
    sections.push({
      heading: '## Since the baseline',
      intro: `Compared with ${code(b.source)}: ${b.fixed.length} fixed, ${b.open} still open, ${b.new} new.`,
      entries: [
        ...b.fixed.map((e) => `- ✔️ fixed: ${code(where(e.file, e.line))} ${cell(e.title)} (${code(e.ruleId)})`),
        ...b.notChecked.map((e) => `- not checked this time (rule disabled or removed): ${code(where(e.file, e.line))} ${cell(e.title)}`),
      ],
      more: (n) => `- …and ${n} more.`,
    });
  }

  sections.push({
    heading: '## ❌ Must fix before deploying',
    intro: blocking.length
      ? `These fail the gate (${result.gate.failOn} and above, not waived).`
      : `Nothing at ${result.gate.failOn} or above is left unwaived.`,
    entries: blocking.map((f, i) => findingEntry(f, i + 1, result)),
    more: (n) => `…and ${n} more that fail the gate: see the JSON or SARIF report for all of them.`,
  });

  sections.push({
    heading: '## ⚠️ Below the gate: likely to break at runtime or bite later',
    intro: belowGate.length ? undefined : 'Nothing of medium severity or worse below the gate.',
    entries: belowGate.map((f, i) => findingEntry(f, i + 1, result)),
    more: (n) => `…and ${n} more below the gate.`,
  });

  if (hygiene.length) {
    sections.push({
      heading: '## Hygiene (low and info)',
      entries: hygiene.map((f) => `- ${code(where(f.file, f.line))} ${inline(f.message)} (${code(f.ruleId)})${status(f)}`),
      more: (n) => `- …and ${n} more.`,
    });
  }

  const passedByArea = areas.filter((a) => a.passed.length > 0);
  sections.push({
    heading: '## ✅ Production-safe: checks passed',
    intro: passedByArea.length ? undefined : 'No check passed.',
    entries: passedByArea.map((a) => `- **${cell(a.name)}:** ${a.passed.map((id) => cell(ruleTitle(id))).join(' · ')}`),
    more: (n) => `- …and ${n} more areas.`,
  });

  if (waived.length) {
    sections.push({
      heading: '## Accepted risks (waived)',
      entries: [
        '| Finding | Reason | Approved by | Expires |\n|---|---|---|---|',
        ...waived.map(
          (f) => `| ${code(where(f.file, f.line))} ${cell(f.title)} | ${cell(f.waiver!.reason)} | ${cell(f.waiver!.approvedBy ?? '')} | ${f.waiver!.expires ?? 'never'} |`,
        ),
      ],
      more: (n) => `\n…and ${n} more waived findings.`,
    });
  }
  const unused = result.waivers.filter((w) => w.state === 'active' && w.matched.length === 0);
  const expired = result.waivers.filter((w) => w.state === 'expired');
  if (unused.length || expired.length) {
    sections.push({
      heading: '## Waivers to review',
      entries: [
        ...expired.map((w) => `- ⏰ ${code(w.waiver.source)} ${code(w.waiver.ruleId)} expired on ${w.waiver.expires}; it no longer applies (${w.matched.length} finding${w.matched.length === 1 ? '' : 's'} count again).`),
        ...unused.map((w) => `- ${code(w.waiver.source)} ${code(w.waiver.ruleId)}${w.waiver.path ? ` on ${code(w.waiver.path)}` : ''} matches no finding: remove it.`),
      ],
    });
  }

  if (result.errors.length) {
    sections.push({
      heading: '## Checks that did not run',
      entries: result.errors.map((e) => `- ${code(e.ruleId)}: ${inline(e.message.split('\n')[0])}`),
    });
  }

  // One box per distinct fix, with every place it applies to: the same advice is not repeated.
  const checklist = new Map<string, Finding[]>();
  for (const f of [...blocking, ...belowGate]) checklist.set(f.fix, [...(checklist.get(f.fix) ?? []), f]);
  sections.push({
    heading: '## Pre-deploy checklist',
    intro: checklist.size ? undefined : 'Nothing left to fix before deploying.',
    entries: [...checklist].map(([fix, fs]) => `- [ ] ${inline(fix)} (${fs.map((f) => code(where(f.file, f.line))).join(', ')})`),
    more: (n) => `- [ ] …and ${n} more: see the sections above.`,
  });
  return sections;
}

function header(result: AuditResult): string {
  const s = result.summary;
  const counts = SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(', ');
  const lines = [
    `# ${GATE_ICON[result.gate.status]} shipready: ${result.gate.status} · score ${result.gate.score}/100`,
    '',
    `**Repository:** ${code(repoName(result))} · **Findings:** ${counts} · **Gate:** fails on ${result.gate.failOn} and above · shipready ${VERSION}, ${result.rulesRun} rules`,
  ];
  if (result.gate.status === 'WAIVED') lines.push('', 'Every finding that would fail the gate is covered by a waiver with a reason and an approver (see "Accepted risks").');
  return lines.join('\n');
}

function render(result: AuditResult, sections: Section[], maxEntries: number): string {
  const out = [header(result)];
  for (const section of sections) {
    out.push('', section.heading);
    if (section.intro) out.push('', section.intro);
    if (section.entries.length === 0) continue;
    // Tables keep their header row (entry 0) and all their rows; lists are capped.
    const isTable = section.entries[0].startsWith('|');
    const limit = isTable && section.heading.startsWith('## Summary') ? Infinity : maxEntries + (isTable ? 1 : 0);
    const shown = section.entries.slice(0, limit);
    const hidden = section.entries.length - shown.length;
    // Numbered findings span several lines each: a blank line between them keeps them apart.
    if (shown.length > 0) out.push('', shown.join(isTable || shown[0].startsWith('- ') ? '\n' : '\n\n'));
    if (hidden > 0 && section.more) out.push('', section.more(hidden));
  }
  return out.join('\n') + '\n';
}

/**
 * The audit as a pull-request comment or job summary. When it would exceed GitHub's size limit,
 * long lists are cut to fewer whole entries, with a count of the rest: never mid-row.
 */
export function renderMarkdown(result: AuditResult, limit = GITHUB_COMMENT_LIMIT): string {
  const sections = buildSections(result);
  for (const maxEntries of [Infinity, 100, 50, 25, 10, 5, 2, 0]) {
    const text = render(result, sections, maxEntries);
    if (text.length <= limit) return text;
  }
  // Only an absurd number of areas or waivers gets here: cut at a line boundary and say so.
  const text = render(result, sections, 0);
  const note = '\n\n_(report cut to fit the size limit; the JSON report has everything)_\n';
  const cut = text.lastIndexOf('\n', limit - note.length);
  return text.slice(0, cut) + note;
}
