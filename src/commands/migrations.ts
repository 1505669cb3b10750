import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../cli/errors.js';
import type { MigrationSelection } from '../discover/migrations/index.js';
import { audit, type AuditResult } from '../engine/audit.js';
import { ConfigError } from '../engine/config.js';
import type { Finding } from '../engine/finding.js';
import { MIGRATION_APPROVAL_LABEL } from '../engine/labels.js';
import { renderJson } from '../report/json.js';
import { painter, shouldColor } from '../report/text.js';
import { destructiveMigrationRules, migrationRules } from '../rules/migrations/index.js';
import { isSeverity, type Severity } from '../rules/rule.js';

export interface MigrationsCommandOptions {
  format: string;
  /** PostgreSQL major version, e.g. "13" or "13.4". */
  pgVersion?: string;
  /** Comma-separated pull-request labels; the GitHub event's labels when absent. */
  labels?: string;
  /** Git ref: check only migrations added or changed since it. */
  since?: string;
  /** Check every migration, including those taken as already applied. */
  allMigrations?: boolean;
  failOn?: string;
  config?: string | false;
}

/** The operation each rule reports, as the seed-004 analyzer names it. */
const OPERATIONS: Record<string, string> = {
  'migrations/drop-table': 'DROP TABLE',
  'migrations/drop-column': 'DROP COLUMN',
  'migrations/truncate-table': 'TRUNCATE',
  'migrations/changing-column-type': 'ALTER … TYPE',
  'migrations/renaming-column': 'RENAME COLUMN',
  'migrations/renaming-table': 'RENAME TABLE',
  'migrations/setting-not-null': 'SET NOT NULL',
  'migrations/drop-constraint': 'DROP CONSTRAINT',
  'migrations/require-concurrent-index-creation': 'CREATE INDEX (locks writes)',
  'migrations/require-concurrent-index-deletion': 'DROP INDEX (locks table)',
  'migrations/constraint-missing-not-valid': 'ADD CONSTRAINT (validates under lock)',
  'migrations/adding-required-field': 'ADD COLUMN NOT NULL',
  'migrations/adding-field-with-default': 'ADD COLUMN DEFAULT (rewrite)',
  'migrations/ban-concurrent-index-creation-in-transaction': 'CONCURRENTLY in a transaction',
  'migrations/parse-error': 'does not parse',
};

const DESTRUCTIVE = new Set(destructiveMigrationRules.map((r) => r.id));

function parsePgVersion(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,2})(?:\.\d+)*$/.exec(value.trim());
  const major = m ? Number(m[1]) : NaN;
  if (!(major >= 9 && major <= 30)) throw new UsageError(`--pg-version takes a PostgreSQL version such as 13 or 16.2 (got "${value}")`);
  return major;
}

/** --since must name a commit: a typo would otherwise silently judge nothing. */
export function checkSinceRef(ref: string, cwd: string): void {
  try {
    execFileSync('git', ['-C', cwd, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { stdio: 'ignore' });
  } catch {
    throw new UsageError(`--since ${ref}: not a commit in this git repository`);
  }
}

/**
 * `shipready migrations [paths…]`: the migration rules over the migrations under the current
 * folder (or the files and folders named), with the same ignores, waivers, labels and gate as audit.
 */
export async function runMigrationsCommand(paths: string[], options: MigrationsCommandOptions): Promise<number> {
  if (options.format !== 'text' && options.format !== 'json') throw new UsageError(`--format must be text or json (got "${options.format}")`);
  if (options.failOn !== undefined && !isSeverity(options.failOn)) {
    throw new UsageError(`--fail-on must be one of critical, high, medium, low, info (got "${options.failOn}")`);
  }
  const root = process.cwd();
  const selection: MigrationSelection = { paths: [] };
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${p} does not exist`);
    const rel = relative(root, resolve(p));
    if (rel.startsWith('..') || isAbsolute(rel)) throw new UsageError(`${p} is outside the current folder; run shipready migrations from the repository root`);
    selection.paths!.push(rel.split(sep).join('/'));
  }
  const postgresMajor = parsePgVersion(options.pgVersion);
  if (postgresMajor) selection.postgresMajor = postgresMajor;
  if (options.since) {
    checkSinceRef(options.since, root);
    selection.since = options.since;
  }
  if (options.allMigrations) selection.all = true;
  let located: string[] = [];
  selection.onLocated = (files) => (located = files);
  const labels = options.labels?.split(',').map((l) => l.trim()).filter(Boolean);

  let result: AuditResult;
  try {
    result = await audit(root, {
      rules: migrationRules,
      failOn: options.failOn as Severity | undefined,
      config: options.config,
      migrations: selection,
      ...(labels ? { labels } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(options.format === 'json' ? renderJson(result) : renderMigrationsText(result, located, shouldColor(process.stdout)));
  return result.gate.status === 'FAIL' ? 1 : 0;
}

const SEVERITY_MARK: Record<Severity, string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

/** The statement a finding points at, as the model quotes it. */
function statementAt(result: AuditResult, f: Finding): string | undefined {
  const file = result.model.migrations.find((m) => m.path === f.file);
  return file?.statements.find((s) => s.loc.line === f.line && s.kind !== 'TransactionStmt')?.text;
}

/** Text report: per file, each operation with its line, the statement, and what to do. */
export function renderMigrationsText(result: AuditResult, checkedFiles: string[], color: boolean): string {
  const paint = painter(color);
  const out: string[] = [];
  const postgres = result.model.migrations[0]?.postgres;
  out.push(
    paint('bold', 'shipready migrations') +
      paint('dim', ` · ${checkedFiles.length} migration file${checkedFiles.length === 1 ? '' : 's'} checked${postgres ? ` · PostgreSQL ${postgres.major} (${postgres.source})` : ''}`),
  );
  const scope = result.model.migrationScope;
  if (scope && scope.basis !== 'named' && scope.basis !== 'all') {
    out.push(paint('dim', `pending: ${scope.description}; ${scope.notJudged.length} other migration file${scope.notJudged.length === 1 ? '' : 's'} taken as already applied and not checked (--all-migrations checks them)`));
  }
  out.push('');
  if (result.findings.length === 0) out.push(paint('green', checkedFiles.length ? 'No unsafe migration operations.' : 'No migrations found.'), '');
  const byFile = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const key = f.file ?? '(repository)';
    byFile.set(key, [...(byFile.get(key) ?? []), f]);
  }
  for (const [file, findings] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(paint('bold', file));
    for (const f of findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      const approved = f.waiver ? paint('cyan', ` [approved: ${f.waiver.source}]`) : '';
      const severityStyle = f.severity === 'critical' ? (['bold', 'magenta'] as const) : f.severity === 'high' ? (['bold', 'red'] as const) : (['yellow'] as const);
      out.push(`  ${paint([...severityStyle], SEVERITY_MARK[f.severity].padEnd(8))} line ${String(f.line ?? '-').padEnd(5)} ${paint('bold', OPERATIONS[f.ruleId] ?? f.ruleId)}  ${paint('dim', f.ruleId)}${approved}`);
      const statement = statementAt(result, f);
      if (statement) out.push(`      ${statement}`);
      else out.push(`      ${f.message}`);
      if (statement) out.push(paint('dim', `      why: ${f.message.replace(/^[^`]*`[^`]*`\.\s*/, '')}`));
      out.push(`      ${paint('green', 'do:')} ${f.fix}`);
    }
    out.push('');
  }
  if (result.ignored.length > 0) {
    out.push(paint('dim', `IGNORED BY COMMENT (${result.ignored.length})`));
    for (const i of result.ignored) out.push(paint('dim', `  ${i.finding.file}:${i.finding.line}  ${i.finding.ruleId}: ${i.reason}`));
    out.push('');
  }
  const pending = result.findings.filter((f) => DESTRUCTIVE.has(f.ruleId) && !f.waiver);
  if (pending.length > 0) {
    out.push(`${pending.length} destructive operation${pending.length === 1 ? '' : 's'} not approved. To go ahead anyway:`);
    out.push(`  1. split the change expand/contract (new code first, the drop or rename in a later release), or`);
    out.push(`  2. after review by someone who owns the database, add the label ${MIGRATION_APPROVAL_LABEL} to the pull request,`);
    out.push(`     or a waiver with a reason in shipready.config.json, or "-- shipready-ignore <rule>: <reason>" above the statement.`);
    out.push('');
  }
  const s = result.summary;
  const GATE = { PASS: 'green', CONCERNS: 'yellow', FAIL: 'red', WAIVED: 'cyan' } as const;
  out.push(
    `${paint(['bold', GATE[result.gate.status]], `Gate: ${result.gate.status}`)}  ${s.critical} critical, ${s.high} high, ${s.medium} medium · fails on ${result.gate.failOn} and above`,
  );
  return out.join('\n') + '\n';
}
