import type {
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  CreateStmt,
  DropStmt,
  IndexStmt,
  Node,
  RangeVar,
  RenameStmt,
  TruncateStmt,
} from 'libpg-query';
import type { DeploymentModel } from '../../model/index.js';
import type { MigrationFile, MigrationStatement } from '../../model/migrations.js';
import type { ReportOptions } from '../rule.js';
import { migrationSequence } from '../../discover/migrations/pending.js';

/**
 * What a migration file has created so far. Changing an object created earlier in the same file is
 * safe where it concerns locks and running code: no running task knows the object, and the table
 * is empty, so nothing waits on a lock and no old code breaks.
 */
export interface CreatedSoFar {
  tables: Set<string>;
  /** `table.column` of columns added to existing tables. */
  columns: Set<string>;
  indexes: Set<string>;
  /** `table.constraint` added in this file. */
  constraints: Set<string>;
  /** `table.column` covered by a validated `CHECK (column IS NOT NULL)` (PostgreSQL 12+ then skips the scan of SET NOT NULL). */
  validatedNotNull: Set<string>;
}

export interface StatementInFile {
  file: MigrationFile;
  statement: MigrationStatement;
  /** Objects created by earlier statements of the same file. */
  created: CreatedSoFar;
}

/** The name a table is known by in a file: schema names are ignored, so `public.users` and `users` match. */
export const tableName = (rel: RangeVar | undefined): string => rel?.relname ?? '?';

export function alterTable(statement: MigrationStatement): { stmt: AlterTableStmt; cmds: AlterTableCmd[] } | undefined {
  const stmt = (statement.node as { AlterTableStmt?: AlterTableStmt }).AlterTableStmt;
  if (!stmt || (stmt.objtype && stmt.objtype !== 'OBJECT_TABLE')) return undefined;
  const cmds = (stmt.cmds ?? []).map((c) => (c as { AlterTableCmd?: AlterTableCmd }).AlterTableCmd).filter((c): c is AlterTableCmd => Boolean(c));
  return { stmt, cmds };
}

export const asCreate = (n: Node) => (n as { CreateStmt?: CreateStmt }).CreateStmt;
export const asIndex = (n: Node) => (n as { IndexStmt?: IndexStmt }).IndexStmt;
export const asDrop = (n: Node) => (n as { DropStmt?: DropStmt }).DropStmt;
export const asRename = (n: Node) => (n as { RenameStmt?: RenameStmt }).RenameStmt;
export const asTruncate = (n: Node) => (n as { TruncateStmt?: TruncateStmt }).TruncateStmt;
export const asConstraint = (n: Node | undefined) => (n as { Constraint?: Constraint } | undefined)?.Constraint;
export const asColumnDef = (n: Node | undefined) => (n as { ColumnDef?: ColumnDef } | undefined)?.ColumnDef;
export const asRangeVar = (n: Node | undefined) => (n as { RangeVar?: RangeVar } | undefined)?.RangeVar;

/** Names in a DropStmt's `objects`: each is a list of name parts (`schema.name`); the last part is the name. */
export function droppedNames(stmt: DropStmt): string[] {
  return (stmt.objects ?? []).map((o) => {
    const items = (o as { List?: { items?: Node[] } }).List?.items ?? [];
    const last = items.at(-1) as { String?: { sval?: string } } | undefined;
    return last?.String?.sval ?? '?';
  });
}

/** The column of a `CHECK (column IS NOT NULL)` expression, if that is what it is. */
function notNullCheckColumn(constraint: Constraint): string | undefined {
  const test = (constraint.raw_expr as { NullTest?: { arg?: Node; nulltesttype?: string } } | undefined)?.NullTest;
  if (!test || test.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = (test.arg as { ColumnRef?: { fields?: Node[] } } | undefined)?.ColumnRef?.fields ?? [];
  return (fields.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval;
}

/**
 * Every statement of every migration, with what the same file created before it. The `created`
 * object is updated after each yield: read it before asking for the next statement.
 */
export function* migrationStatements(model: DeploymentModel): Generator<StatementInFile> {
  // Tables created by an earlier pending migration of the same folder are new too: the deploy
  // creates them empty just before this one runs. (Not so for --all-migrations: history ran long ago.)
  const newTablesByFolder = new Map<string, Set<string>>();
  for (const file of [...model.migrations].sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }))) {
    const pendingTogether = file.pending.basis === 'changed' || file.pending.basis === 'newest';
    const folder = migrationSequence(file.path).folder;
    const earlierTables = pendingTogether ? (newTablesByFolder.get(folder) ?? new Set<string>()) : new Set<string>();
    if (pendingTogether) newTablesByFolder.set(folder, earlierTables);
    const created: CreatedSoFar = {
      tables: earlierTables,
      columns: new Set(),
      indexes: new Set(),
      constraints: new Set(),
      validatedNotNull: new Set(),
    };
    const notNullChecks = new Map<string, string>();
    for (const statement of file.statements) {
      yield { file, statement, created };
      const node = statement.node;
      const create = asCreate(node);
      if (create) created.tables.add(tableName(create.relation));
      const ctas = (node as { CreateTableAsStmt?: { into?: { rel?: RangeVar } } }).CreateTableAsStmt;
      if (ctas) created.tables.add(tableName(ctas.into?.rel));
      const index = asIndex(node);
      if (index?.idxname) created.indexes.add(index.idxname);
      const rename = asRename(node);
      if (rename?.renameType === 'OBJECT_TABLE' && created.tables.has(tableName(rename.relation)) && rename.newname) created.tables.add(rename.newname);
      const alter = alterTable(statement);
      if (!alter) continue;
      const table = tableName(alter.stmt.relation);
      for (const cmd of alter.cmds) {
        if (cmd.subtype === 'AT_AddColumn') {
          const column = asColumnDef(cmd.def)?.colname;
          if (column) created.columns.add(`${table}.${column}`);
        } else if (cmd.subtype === 'AT_AddConstraint') {
          const constraint = asConstraint(cmd.def);
          if (constraint?.conname) {
            created.constraints.add(`${table}.${constraint.conname}`);
            const column = constraint.contype === 'CONSTR_CHECK' ? notNullCheckColumn(constraint) : undefined;
            if (column) {
              notNullChecks.set(`${table}.${constraint.conname}`, column);
              // Added without NOT VALID, the check is validated on the spot.
              if (!constraint.skip_validation) created.validatedNotNull.add(`${table}.${column}`);
            }
          }
        } else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
          const column = notNullChecks.get(`${table}.${cmd.name}`);
          if (column) created.validatedNotNull.add(`${table}.${column}`);
        }
      }
    }
  }
}

export interface AlterOfExistingTable extends StatementInFile {
  table: string;
  cmds: AlterTableCmd[];
}

/** `ALTER TABLE` statements on tables the same migration did not create: the ones running code depends on. */
export function* alterationsOfExistingTables(model: DeploymentModel): Generator<AlterOfExistingTable> {
  for (const entry of migrationStatements(model)) {
    const alter = alterTable(entry.statement);
    if (!alter) continue;
    const table = tableName(alter.stmt.relation);
    if (entry.created.tables.has(table)) continue;
    yield { ...entry, table, cmds: alter.cmds };
  }
}

/** Names of the sub-commands of one kind (`AT_DropColumn`…), leaving out columns this migration added. */
export function commandNames(entry: AlterOfExistingTable, subtype: AlterTableCmd['subtype'], skipAddedColumns = true): string[] {
  return entry.cmds
    .filter((c) => c.subtype === subtype && c.name && !(skipAddedColumns && entry.created.columns.has(`${entry.table}.${c.name}`)))
    .map((c) => c.name!);
}

/** Column definitions added by an ALTER TABLE. */
export function addedColumns(entry: AlterOfExistingTable): ColumnDef[] {
  return entry.cmds.filter((c) => c.subtype === 'AT_AddColumn').map((c) => asColumnDef(c.def)).filter((c): c is ColumnDef => Boolean(c));
}

/** Types whose columns take their values from a new sequence (an implicit `nextval()` default). */
export const SERIAL_TYPES = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

/** Last part of a column's type name: `pg_catalog.int4` → `int4`, `bigserial` → `bigserial`. */
export function columnTypeName(column: ColumnDef): string {
  return (column.typeName?.names?.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval ?? '';
}

/**
 * How to run one statement outside a transaction with the tool that runs this file; used by the
 * fix texts of the locking rules.
 */
export function outsideTransactionHow(file: MigrationFile): string {
  switch (file.tool) {
    case 'knex':
      return 'in a Knex migration of its own that exports config = { transaction: false }';
    case 'typeorm':
      return "in a TypeORM migration of its own with transaction = false (needs migrationsTransactionMode 'each' or 'none')";
    case 'node-pg-migrate':
      return 'in a node-pg-migrate migration of its own that calls pgm.noTransaction()';
    case 'drizzle':
      return "outside drizzle's migrator (it has no per-migration opt-out): run it as a separate deploy step, or keep the plain CREATE INDEX for small tables";
    case 'prisma':
      return 'alone in a Prisma migration of its own (a one-statement migration.sql is not wrapped in a transaction)';
    default:
      return 'outside BEGIN … COMMIT, in a migration of its own';
  }
}

/**
 * Options every migration finding takes: one finding per statement however many rules object to
 * it (the worst first, the others under related), and, for a migration only assumed to be pending,
 * that assumption (which keeps the finding at medium or below).
 */
export function statementOptions(file: MigrationFile, statement: Pick<MigrationStatement, 'text' | 'loc'>): ReportOptions {
  return {
    group: { key: `statement\u0000${file.path}\u0000${statement.text}`, acrossRules: true },
    ...(file.pending.basis === 'newest' ? { assumes: file.pending.why } : {}),
  };
}
