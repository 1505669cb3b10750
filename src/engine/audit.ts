import type { DeploymentModel } from '../model/index.js';
import { discover, type DiscoverTiming } from '../discover/index.js';
import { allRules } from '../rules/index.js';
import type { Rule, Severity } from '../rules/rule.js';
import type { Finding, IgnoredFinding } from './finding.js';
import { computeGate, summarize, type Gate, type Summary } from './gate.js';
import { applyInlineIgnores } from './ignores.js';
import { runRules } from './run.js';

export interface AuditOptions {
  failOn?: Severity;
  /** Run only these rules (ids); all rules by default. */
  rules?: Rule[];
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
  stats: { files: number; durationMs: number; timings: DiscoverTiming[] };
}

export async function audit(dir: string, options: AuditOptions = {}): Promise<AuditResult> {
  const started = performance.now();
  const { model, timings } = await discover(dir);
  const rules = options.rules ?? allRules;
  const t = performance.now();
  const run = runRules(model, rules);
  timings.push({ name: 'rules', ms: performance.now() - t });
  const { kept, ignored } = applyInlineIgnores(run.findings, model.files);
  const failOn = options.failOn ?? 'high';
  return {
    root: model.root,
    model,
    findings: kept,
    ignored,
    passed: run.passed,
    rulesRun: rules.length,
    errors: run.errors,
    gate: computeGate(kept, failOn),
    summary: summarize(kept),
    stats: { files: model.files.paths.length, durationMs: performance.now() - started, timings },
  };
}
