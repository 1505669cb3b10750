import { createHash } from 'node:crypto';
import { Analysis } from '../analysis/index.js';
import type { DeploymentModel } from '../model/index.js';
import { ASSUMPTION_CAP, fillTemplate, severityRank, type RawFinding, type Rule } from '../rules/rule.js';
import type { Finding } from './finding.js';

export interface RuleRun {
  findings: Finding[];
  /** Ids of rules that ran and reported nothing. */
  passed: string[];
  /** Rules that threw: the audit goes on without them, and the report says so. */
  errors: { ruleId: string; message: string }[];
}

export function runRules(model: DeploymentModel, rules: Rule[]): RuleRun {
  const raw: RawFinding[] = [];
  const passed: string[] = [];
  const errors: RuleRun['errors'] = [];
  const analysis = new Analysis(model);
  for (const rule of rules) {
    const before = raw.length;
    try {
      rule.check(model, (messageId, loc, data, options = {}) => {
        const spec = rule.messages[messageId];
        let severity = options.severity ?? rule.severity;
        let message = fillTemplate(spec.message, data);
        if (options.assumes) {
          if (severityRank(severity) < severityRank(ASSUMPTION_CAP)) severity = ASSUMPTION_CAP;
          message += ` (assumed: ${options.assumes})`;
        }
        raw.push({
          ruleId: rule.id,
          severity,
          message,
          fix: fillTemplate(spec.fix, data),
          loc,
          related: options.related ?? [],
          key: options.key,
          ...(options.group ? { group: options.group } : {}),
        });
      }, analysis);
    } catch (err) {
      raw.length = before;
      errors.push({ ruleId: rule.id, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      continue;
    }
    if (raw.length === before) passed.push(rule.id);
  }
  const titles = new Map(rules.map((r) => [r.id, r.title]));
  return { findings: finalize(raw, model, titles), passed, errors };
}

/** Drops exact duplicates, adds titles and fingerprints, and sorts worst first. */
function finalize(raw: RawFinding[], model: DeploymentModel, titles: Map<string, string>): Finding[] {
  const seen = new Set<string>();
  const fingerprints = new Map<string, number>();
  const findings: Finding[] = [];
  for (const r of raw) {
    const dedupeKey = [r.ruleId, r.loc?.file, r.loc?.line, r.loc?.column, r.message].join('\u0000');
    if (seen.has(dedupeKey)) continue;
    seen.add(dedupeKey);
    let fingerprint = fingerprintOf(r, model);
    const count = fingerprints.get(fingerprint) ?? 0;
    fingerprints.set(fingerprint, count + 1);
    if (count > 0) fingerprint = `${fingerprint}-${count + 1}`;
    findings.push({
      ruleId: r.ruleId,
      severity: r.severity,
      title: titles.get(r.ruleId) ?? r.ruleId,
      message: r.message,
      file: r.loc?.file ?? null,
      line: r.loc?.line ?? null,
      ...(r.loc?.column ? { column: r.loc.column } : {}),
      related: r.related,
      fix: r.fix,
      fingerprint,
      ...(r.group ? { group: r.group } : {}),
    });
  }
  return sortFindings(findings);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.message.localeCompare(b.message),
  );
}

/**
 * Stable while the problem stands: rule + file + the offending text (not the line number), so a
 * finding keeps its fingerprint when unrelated lines move.
 */
function fingerprintOf(r: RawFinding, model: DeploymentModel): string {
  let key = r.key;
  if (key === undefined && r.loc) {
    const text = model.files.read(r.loc.file)?.split('\n')[r.loc.line - 1];
    key = text?.trim().replace(/\s+/g, ' ');
  }
  if (key === undefined) key = r.message;
  return createHash('sha256')
    .update(`${r.ruleId}\u0000${r.loc?.file ?? ''}\u0000${key}`)
    .digest('hex')
    .slice(0, 16);
}
