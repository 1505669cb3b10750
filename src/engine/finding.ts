import type { GroupSpec, RelatedLocation, Severity } from '../rules/rule.js';

/** A finding as reported: the JSON contract's fields plus what the engine learned about it. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  title: string;
  message: string;
  /** Repo-relative path; null for repository-level findings. */
  file: string | null;
  line: number | null;
  column?: number;
  related: RelatedLocation[];
  fix: string;
  fingerprint: string;
  /**
   * How many places share this finding's root cause (the first is `file`/`line`, the others are
   * listed in `related`); absent for a finding of one place.
   */
  occurrences?: number;
  /** The root cause the rule gave, before grouping (internal: not part of the JSON report). */
  group?: GroupSpec;
  /** Set when a waiver accepts this finding. */
  waiver?: Waiver;
  /** Set when compared with a baseline. */
  baseline?: 'new' | 'open';
}

export interface Waiver {
  ruleId: string;
  /** Glob of paths the waiver covers; all paths when absent. */
  path?: string;
  reason: string;
  approvedBy?: string;
  expires?: string;
  /** Where the waiver was declared (config file, or an inline ignore comment). */
  source: string;
}

/** A finding silenced by an inline `shipready-ignore` comment, kept for the report. */
export interface IgnoredFinding {
  finding: Finding;
  reason: string;
  /** file:line of the comment. */
  comment: string;
}
