import type { DeploymentModel } from '../model/index.js';
import { discover, type DiscoverTiming } from '../discover/index.js';
import type { MigrationSelection } from '../discover/migrations/index.js';
import { allRules } from '../rules/index.js';
import type { Rule, Severity } from '../rules/rule.js';
import type { Finding, IgnoredFinding } from './finding.js';
import { computeGate, summarize, type Gate, type Summary } from './gate.js';
import { applyInlineIgnores } from './ignores.js';
import { runRules, sortFindings } from './run.js';
import { checkRuleIds, emptyConfig, loadConfig, type ShipreadyConfig } from './config.js';
import { applyWaivers, type WaiverStatus } from './waivers.js';
import { compareWithBaseline, readBaseline, type BaselineComparison } from './baseline.js';
import { applyLabelApprovals } from './labels.js';
import { groupFindings, ungrouped } from './group.js';

export interface AuditOptions {
  /** Gate threshold; wins over the config file's `failOn`. Default high. */
  failOn?: Severity;
  /** Run only these rules (ids); all rules by default. */
  rules?: Rule[];
  /** Config file to use instead of the one in the audited root; false to use none. */
  config?: string | false;
  /** Earlier JSON report: findings are marked new / open, and the gone ones listed as fixed. */
  baseline?: string;
  /** The date waiver expiry and Node end-of-life are judged against; SHIPREADY_TODAY or now by default. */
  now?: Date;
  /** Pull-request labels (migration-destructive-approved approves destructive migrations); the GitHub event's by default. */
  labels?: string[];
  /** Which migrations to judge (paths, --since, --all-migrations); by default the pending ones, found from git. */
  migrations?: MigrationSelection;
  /** One finding per root cause, its other places under related (default); false lists every place apart (--no-group). */
  group?: boolean;
}

export interface AuditResult {
  root: string;
  model: DeploymentModel;
  findings: Finding[];
  ignored: IgnoredFinding[];
  /** Rules that ran and found nothing. */
  passed: string[];
  rulesRun: number;
  errors: { ruleId: string; message: string }[];
  gate: Gate;
  summary: Summary;
  /** The configuration used (file null when there was none). */
  config: ShipreadyConfig;
  /** Every configured waiver: active or expired, and what it matched. */
  waivers: WaiverStatus[];
  /** Set when a baseline was given. */
  baseline?: BaselineComparison;
  stats: { files: number; durationMs: number; timings: DiscoverTiming[] };
}

export async function audit(dir: string, options: AuditOptions = {}): Promise<AuditResult> {
  const started = performance.now();
  const { model, timings } = await discover(dir, { today: options.now, ...(options.migrations ? { migrations: options.migrations } : {}) });
  const config = options.config === false ? emptyConfig() : await loadConfig(model.root, options.config);
  checkRuleIds(config, allRules.map((r) => r.id));
  const rules = (options.rules ?? allRules).filter((r) => !config.disabledRules.has(r.id));
  const t = performance.now();
  const run = runRules(model, rules);
  timings.push({ name: 'rules', ms: performance.now() - t });
  const { kept, ignored } = applyInlineIgnores(run.findings, model.files);
  const overridden = kept.map((f) => {
    const severity = config.severityOverrides.get(f.ruleId);
    return severity ? { ...f, severity } : f;
  });
  const grouped = options.group === false ? ungrouped(overridden) : groupFindings(overridden);
  const waived = applyWaivers(sortFindings(grouped), config.waivers, model.today);
  let findings = applyLabelApprovals(waived.findings, options.labels);
  let baseline: BaselineComparison | undefined;
  if (options.baseline) {
    const compared = compareWithBaseline(findings, ignored, readBaseline(options.baseline), new Set(rules.map((r) => r.id)), options.baseline);
    findings = compared.findings;
    baseline = compared.comparison;
  }
  const failOn = options.failOn ?? config.failOn ?? 'high';
  return {
    root: model.root,
    model,
    findings,
    ignored,
    passed: run.passed,
    rulesRun: rules.length,
    errors: run.errors,
    gate: computeGate(findings, failOn),
    summary: summarize(findings),
    config,
    waivers: waived.statuses,
    ...(baseline ? { baseline } : {}),
    stats: { files: model.files.paths.length, durationMs: performance.now() - started, timings },
  };
}
