import { createHash } from 'node:crypto';
import { severityRank, type RelatedLocation } from '../rules/rule.js';
import type { Finding } from './finding.js';
import { sortFindings } from './run.js';

/** Labels quoted in a merged message before "…": enough to recognise the set, short enough to read. */
const LABELS_IN_MESSAGE = 6;

/**
 * One finding per root cause. Occurrences a rule reports under the same group key (every package a
 * stale lockfile misses, every variable a task definition lacks, every statement of one migration
 * that several rules object to) become one finding: the worst occurrence is its place and message,
 * the others are listed in `related`, and its fingerprint is the cause's, so it keeps its identity
 * while occurrences come and go. Findings without a group key pass through unchanged.
 */
export function groupFindings(findings: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const f of sortFindings([...findings])) {
    if (!f.group) {
      out.push(f);
      continue;
    }
    const key = f.group.acrossRules ? `*\u0000${f.group.key}` : `${f.ruleId}\u0000${f.group.key}`;
    const members = groups.get(key);
    if (members) members.push(f);
    else {
      const list = [f];
      groups.set(key, list);
      out.push(f); // placeholder, replaced below, so that the order stays the sorted one
    }
  }
  const merged = new Map<Finding, Finding>();
  for (const [key, members] of groups) {
    const { group: _group, ...single } = members[0];
    merged.set(members[0], members.length > 1 ? mergeGroup(key, members) : { ...single, fingerprint: groupFingerprint(key) });
  }
  return sortFindings(out.map((f) => merged.get(f) ?? f));
}

/** Findings as the rules reported them, one per place (--no-group): the grouping key is dropped. */
export function ungrouped(findings: Finding[]): Finding[] {
  return findings.map(({ group: _group, ...rest }) => rest);
}

/** The cause's identity: stable while any of its occurrences remains. */
function groupFingerprint(key: string): string {
  return createHash('sha256').update(`group\u0000${key}`).digest('hex').slice(0, 16);
}

function mergeGroup(key: string, members: Finding[]): Finding {
  // Sorted worst first, then by place: the first member is the one the finding points at.
  const [primary, ...others] = [...members].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const labels = unique(members.map((m) => m.group?.label).filter((l): l is string => !!l));
  const otherLabels = labels.filter((l) => l !== primary.group?.label);
  const acrossRules = primary.group?.acrossRules === true;
  const related: RelatedLocation[] = [...primary.related];
  for (const o of others) {
    if (!o.file) continue;
    const prefix = acrossRules && o.ruleId !== primary.ruleId ? `also ${o.ruleId}: ` : '';
    related.push({ file: o.file, line: o.line ?? 1, message: prefix + o.message });
  }
  const more = others.length;
  const listed = otherLabels.slice(0, LABELS_IN_MESSAGE).join(', ') + (otherLabels.length > LABELS_IN_MESSAGE ? ', …' : '');
  const otherRules = acrossRules ? unique(others.map((o) => o.ruleId).filter((r) => r !== primary.ruleId)) : [];
  const suffix = acrossRules && otherRules.length > 0
    ? ` (the same cause also triggers ${otherRules.join(', ')}; see related)`
    : ` (and ${more} more of the same cause${listed ? `: ${listed}` : ''}; each is listed under related)`;
  const { group: _group, ...rest } = primary;
  return {
    ...rest,
    message: primary.message + suffix,
    related,
    occurrences: members.length,
    fingerprint: groupFingerprint(key),
  };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
