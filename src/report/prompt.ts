import type { AuditResult } from '../engine/audit.js';
import type { Finding } from '../engine/finding.js';
import { lapsedWaivers } from '../engine/waivers.js';
import { severityRank, type Severity } from '../rules/rule.js';
import { VERSION } from '../version.js';
import { isBlocking, repoName, ruleTitle, where } from './areas.js';
import { effortMinutes, formatMinutes } from './effort.js';

/**
 * Instructions for whoever fixes the repository next, a teammate or a coding agent: what was
 * checked, what changed since the last audit, what must stay as it is (accepted decisions), and
 * the remaining fixes with files, lines, fixes and effort, in the order to do them.
 */
interface FixGroup {
  ruleId: string;
  title: string;
  severity: Severity;
  findings: Finding[];
  minutes: number;
  blocking: boolean;
}

function groupFixes(result: AuditResult): FixGroup[] {
  const byRule = new Map<string, Finding[]>();
  for (const f of result.findings) {
    if (f.waiver) continue;
    const list = byRule.get(f.ruleId);
    if (list) list.push(f);
    else byRule.set(f.ruleId, [f]);
  }
  return [...byRule.entries()].map(([ruleId, findings]) => {
    const severity = findings.reduce<Severity>((worst, f) => (severityRank(f.severity) < severityRank(worst) ? f.severity : worst), 'info');
    return {
      ruleId,
      title: findings[0].title,
      severity,
      findings,
      minutes: effortMinutes(ruleId, findings.length),
      blocking: findings.some((f) => isBlocking(f, result)),
    };
  });
}

/** Priority: worst severity first; among equals, the one touching more places. */
function byPriority(a: FixGroup, b: FixGroup): number {
  return severityRank(a.severity) - severityRank(b.severity) || b.findings.length - a.findings.length || a.ruleId.localeCompare(b.ruleId);
}

/**
 * Execution order: critical fixes first (they stop every deploy, and fixing them unblocks CI for
 * the rest), then quick wins before long jobs, so the gate turns green as early as possible.
 */
function byExecution(a: FixGroup, b: FixGroup): number {
  const aCritical = a.severity === 'critical' ? 0 : 1;
  const bCritical = b.severity === 'critical' ? 0 : 1;
  return aCritical - bCritical || Number(b.blocking) - Number(a.blocking) || a.minutes - b.minutes || byPriority(a, b);
}

function fileList(findings: Finding[]): string {
  const byFile = new Map<string, number[]>();
  let repoLevel = false;
  for (const f of findings) {
    if (!f.file) {
      repoLevel = true;
      continue;
    }
    const lines = byFile.get(f.file) ?? [];
    if (f.line) lines.push(f.line);
    byFile.set(f.file, lines);
  }
  const parts = [...byFile.entries()].map(([file, lines]) => {
    const unique = [...new Set(lines)];
    return unique.length ? `\`${file}\` (line${unique.length > 1 ? 's' : ''} ${unique.join(', ')})` : `\`${file}\``;
  });
  if (repoLevel) parts.push('the repository as a whole');
  return parts.join(', ');
}

/** What the repository holds, from the services the audit recognised: names and kinds, never guessed. */
function describeServices(result: AuditResult): string {
  const services = result.model.services.filter((s) => s.kind !== 'frontend');
  const frontends = result.model.services.filter((s) => s.kind === 'frontend');
  const named = (list: typeof services) => list.map((s) => `\`${s.name}\`${s.kind === 'unknown' ? '' : ` (${s.kind === 'http' ? 'HTTP' : s.kind})`}`).join(', ');
  if (services.length === 0) return 'is a Node.js/TypeScript repository in which no service entry point was recognised';
  const parts = [`holds ${services.length === 1 ? 'one Node.js/TypeScript service' : `${services.length} Node.js/TypeScript services`}: ${named(services)}`];
  if (frontends.length) parts.push(`(and browser code in ${frontends.map((s) => `\`${s.dir || s.name}\``).join(', ')})`);
  return parts.join(' ');
}

export function renderPrompt(result: AuditResult): string {
  const out: string[] = [];
  const groups = groupFixes(result);
  const repo = repoName(result);
  out.push(`# Deployment fixes for \`${repo}\`: instructions for the next change`);
  out.push('');
  out.push('## Context');
  out.push('');
  out.push(
    `\`${repo}\` deploys to AWS ECS Fargate and ${describeServices(result)}. shipready ${VERSION} audited it statically ` +
      `(${result.stats.files} files, ${result.rulesRun} rules; no code was run): gate **${result.gate.status}**, ` +
      `score ${result.gate.score}/100, failing on ${result.gate.failOn} and above. ` +
      `Every item below names the file and line that is wrong and a fix that works on ECS. ` +
      `Make the smallest change that fixes each one; do not refactor around it.`,
  );
  if (result.findings.length === 0) {
    out.push('');
    out.push('There is nothing left to fix. Do not change the deployment files without a new finding to justify it.');
  }

  if (result.baseline) {
    const b = result.baseline;
    out.push('', '## Status of previous recommendations', '');
    out.push(`Compared with the earlier report \`${b.source}\`.`);
    out.push('', `### Fixed (${b.fixed.length}): no action needed`, '');
    if (b.fixed.length === 0) out.push('- none');
    for (const e of b.fixed) out.push(`- ${e.title}: \`${where(e.file, e.line)}\` (\`${e.ruleId}\`)`);
    const open = result.findings.filter((f) => f.baseline === 'open');
    out.push('', `### Still open (${open.length})`, '');
    if (open.length === 0) out.push('- none');
    for (const f of open) out.push(`- ${f.severity.toUpperCase()}: ${f.title}: \`${where(f.file, f.line)}\`${f.waiver ? ' (waived)' : ''}`);
    const fresh = result.findings.filter((f) => f.baseline === 'new');
    out.push('', `### New since then (${fresh.length})`, '');
    if (fresh.length === 0) out.push('- none');
    for (const f of fresh) out.push(`- ${f.severity.toUpperCase()}: ${f.title}: \`${where(f.file, f.line)}\`${f.waiver ? ' (waived)' : ''}`);
    if (b.notChecked.length > 0) {
      out.push('', `${b.notChecked.length} earlier finding(s) were not checked this time (their rule is disabled or gone); they are neither fixed nor open.`);
    }
  }

  const accepted = result.waivers.filter((w) => w.state === 'active');
  const ignoredWithReason = result.ignored;
  // Approvals from outside the config file (a pull-request label) are decisions too.
  const configSources = new Set(result.waivers.map((w) => w.waiver.source));
  const approvedElsewhere = result.findings.filter((f) => f.waiver && !configSources.has(f.waiver.source));
  if (accepted.length || ignoredWithReason.length || approvedElsewhere.length) {
    out.push('', '## Accepted decisions: what not to do', '');
    out.push('These were reviewed and accepted. Leave them as they are; do not "fix" them.');
    out.push('');
    for (const w of accepted) {
      const scope = w.waiver.path ? ` in \`${w.waiver.path}\`` : '';
      const approval = [w.waiver.approvedBy ? `approved by ${w.waiver.approvedBy}` : '', w.waiver.expires ? `until ${w.waiver.expires}` : ''].filter(Boolean).join(', ');
      out.push(`- Do NOT act on "${ruleTitle(w.waiver.ruleId)}" (\`${w.waiver.ruleId}\`)${scope}: ${w.waiver.reason.replace(/[.\s]+$/, '')}${approval ? ` (${approval})` : ''}.`);
    }
    for (const f of approvedElsewhere) {
      out.push(`- Do NOT change \`${where(f.file, f.line)}\` for \`${f.ruleId}\`: ${f.waiver!.reason} (${f.waiver!.source}).`);
    }
    for (const i of ignoredWithReason) {
      out.push(`- Do NOT change \`${where(i.finding.file, i.finding.line)}\` for \`${i.finding.ruleId}\`: ${i.reason} (inline ignore at \`${i.comment}\`).`);
    }
  }
  const lapsed = result.waivers.filter((w) => w.state === 'expired' && w.matched.length > 0);
  if (lapsed.length) {
    out.push('', 'No longer accepted (the waiver expired; these findings are in the list below again):');
    for (const w of lapsed) out.push(`- \`${w.waiver.ruleId}\`${w.waiver.path ? ` in \`${w.waiver.path}\`` : ''}: waiver expired on ${w.waiver.expires}.`);
  }

  const priority = [...groups].sort(byPriority);
  if (priority.length) {
    out.push('', '## Remaining fixes (in priority order)');
    priority.forEach((g, i) => {
      out.push('', `### ${i + 1}. ${g.severity.toUpperCase()}: ${g.title}`, '');
      out.push(`**Rule:** \`${g.ruleId}\` (\`shipready explain ${g.ruleId}\` says why it breaks on ECS)`);
      out.push(`**Files:** ${fileList(g.findings)}`);
      out.push(`**Effort:** about ${formatMinutes(g.minutes)}`);
      const fixes = new Set(g.findings.map((f) => f.fix));
      if (g.findings.length === 1) {
        const f = g.findings[0];
        out.push(`**Issue:** ${f.message}`);
        for (const r of f.related) out.push(`**Related:** \`${where(r.file, r.line)}\`: ${r.message}`);
        out.push(`**Fix:** ${f.fix}`);
      } else {
        out.push('**Issues:**');
        for (const f of g.findings) {
          out.push(`- \`${where(f.file, f.line)}\`: ${f.message}`);
          for (const r of f.related) out.push(`  - related \`${where(r.file, r.line)}\`: ${r.message}`);
          if (fixes.size > 1) out.push(`  - fix: ${f.fix}`);
        }
        if (fixes.size === 1) out.push(`**Fix:** ${[...fixes][0]}`);
      }
      for (const f of g.findings) {
        for (const l of lapsedWaivers(f, result.waivers)) out.push(`**Note:** the waiver at \`${l.waiver.source}\` expired on ${l.waiver.expires}; this must be fixed now.`);
      }
    });

    out.push('', '## Execution order', '');
    const order = [...groups].sort(byExecution);
    order.forEach((g, i) => {
      const places = g.findings.length > 1 ? ` (${g.findings.length} places)` : ` (\`${where(g.findings[0].file, g.findings[0].line)}\`)`;
      out.push(`${i + 1}. ${g.title}${places}: ${formatMinutes(g.minutes)}${g.blocking ? ', blocks the gate' : ''}`);
    });
    const total = groups.reduce((sum, g) => sum + g.minutes, 0);
    out.push('', `Estimated total: about ${formatMinutes(total)}. Run \`shipready audit\` again after the changes: every item above should be gone, and nothing new should appear.`);
  }
  return out.join('\n') + '\n';
}
