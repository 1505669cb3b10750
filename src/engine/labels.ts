import { readFileSync } from 'node:fs';
import { destructiveMigrationRules } from '../rules/migrations/index.js';
import type { Finding, Waiver } from './finding.js';

/**
 * The pull-request label that approves destructive migrations (seed 004's workflow: the label,
 * plus a DBA's review, lets a PR with DROP/RENAME/TRUNCATE merge).
 */
export const MIGRATION_APPROVAL_LABEL = 'migration-destructive-approved';

const DESTRUCTIVE_RULE_IDS = new Set(destructiveMigrationRules.map((r) => r.id));

/**
 * The labels of the pull request that triggered this GitHub Actions run, from the event payload
 * at GITHUB_EVENT_PATH (`pull_request.labels[].name`). Empty outside a pull-request event or when
 * the file cannot be read: no label, no approval.
 */
export function pullRequestLabels(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return [];
  try {
    const event = JSON.parse(readFileSync(path, 'utf8')) as { pull_request?: { labels?: unknown } };
    const labels = event.pull_request?.labels;
    if (!Array.isArray(labels)) return [];
    return labels
      .map((l) => (typeof l === 'string' ? l : typeof l === 'object' && l !== null ? (l as { name?: unknown }).name : undefined))
      .filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/**
 * Marks destructive migration findings as approved when the pull request carries the approval
 * label. Approved findings stay in every report (marked as waived, with the label as the source)
 * and stop failing the gate, as a waiver would. `labels` defaults to the GitHub event's labels.
 */
export function applyLabelApprovals(findings: Finding[], labels: string[] = pullRequestLabels()): Finding[] {
  if (!labels.includes(MIGRATION_APPROVAL_LABEL)) return findings;
  const waiverFor = (ruleId: string): Waiver => ({
    ruleId,
    reason: `the pull request carries the label ${MIGRATION_APPROVAL_LABEL}`,
    source: `pull-request label ${MIGRATION_APPROVAL_LABEL}`,
  });
  return findings.map((f) => (f.waiver || !DESTRUCTIVE_RULE_IDS.has(f.ruleId) ? f : { ...f, waiver: waiverFor(f.ruleId) }));
}
