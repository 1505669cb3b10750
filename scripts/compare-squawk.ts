/**
 * Runs shipready's migration rules and squawk (npm squawk-cli, a PostgreSQL migration linter) on the
 * same SQL files and prints every statement where they disagree. The explanation of each difference
 * on the seed-004 operations is in docs/migrations-vs-squawk.md.
 *
 *   node --import tsx scripts/compare-squawk.ts [--pg-version 15] [--assume-in-transaction] [files or folders…]
 *
 * Default corpus: every .sql file under test/fixtures/migrations (the acceptance corpus and the rule
 * fixtures). Each file is judged on its own, as a plain SQL migration, by both tools.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { migrationRules } from '../src/rules/migrations/index.js';

const REPO = resolve(new URL('..', import.meta.url).pathname);
const SQUAWK = join(REPO, 'node_modules', '.bin', 'squawk');

/** shipready rule → the squawk rules that report the same problem. */
export const SQUAWK_EQUIVALENTS: Record<string, string[]> = {
  'migrations/drop-table': ['ban-drop-table'],
  'migrations/drop-column': ['ban-drop-column'],
  'migrations/truncate-table': ['ban-truncate-cascade'],
  'migrations/changing-column-type': ['changing-column-type'],
  'migrations/renaming-column': ['renaming-column'],
  'migrations/renaming-table': ['renaming-table'],
  'migrations/setting-not-null': ['adding-not-nullable-field'],
  'migrations/drop-constraint': [],
  'migrations/require-concurrent-index-creation': ['require-concurrent-index-creation', 'disallowed-unique-constraint'],
  'migrations/require-concurrent-index-deletion': ['require-concurrent-index-deletion'],
  'migrations/constraint-missing-not-valid': ['constraint-missing-not-valid', 'adding-foreign-key-constraint'],
  'migrations/adding-required-field': ['adding-required-field'],
  'migrations/adding-field-with-default': ['adding-field-with-default'],
  'migrations/ban-concurrent-index-creation-in-transaction': ['ban-concurrent-index-creation-in-transaction'],
  'migrations/parse-error': ['syntax-error'],
};

/**
 * squawk rules about robustness and style (re-runnable statements, timeouts, column types) that
 * shipready does not cover: not compared, counted in the summary only.
 */
const NOT_COMPARED = new Set([
  'prefer-robust-stmts', 'require-timeout-settings', 'require-lock-timeout', 'require-statement-timeout',
  'prefer-bigint-over-int', 'prefer-bigint-over-smallint', 'prefer-big-int', 'prefer-identity', 'prefer-text-field',
  'prefer-timestamptz', 'ban-char-field', 'prefer-timestamp-tz',
]);

const SQUAWK_TO_SHIPREADY = new Map<string, string>();
for (const [ours, theirs] of Object.entries(SQUAWK_EQUIVALENTS)) for (const t of theirs) SQUAWK_TO_SHIPREADY.set(t, ours);

interface SquawkViolation {
  file: string;
  line: number;
  rule_name: string;
}

function sqlFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) visit(join(p, e));
    else if (p.endsWith('.sql') && !p.endsWith('.down.sql')) out.push(p);
  };
  paths.forEach((p) => visit(resolve(p)));
  return out;
}

export interface Difference {
  file: string;
  line: number;
  statement: string;
  shipready: string[];
  squawk: string[];
}

export async function compare(files: string[], options: { pgVersion: number; assumeInTransaction: boolean }): Promise<{ differences: Difference[]; agreed: number; notCompared: Map<string, number> }> {
  // Both tools read the same bytes: each file is copied into one scratch repository as a plain SQL migration.
  const root = mkdtempSync(join(tmpdir(), 'shipready-vs-squawk-'));
  const names = new Map<string, string>();
  try {
    mkdirSync(join(root, 'migrations'));
    files.forEach((file, i) => {
      const name = `migrations/${String(i).padStart(4, '0')}_${basename(file)}`;
      cpSync(file, join(root, name));
      names.set(name, relative(REPO, file));
    });
    // Every file is judged, as squawk judges every file it is given.
    const ours = await audit(root, { rules: migrationRules, config: false, labels: [], migrations: { postgresMajor: options.pgVersion, all: true } });
    const squawk = spawnSync(
      SQUAWK,
      ['--reporter', 'json', `--pg-version=${options.pgVersion}`, ...(options.assumeInTransaction ? ['--assume-in-transaction'] : []), ...names.keys()],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (squawk.error) throw squawk.error;
    const violations = JSON.parse(squawk.stdout || '[]') as SquawkViolation[];

    // Findings are compared per statement: squawk points at a token inside it, shipready at its first line.
    const statementsOf = new Map(ours.model.migrations.map((m) => [m.path, m.statements.filter((s) => s.kind !== 'TransactionStmt')]));
    const statementLine = (file: string, line: number) =>
      (statementsOf.get(file) ?? []).find((s) => s.loc.line <= line && line <= s.endLine)?.loc.line ?? line;
    const key = (file: string, line: number) => `${file}\u0000${line}`;
    const table = new Map<string, { shipready: Set<string>; squawk: Set<string> }>();
    const at = (file: string, line: number) => {
      const k = key(file, line);
      if (!table.has(k)) table.set(k, { shipready: new Set(), squawk: new Set() });
      return table.get(k)!;
    };
    for (const f of ours.findings) if (f.file && f.line) at(f.file, f.line).shipready.add(f.ruleId);
    const notCompared = new Map<string, number>();
    for (const v of violations) {
      if (NOT_COMPARED.has(v.rule_name)) {
        notCompared.set(v.rule_name, (notCompared.get(v.rule_name) ?? 0) + 1);
        continue;
      }
      const file = relative(root, resolve(root, v.file));
      at(file, statementLine(file, v.line + 1)).squawk.add(v.rule_name);
    }
    const differences: Difference[] = [];
    let agreed = 0;
    for (const [k, found] of table) {
      const [file, lineText] = k.split('\u0000');
      const line = Number(lineText);
      const mapped = new Set([...found.squawk].map((r) => SQUAWK_TO_SHIPREADY.get(r) ?? `squawk:${r}`));
      const same = mapped.size === found.shipready.size && [...found.shipready].every((r) => mapped.has(r));
      if (same) {
        agreed++;
        continue;
      }
      const statement =
        (statementsOf.get(file) ?? []).find((s) => s.loc.line === line)?.text ??
        `(not a statement shipready read) ${readFileSync(join(root, file), 'utf8').split('\n')[line - 1]?.trim() ?? ''}`;
      differences.push({ file: names.get(file) ?? file, line, statement, shipready: [...found.shipready].sort(), squawk: [...found.squawk].sort() });
    }
    differences.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    return { differences, agreed, notCompared };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  let pgVersion = 15;
  let assumeInTransaction = false;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--pg-version') pgVersion = Number(args[++i]);
    else if (args[i] === '--assume-in-transaction') assumeInTransaction = true;
    else paths.push(args[i]);
  }
  const files = sqlFiles(paths.length ? paths : [join(REPO, 'test/fixtures/migrations')]);
  const version = spawnSync(SQUAWK, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const { differences, agreed, notCompared } = await compare(files, { pgVersion, assumeInTransaction });
  const out: string[] = [];
  out.push(`shipready vs ${version} on ${files.length} SQL files (PostgreSQL ${pgVersion}${assumeInTransaction ? ', squawk --assume-in-transaction' : ''})`);
  out.push(`${agreed} statements where both report the same problems, ${differences.length} where they differ:`);
  out.push('');
  for (const d of differences) {
    out.push(`${d.file}:${d.line}  ${d.statement}`);
    out.push(`    shipready: ${d.shipready.join(', ') || '-'}`);
    out.push(`    squawk:    ${d.squawk.join(', ') || '-'}`);
  }
  out.push('');
  out.push(`Not compared (squawk robustness/style rules shipready does not have): ${[...notCompared].map(([r, n]) => `${r} ×${n}`).join(', ') || 'none'}`);
  out.push('Why they differ: docs/migrations-vs-squawk.md');
  process.stdout.write(out.join('\n') + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  cli().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
