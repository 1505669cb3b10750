import type { Node } from 'libpg-query';
import type { Loc } from './location.js';

/** The tool that runs a migration file; it decides whether the file runs inside a transaction. */
export type MigrationTool = 'sql' | 'drizzle' | 'prisma' | 'knex' | 'typeorm' | 'node-pg-migrate';

/**
 * One migration file that changes a PostgreSQL schema, with its statements parsed by the real
 * PostgreSQL parser (libpg-query). Down migrations are not part of it: undoing what `up` created is
 * destructive by design.
 */
export interface MigrationFile {
  /** Repo-relative path. */
  path: string;
  tool: MigrationTool;
  /**
   * Why the whole file runs inside a transaction the tool opens (Drizzle's migrator, Knex, TypeORM,
   * node-pg-migrate), or undefined when the tool runs it outside one or we cannot tell.
   */
  toolTransaction?: string;
  /**
   * Prisma sends a migration.sql with several statements as one query, which PostgreSQL runs as one
   * implicit transaction in older Prisma versions; this says so when the file has several statements.
   */
  implicitTransaction?: string;
  statements: MigrationStatement[];
  /** Statements PostgreSQL's parser rejects, each at its line; the rest of the file is still read. */
  parseErrors: MigrationParseError[];
  /** The PostgreSQL major version the checks assume, and where it came from. */
  postgres: PostgresVersion;
  /** Why this migration is taken as one the next deploy runs (only such migrations are read and judged). */
  pending: PendingMigration;
}

/**
 * How a migration was found to be pending. `changed`: added or changed since the git base of this
 * change (a fact). `newest`: no base could be found, and it is the newest migration of its folder (an
 * assumption: findings on it say so and stay at medium or below). `named`, `all`: the user asked.
 */
export interface PendingMigration {
  basis: 'changed' | 'newest' | 'named' | 'all';
  /** For messages: "changed since origin/main (merge base 1a2b3c4)". */
  why: string;
}

/** Which migrations were judged, and which were taken as already applied and left alone. */
export interface MigrationScope {
  basis: PendingMigration['basis'];
  /** For messages: how pending migrations were told apart from applied ones. */
  description: string;
  /** Repo-relative paths of the migrations read and judged. */
  judged: string[];
  /** Repo-relative paths of the migrations taken as applied: located, not read, not judged. */
  notJudged: string[];
}

export interface MigrationParseError {
  /** The parser's message, e.g. `syntax error at or near ";"`. */
  message: string;
  loc: Loc;
}

export interface PostgresVersion {
  major: number;
  /** `--pg-version 13`, `docker-compose.yml:4 (postgres:16-alpine)`, or `default`. */
  source: string;
}

/** PostgreSQL version assumed when neither --pg-version nor a postgres image in the repository says. */
export const DEFAULT_POSTGRES_MAJOR = 15;

/**
 * One statement of a migration. Schema-builder calls in TypeScript/JavaScript migrations
 * (`table.dropColumn('x')`, `queryRunner.renameColumn(...)`) are translated to the SQL they run, so
 * rules see one shape; `text` then quotes the call as written.
 */
export interface MigrationStatement {
  /** The parsed statement as libpg-query returns it: `{ AlterTableStmt: { … } }`. */
  node: Node;
  /** The statement's node type, e.g. `AlterTableStmt`, `IndexStmt`, `DropStmt`. */
  kind: string;
  /** The statement (or builder call) as written, whitespace collapsed, shortened for messages. */
  text: string;
  /** Line of the statement's first token (or of the builder call). */
  loc: Loc;
  /** Line of its last character: the statement spans loc.line … endLine. */
  endLine: number;
  origin: 'sql' | 'builder';
  /** Set for a statement inside a `DO $$ … $$` block: the line of the DO. */
  insideDoAt?: number;
  /**
   * Why this statement runs inside a transaction block: an explicit BEGIN earlier in the file, or
   * the tool's own transaction. Undefined when it runs outside one (or we cannot tell).
   */
  inTransaction?: string;
  /**
   * True when the SQL came from a template literal with `${}` expressions or Knex `?` bindings:
   * placeholders stand in for the unknown parts.
   */
  interpolated?: boolean;
}

/** The node type and body of a parsed statement: `{ AlterTableStmt: body }` → ['AlterTableStmt', body]. */
export function nodeKind(node: Node): [string, unknown] {
  const [kind, body] = Object.entries(node)[0] ?? ['', undefined];
  return [kind, body];
}
