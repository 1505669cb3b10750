import picomatch from 'picomatch';
import type { WaiverSpec } from './config.js';
import type { Finding, Waiver } from './finding.js';

/**
 * A waiver is an accepted risk with a name on it: the finding stays in every report, marked as
 * waived, and stops failing the gate. Once its expiry date has passed, it stops applying: the
 * finding counts again, and the reports say which waiver lapsed (a note on the finding, not a
 * separate finding, so the same problem is never counted twice).
 */
export interface WaiverStatus {
  waiver: Waiver & { fingerprint?: string; approvedAt?: string };
  state: 'active' | 'expired';
  /** Fingerprints of the findings the waiver covers (or, when expired, would have covered). */
  matched: string[];
}

/** The moment a waiver stops applying: the end of its `expires` day in UTC, or the exact time given. */
export function expiryInstant(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}

export function isExpired(spec: Pick<WaiverSpec, 'expires'>, now: Date): boolean {
  return spec.expires !== undefined && now.getTime() > expiryInstant(spec.expires);
}

function covers(spec: WaiverSpec, finding: Finding, matchPath: ((p: string) => boolean) | undefined): boolean {
  if (spec.ruleId !== finding.ruleId) return false;
  if (spec.fingerprint !== undefined && spec.fingerprint !== finding.fingerprint) return false;
  if (matchPath) return finding.file !== null && matchPath(finding.file);
  return true;
}

/** Marks the findings that an active waiver covers; returns every waiver with what it matched. */
export function applyWaivers(findings: Finding[], specs: WaiverSpec[], now: Date): { findings: Finding[]; statuses: WaiverStatus[] } {
  const statuses: WaiverStatus[] = specs.map((spec) => ({
    waiver: {
      ruleId: spec.ruleId,
      ...(spec.path !== undefined ? { path: spec.path } : {}),
      ...(spec.fingerprint !== undefined ? { fingerprint: spec.fingerprint } : {}),
      reason: spec.reason,
      approvedBy: spec.approvedBy,
      ...(spec.approvedAt !== undefined ? { approvedAt: spec.approvedAt } : {}),
      ...(spec.expires !== undefined ? { expires: spec.expires } : {}),
      source: spec.source,
    },
    state: isExpired(spec, now) ? 'expired' : 'active',
    matched: [],
  }));
  const matchers = specs.map((spec) => (spec.path ? picomatch(spec.path, { dot: true }) : undefined));
  const marked = findings.map((finding) => {
    let waiver: Waiver | undefined;
    specs.forEach((spec, i) => {
      if (!covers(spec, finding, matchers[i])) return;
      statuses[i].matched.push(finding.fingerprint);
      if (!waiver && statuses[i].state === 'active') waiver = statuses[i].waiver;
    });
    return waiver ? { ...finding, waiver } : finding;
  });
  return { findings: marked, statuses };
}

/** The expired waivers that would cover this finding: reports say the acceptance lapsed. */
export function lapsedWaivers(finding: Finding, statuses: WaiverStatus[]): WaiverStatus[] {
  if (finding.waiver) return [];
  return statuses.filter((s) => s.state === 'expired' && s.matched.includes(finding.fingerprint));
}
