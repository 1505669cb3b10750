import type { AuditResult } from '../engine/audit.js';
import type { Finding } from '../engine/finding.js';
import { atOrAbove } from '../engine/gate.js';
import { findRule } from '../rules/index.js';
import { SEVERITIES, severityRank } from '../rules/rule.js';
import { areaOf } from './effort.js';

/** Human names of the rule areas, in the order reports list them. */
const AREA_NAMES: Record<string, string> = {
  repo: 'Repository',
  docker: 'Dockerfiles',
  ci: 'CI workflows',
  compose: 'Compose files',
  src: 'Service code',
  ecs: 'ECS tasks and services',
  aws: 'Load balancers and IAM',
  migrations: 'Database migrations',
};

export function areaName(area: string): string {
  return AREA_NAMES[area] ?? area;
}

export type AreaStatus = 'pass' | 'warn' | 'fail';

export const STATUS_ICON: Record<AreaStatus, string> = { pass: '✅', warn: '⚠️', fail: '❌' };

export interface AreaSummary {
  area: string;
  name: string;
  status: AreaStatus;
  findings: Finding[];
  /** Rule ids of the area that ran and found nothing. */
  passed: string[];
  notes: string;
}

/** A finding that fails the gate: at or above the threshold and not waived. */
export function isBlocking(f: Finding, result: AuditResult): boolean {
  return !f.waiver && atOrAbove(f.severity, result.gate.failOn);
}

/**
 * Splits the findings the way a reviewer reads them: what must be fixed before deploying (fails
 * the gate), what stays below the gate but will likely bite at runtime or later (medium and
 * worse), hygiene (low, info), and accepted risks (waived).
 */
export function classify(result: AuditResult) {
  const blocking = result.findings.filter((f) => isBlocking(f, result));
  const belowGate = result.findings.filter((f) => !f.waiver && !isBlocking(f, result) && atOrAbove(f.severity, 'medium'));
  const hygiene = result.findings.filter((f) => !f.waiver && !isBlocking(f, result) && !atOrAbove(f.severity, 'medium'));
  const waived = result.findings.filter((f) => f.waiver);
  return { blocking, belowGate, hygiene, waived };
}

export function ruleTitle(ruleId: string): string {
  return findRule(ruleId)?.title ?? ruleId;
}

export function summarizeAreas(result: AuditResult): AreaSummary[] {
  const areas = new Set<string>([...result.passed, ...result.findings.map((f) => f.ruleId), ...result.errors.map((e) => e.ruleId)].map(areaOf));
  const order = Object.keys(AREA_NAMES);
  return [...areas]
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .map((area) => {
      const findings = result.findings.filter((f) => areaOf(f.ruleId) === area);
      const passed = result.passed.filter((id) => areaOf(id) === area);
      const open = findings.filter((f) => !f.waiver);
      let status: AreaStatus = 'pass';
      if (open.some((f) => isBlocking(f, result))) status = 'fail';
      else if (open.some((f) => atOrAbove(f.severity, 'medium')) || findings.some((f) => f.waiver && atOrAbove(f.severity, result.gate.failOn))) status = 'warn';
      return { area, name: areaName(area), status, findings, passed, notes: areaNotes(open, findings.length - open.length, passed.length) };
    });
}

function areaNotes(open: Finding[], waived: number, passed: number): string {
  const parts: string[] = [];
  if (open.length > 0) {
    const counts = SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    const worst = [...open].sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0];
    const titles = [...new Set(open.filter((f) => f.severity === worst.severity).map((f) => f.title))];
    parts.push(`${counts}: ${titles.slice(0, 2).join('; ')}${titles.length > 2 ? ` and ${titles.length - 2} more` : ''}`);
  }
  if (waived > 0) parts.push(`${waived} waived`);
  if (passed > 0 || parts.length === 0) parts.push(passed === 1 ? '1 check passed' : `${passed} checks passed`);
  return parts.join('; ');
}

/** `file:line`, `file`, or "(repository)" for repository-level findings. */
export function where(file: string | null, line: number | null): string {
  return file ? (line ? `${file}:${line}` : file) : '(repository)';
}

/** The repository's folder name: reports name it without the machine-specific absolute path. */
export function repoName(result: AuditResult): string {
  return result.root.split(/[\\/]/).filter(Boolean).pop() ?? result.root;
}
