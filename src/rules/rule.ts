import type { Analysis } from '../analysis/index.js';
import type { DeploymentModel } from '../model/index.js';
import type { Loc } from '../model/location.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** The most a finding that rests on an assumption can be (see ReportOptions.assumes). */
export const ASSUMPTION_CAP: Severity = 'medium';

/** Lower is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export interface RelatedLocation extends Loc {
  message: string;
}

/** A message template: `{{name}}` placeholders are filled from the report's data. */
export interface MessageSpec {
  message: string;
  fix: string;
}

export interface RuleMeta<M extends string> {
  /** `area/kebab-name`; equals the rule's path under src/rules. */
  id: string;
  severity: Severity;
  /** Short title, shown in `rules`, reports and SARIF. */
  title: string;
  /** Part of a security-relevant set (SARIF security-severity). */
  security?: boolean;
  messages: Record<M, MessageSpec>;
}

export interface ReportOptions {
  related?: RelatedLocation[];
  /** Overrides the rule's default severity for this occurrence, when the evidence makes it worse or milder. */
  severity?: Severity;
  /**
   * What this occurrence takes for granted that the files do not prove (a link made by a name, a
   * value that could not be resolved, a migration taken as pending). Severity is evidence: such a
   * finding is at most medium, and its message ends with what it assumed.
   */
  assumes?: string;
  /**
   * What identifies this occurrence across runs, when the offending line's text is not enough
   * (the fingerprint is rule + file + this key). Defaults to the text of the offending line.
   */
  key?: string;
  /**
   * The root cause this occurrence belongs to: occurrences of one rule with the same group key
   * become one finding (the worst occurrence first, the others listed in `related`), unless the
   * audit runs with --no-group. `label` names the occurrence in the merged message (a package, a
   * variable); `acrossRules` merges occurrences of several rules that share the key (one SQL
   * statement that several migration rules object to).
   */
  group?: GroupSpec;
}

export interface GroupSpec {
  key: string;
  label?: string;
  acrossRules?: boolean;
}

/** A finding as a rule reports it, before the engine adds fingerprint, title and ignores. */
export interface RawFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  fix: string;
  /** undefined for repository-level findings. */
  loc?: Loc;
  related: RelatedLocation[];
  key?: string;
  group?: GroupSpec;
}

export type Report<M extends string> = (
  messageId: M,
  loc: Loc | undefined,
  data?: Record<string, string | number>,
  options?: ReportOptions,
) => void;

export interface Rule<M extends string = string> extends RuleMeta<M> {
  /** Reads the model and the facts the analysis layer derives from it (production scope, links); never the disk. */
  check(model: DeploymentModel, report: Report<M>, analysis: Analysis): void;
}

/** Declares a rule. A rule reads the model only: it never touches the disk. */
export function defineRule<M extends string>(rule: Rule<M>): Rule<M> {
  return rule;
}

export function fillTemplate(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    name in data ? String(data[name]) : whole,
  );
}
