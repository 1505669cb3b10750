import { readFileSync } from 'node:fs';
import { isSeverity } from '../rules/rule.js';
import { ConfigError } from './config.js';
import type { Finding, IgnoredFinding } from './finding.js';

/**
 * A baseline is an earlier JSON report (`--format json` or `--write-baseline`). Findings are
 * matched by fingerprint, which is rule + file + the offending line's text (see engine/run.ts),
 * not the line number: a problem keeps its identity when unrelated lines above it move, and
 * disappears from the baseline's point of view only when its line changes or goes away.
 */
export type BaselineEntry = Pick<Finding, 'ruleId' | 'severity' | 'title' | 'message' | 'file' | 'line' | 'fingerprint'>;

export interface BaselineComparison {
  /** The baseline file as given. */
  source: string;
  /** Findings of the baseline that are gone. */
  fixed: BaselineEntry[];
  /** Findings of the baseline whose rule did not run this time (disabled, or removed): neither fixed nor open. */
  notChecked: BaselineEntry[];
  open: number;
  new: number;
}

export function readBaseline(path: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the baseline ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the baseline ${path} is not JSON (${(err as Error).message}); write one with --write-baseline or --format json`);
  }
  const findings = (report as { findings?: unknown })?.findings;
  if (!Array.isArray(findings)) throw new ConfigError(`the baseline ${path} has no "findings" array: is it a shipready JSON report?`);
  return findings.map((f: Record<string, unknown>, i) => {
    if (typeof f?.fingerprint !== 'string' || typeof f.ruleId !== 'string') {
      throw new ConfigError(`the baseline ${path}: findings[${i}] has no ruleId or fingerprint`);
    }
    return {
      ruleId: f.ruleId,
      severity: typeof f.severity === 'string' && isSeverity(f.severity) ? f.severity : 'info',
      title: typeof f.title === 'string' ? f.title : f.ruleId,
      message: typeof f.message === 'string' ? f.message : '',
      file: typeof f.file === 'string' ? f.file : null,
      line: typeof f.line === 'number' ? f.line : null,
      fingerprint: f.fingerprint,
    };
  });
}

/**
 * Marks each finding new or open, and lists what the baseline had that is gone. A finding that an
 * inline ignore now silences is not counted as fixed: it still stands, someone accepted it.
 */
export function compareWithBaseline(
  findings: Finding[],
  ignored: IgnoredFinding[],
  previous: BaselineEntry[],
  rulesRun: Set<string>,
  source: string,
): { findings: Finding[]; comparison: BaselineComparison } {
  const before = new Set(previous.map((e) => e.fingerprint));
  const marked = findings.map((f) => ({ ...f, baseline: before.has(f.fingerprint) ? ('open' as const) : ('new' as const) }));
  const now = new Set([...findings.map((f) => f.fingerprint), ...ignored.map((i) => i.finding.fingerprint)]);
  const gone = previous.filter((e) => !now.has(e.fingerprint));
  return {
    findings: marked,
    comparison: {
      source,
      fixed: gone.filter((e) => rulesRun.has(e.ruleId)),
      notChecked: gone.filter((e) => !rulesRun.has(e.ruleId)),
      open: marked.filter((f) => f.baseline === 'open').length,
      new: marked.filter((f) => f.baseline === 'new').length,
    },
  };
}
