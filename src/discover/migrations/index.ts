import type { DeploymentModel } from '../../model/index.js';
import { LineMap } from '../../model/location.js';
import { DEFAULT_POSTGRES_MAJOR, type MigrationFile, type MigrationStatement, type PostgresVersion } from '../../model/migrations.js';
import { locateMigrations, type MigrationCandidate, type MigrationSelection } from './locate.js';
import { choosePending, findChangeSet } from './pending.js';
import { loadPgParser, type PgParser } from './pg.js';
import { readScriptMigration } from './script.js';
import { parseSql, quoteStatement } from './sql.js';

export type { MigrationSelection } from './locate.js';

/**
 * Database migrations: plain SQL, Drizzle, Prisma, Knex, TypeORM, node-pg-migrate. Each file's SQL
 * is parsed by the real PostgreSQL parser; a statement that does not parse is recorded at its line
 * (rule migrations/parse-error) and the rest of the file is still checked.
 */
export async function discoverMigrations(model: DeploymentModel, options: { migrations?: MigrationSelection } = {}): Promise<void> {
  const selection = options.migrations ?? {};
  const located = (await locateMigrations(model.files, selection)).filter((c) => !forAnotherDatabase(model, c));
  if (located.length === 0) {
    selection.onLocated?.([]);
    return;
  }
  // Only the migrations the next deploy runs are read: applied ones cannot be changed any more.
  const named = (selection.paths ?? []).length > 0;
  const changes = named || selection.all ? undefined : findChangeSet(model.root, selection.since);
  const { scope, pending } = choosePending(located.map((c) => c.path), { named, all: selection.all, changes });
  model.migrationScope = scope;
  const candidates = located.filter((c) => pending.has(c.path));
  selection.onLocated?.(candidates.map((c) => c.path));
  if (candidates.length === 0) return;
  const postgres = postgresVersion(model, selection);
  const parser = await loadPgParser();
  const needsScripts = candidates.some((c) => c.kind === 'script');
  const oxc = needsScripts ? await import('oxc-parser') : undefined;
  for (const candidate of candidates) {
    const text = model.files.read(candidate.path);
    if (text === undefined) continue;
    const file =
      candidate.kind === 'script'
        ? readScript(candidate, text, parser, oxc!.parseSync)
        : readSqlFile(candidate, text, parser);
    if (!file || (file.statements.length === 0 && file.parseErrors.length === 0)) continue;
    // A MySQL or SQLite migration in a folder called migrations is not ours to judge.
    if (file.parseErrors.some((e) => OTHER_DIALECT.test(e.message))) continue;
    model.migrations.push({ ...file, postgres, pending: pending.get(candidate.path)! });
  }
}

/** --pg-version, else the postgres image a compose file runs, else the default. */
function postgresVersion(model: DeploymentModel, selection: MigrationSelection): PostgresVersion {
  if (selection.postgresMajor) return { major: selection.postgresMajor, source: `--pg-version ${selection.postgresMajor}` };
  for (const compose of model.compose) {
    for (const service of compose.services) {
      // postgres:16-alpine, postgis/postgis:15-3.4, bitnami/postgresql:14.10.0
      const m = service.image && /(?:^|\/)(?:postgres|postgresql|postgis):(\d{1,2})(?:[.-]|$)/.exec(service.image.value);
      if (m && service.image) return { major: Number(m[1]), source: `${service.image.loc.file}:${service.image.loc.line} (${service.image.value})` };
    }
  }
  return { major: DEFAULT_POSTGRES_MAJOR, source: `no version given; assumed ${DEFAULT_POSTGRES_MAJOR}` };
}

/** Database drivers in package.json: PostgreSQL ones, and the others (MySQL, SQLite, SQL Server, Oracle). */
const PG_DRIVERS = new Set(['pg', 'postgres', 'pg-promise', 'pg-native', '@neondatabase/serverless', '@vercel/postgres', 'slonik', '@databases/pg', '@electric-sql/pglite', 'pg-pool']);
const OTHER_DRIVERS = new Set(['mysql', 'mysql2', 'sqlite3', 'better-sqlite3', 'mssql', 'tedious', 'oracledb', '@libsql/client', '@planetscale/database', 'mariadb']);

/**
 * A plain SQL or script migration whose package (the nearest package.json above it, else the root
 * one) depends only on drivers for another database: MySQL migrations are not ours to judge. Drizzle
 * and Prisma say their database in their own config and were sorted out when located.
 */
function forAnotherDatabase(model: DeploymentModel, candidate: MigrationCandidate): boolean {
  if (candidate.tool === 'drizzle' || candidate.tool === 'prisma') return false;
  const owners = model.packages
    .filter((p) => p.dir === '' || candidate.path.startsWith(p.dir + '/'))
    .sort((a, b) => b.dir.length - a.dir.length);
  for (const pkg of owners) {
    const names = [...pkg.dependencies.keys()];
    if (names.some((n) => PG_DRIVERS.has(n))) return false;
    if (names.some((n) => OTHER_DRIVERS.has(n))) return true;
  }
  return false;
}

/** Parser errors at tokens only other SQL dialects have: MySQL backtick identifiers and table options, SQLite's AUTOINCREMENT. */
const OTHER_DIALECT = /at or near "(?:`|AUTO_INCREMENT|AUTOINCREMENT|ENGINE|UNSIGNED|COLLATE=|CHARSET|CODEC|MergeTree|LowCardinality|TTL)/i;

/** Comment markers of SQL migration runners that keep up and down in one file. */
const UP_MARKERS = /^--\s*(?:migrate:up\b|\+goose\s+up\b|\+migrate\s+up\b|up migration\b)/i;
const DOWN_MARKERS = /^--\s*(?:migrate:down\b|\+goose\s+down\b|\+migrate\s+down\b|down migration\b)/i;

function readSqlFile(candidate: MigrationCandidate, text: string, parser: PgParser): Omit<MigrationFile, 'postgres' | 'pending'> {
  // Only the up part: the down part undoes what up created and is destructive by design.
  let from = 0;
  let to = text.length;
  let toolTransaction = candidate.toolTransaction;
  let offset = 0;
  let lineNo = 0;
  for (const lineText of text.split('\n')) {
    lineNo++;
    const trimmed = lineText.trim();
    if (trimmed.startsWith('--')) {
      if (UP_MARKERS.test(trimmed) && from === 0) {
        from = offset + lineText.length + 1;
        toolTransaction = runnerTransaction(trimmed, text) ?? toolTransaction;
      } else if (DOWN_MARKERS.test(trimmed) && to === text.length && offset >= from) {
        to = offset;
      }
    }
    offset += lineText.length + 1;
  }
  const region = text.slice(Math.min(from, text.length), to);
  const baseLine = text.slice(0, Math.min(from, text.length)).split('\n').length - 1;
  const parsed = parseSql(parser, region);
  const parseErrors = parsed.errors.map((e) => ({ message: e.message, loc: { file: candidate.path, line: baseLine + e.line } }));
  const file: Omit<MigrationFile, 'postgres' | 'pending'> = { path: candidate.path, tool: candidate.tool, statements: [], parseErrors };
  if (toolTransaction) file.toolTransaction = toolTransaction;
  file.statements = withTransactions(
    parsed.statements.map((s) => ({
      node: s.node,
      kind: s.kind,
      text: s.text,
      loc: { file: candidate.path, line: baseLine + s.line },
      endLine: baseLine + s.endLine,
      origin: 'sql' as const,
      ...(s.insideDoAt ? { insideDoAt: baseLine + s.insideDoAt } : {}),
    })),
    toolTransaction,
  );
  const payload = file.statements.filter((s) => s.kind !== 'TransactionStmt');
  if (candidate.tool === 'prisma' && payload.length > 1) {
    file.implicitTransaction =
      'Prisma Migrate sends a migration.sql with several statements as one query, and PostgreSQL runs such a query as one implicit transaction (Prisma versions before the 2026 statement-splitting change; DROP INDEX CONCURRENTLY still is)';
  }
  return file;
}

/** dbmate, sql-migrate and goose wrap each migration in a transaction unless the file opts out. */
function runnerTransaction(upMarker: string, text: string): string | undefined {
  if (/migrate:up/i.test(upMarker)) {
    return /transaction:false/i.test(upMarker) ? undefined : 'dbmate runs each migration inside a transaction (no "transaction:false" on the migrate:up line)';
  }
  if (/\+migrate/i.test(upMarker)) {
    return /notransaction/i.test(upMarker) ? undefined : 'sql-migrate runs each migration inside a transaction (no "notransaction" on the +migrate Up line)';
  }
  if (/\+goose/i.test(upMarker)) {
    return /^--\s*\+goose\s+no\s+transaction/im.test(text) ? undefined : 'goose runs each migration inside a transaction (no "-- +goose NO TRANSACTION")';
  }
  return 'node-pg-migrate runs each migration inside a transaction';
}

/** Marks each statement with the transaction it runs in: the tool's, or an explicit BEGIN … COMMIT. */
function withTransactions(statements: MigrationStatement[], toolTransaction: string | undefined): MigrationStatement[] {
  let current = toolTransaction;
  for (const statement of statements) {
    if (statement.kind === 'TransactionStmt') {
      const kind = (statement.node as { TransactionStmt: { kind?: string } }).TransactionStmt.kind;
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') current = `the BEGIN at line ${statement.loc.line}`;
      else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') current = undefined;
      continue;
    }
    // A DO block runs as one statement: what it contains is inside a transaction whatever surrounds it.
    const inTransaction = current ?? (statement.insideDoAt ? `the DO block at line ${statement.insideDoAt}` : undefined);
    if (inTransaction) statement.inTransaction = inTransaction;
  }
  return statements;
}

const SCRIPT_TRANSACTIONS = {
  knex: 'Knex runs each migration inside a transaction (the migration does not export config = { transaction: false }, and no knexfile sets disableTransactions)',
  typeorm: "TypeORM runs all pending migrations inside one transaction by default (migrationsTransactionMode 'all'), and this migration does not set transaction = false",
  'node-pg-migrate': 'node-pg-migrate runs each migration inside a transaction, and this migration does not call pgm.noTransaction()',
} as const;

type OxcParse = typeof import('oxc-parser').parseSync;

function readScript(
  candidate: MigrationCandidate,
  text: string,
  parser: PgParser,
  parseScript: OxcParse,
): Omit<MigrationFile, 'postgres' | 'pending'> | undefined {
  const result = parseScript(candidate.path, text);
  if (result.errors.length > 0 && !result.program) return undefined;
  const lines = new LineMap(text);
  const script = readScriptMigration(result.program as never, text, lines);
  if (!script) return undefined;
  const optOut = script.noTransaction ?? (script.tool === 'knex' ? candidate.knexNoTransaction : undefined);
  const toolTransaction = optOut ? undefined : SCRIPT_TRANSACTIONS[script.tool];
  const statements: MigrationStatement[] = [];
  const parseErrors: MigrationFile['parseErrors'] = [];
  for (const piece of script.pieces) {
    const parsed = parseSql(parser, piece.sql);
    const lineOf = (line: number) => (piece.linesExact ? piece.line + line - 1 : piece.line);
    // SQL with ${} or Knex bindings has placeholders where values go: a failure there is ours, not the file's.
    if (!piece.interpolated && !piece.builderText) {
      for (const error of parsed.errors) parseErrors.push({ message: error.message, loc: { file: candidate.path, line: lineOf(error.line) } });
    }
    for (const s of parsed.statements) {
      statements.push({
        node: s.node,
        kind: s.kind,
        text: piece.builderText ? quoteStatement(piece.builderText) : s.text,
        loc: { file: candidate.path, line: lineOf(s.line) },
        endLine: piece.builderText ? piece.line + (piece.builderText.match(/\n/g) ?? []).length : lineOf(s.endLine),
        origin: piece.builderText ? 'builder' : 'sql',
        ...(s.insideDoAt ? { insideDoAt: lineOf(s.insideDoAt) } : {}),
        ...(piece.interpolated ? { interpolated: true } : {}),
      });
    }
  }
  const file: Omit<MigrationFile, 'postgres' | 'pending'> = {
    path: candidate.path,
    tool: script.tool,
    statements: withTransactions(statements, toolTransaction),
    parseErrors,
  };
  if (toolTransaction) file.toolTransaction = toolTransaction;
  return file;
}
