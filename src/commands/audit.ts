import { appendFileSync, statSync, writeFileSync } from 'node:fs';
import { audit } from '../engine/audit.js';
import { ConfigError } from '../engine/config.js';
import { formatters } from '../report/index.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { shouldColor } from '../report/text.js';
import { isSeverity, type Severity } from '../rules/rule.js';
import { UsageError } from '../cli/errors.js';
import { checkSinceRef } from './migrations.js';

export interface AuditCommandOptions {
  format: string;
  /** Undefined: the config file's failOn, else high. */
  failOn?: string;
  output?: string;
  verbose?: boolean;
  /** Extra reports in the same run, each `format=file` (e.g. `sarif=shipready.sarif`). */
  report?: string[];
  /** Appends the Markdown report to this file (GitHub's $GITHUB_STEP_SUMMARY is appended to, not replaced). */
  markdownSummary?: string;
  /** A config file, or false for none (--no-config). */
  config?: string | false;
  baseline?: string;
  writeBaseline?: string;
  /** false with --no-group: every place of a root cause is a finding of its own. */
  group?: boolean;
  /** Git ref: migrations added or changed since it are the pending ones. */
  since?: string;
  /** Judge every migration, not only pending ones. */
  allMigrations?: boolean;
}

function parseReportSpecs(specs: string[] = []): { format: string; file: string }[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const format = eq > 0 ? spec.slice(0, eq) : '';
    const file = eq > 0 ? spec.slice(eq + 1) : '';
    if (!formatters[format] || !file) {
      throw new UsageError(`--report takes <format>=<file> with a format among ${Object.keys(formatters).join(', ')} (got "${spec}")`);
    }
    return { format, file };
  });
}

/** Runs the audit and writes the reports; returns the exit code (1 when the gate fails, WAIVED passes). */
export async function runAuditCommand(dir: string, options: AuditCommandOptions): Promise<number> {
  if (options.failOn !== undefined && !isSeverity(options.failOn)) {
    throw new UsageError(`--fail-on must be one of critical, high, medium, low, info (got "${options.failOn}")`);
  }
  const formatter = formatters[options.format];
  if (!formatter) throw new UsageError(`unknown --format "${options.format}"; one of: ${Object.keys(formatters).join(', ')}`);
  const extraReports = parseReportSpecs(options.report);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${dir} is not a folder`);
  let result;
  try {
    if (options.since) checkSinceRef(options.since, dir);
    const migrations = { ...(options.since ? { since: options.since } : {}), ...(options.allMigrations ? { all: true } : {}) };
    result = await audit(dir, { failOn: options.failOn as Severity | undefined, config: options.config, baseline: options.baseline, group: options.group, migrations });
  } catch (err) {
    // A broken config or baseline is the caller's to fix: one line, exit 2, no stack trace.
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const toFile = Boolean(options.output);
  const rendered = formatter(result, { color: !toFile && shouldColor(process.stdout), verbose: options.verbose });
  if (options.output) writeFileSync(options.output, rendered);
  else process.stdout.write(rendered);
  for (const { format, file } of extraReports) writeFileSync(file, formatters[format](result, { color: false, verbose: options.verbose }));
  if (options.markdownSummary) appendFileSync(options.markdownSummary, renderMarkdown(result));
  if (options.writeBaseline) writeFileSync(options.writeBaseline, renderJson(result));
  return result.gate.status === 'FAIL' ? 1 : 0;
}
