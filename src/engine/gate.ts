import { SEVERITIES, severityRank, type Severity } from '../rules/rule.js';
import type { Finding } from './finding.js';

export type GateStatus = 'PASS' | 'CONCERNS' | 'FAIL' | 'WAIVED';

export interface Gate {
  status: GateStatus;
  score: number;
  failOn: Severity;
}

export type Summary = Record<Severity, number>;

/**
 * Points a finding takes off the score of 100. Two highs and three mediums give 65, the figure a
 * QA gate in the field put on such a deploy.
 */
export const SCORE_WEIGHTS: Record<Severity, number> = { critical: 20, high: 10, medium: 5, low: 1, info: 0 };

export function summarize(findings: Finding[]): Summary {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Summary;
  for (const f of findings) summary[f.severity]++;
  return summary;
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

/**
 * FAIL: a finding at or above the threshold stands. WAIVED: every such finding is accepted by a
 * waiver. CONCERNS: medium or worse findings remain below the threshold. PASS otherwise.
 * Waived findings still cost points: the risk is accepted, not gone.
 */
export function computeGate(findings: Finding[], failOn: Severity): Gate {
  const score = Math.max(0, 100 - findings.reduce((sum, f) => sum + SCORE_WEIGHTS[f.severity], 0));
  const blocking = findings.filter((f) => atOrAbove(f.severity, failOn));
  let status: GateStatus;
  if (blocking.some((f) => !f.waiver)) status = 'FAIL';
  else if (blocking.length > 0) status = 'WAIVED';
  else if (findings.some((f) => !f.waiver && atOrAbove(f.severity, 'medium'))) status = 'CONCERNS';
  else status = 'PASS';
  return { status, score, failOn };
}
