import { posix } from 'node:path';
import type { FileIndex } from '../files.js';
import { normalize } from '../files.js';
import { parseJsonDocument, isRecord } from '../json.js';
import type { MigrationTool } from '../../model/migrations.js';

/** Which migrations to read: all discovered ones, or those under some paths, or a fixed set of files. */
export interface MigrationSelection {
  /** Repo-relative files or folders. A file named here is read as a migration even if no convention says so. */
  paths?: string[];
  /** Git ref: the migrations added or changed since it are the pending ones (default: found from git, see pending.ts). */
  since?: string;
  /** Judge every migration, applied or not (--all-migrations). */
  all?: boolean;
  /** PostgreSQL major version for version-dependent checks (`--pg-version`). */
  postgresMajor?: number;
  /** Told which files were taken as migrations (before parsing). */
  onLocated?: (paths: string[]) => void;
}

export interface MigrationCandidate {
  path: string;
  kind: 'sql' | 'script';
  /** For SQL files; scripts say their own tool. */
  tool: MigrationTool;
  toolTransaction?: string;
  /** A knexfile next to the migrations sets disableTransactions. */
  knexNoTransaction?: string;
}

/** Folders named for a database engine other than PostgreSQL. */
const OTHER_ENGINE_FOLDER = /^(clickhouse|mysql|mariadb|sqlite|sqlite3|mongo|mongodb|cassandra|scylla|mssql|sqlserver|oracle|dynamodb)$/i;

/** Folder names that hold migrations by convention (Knex, TypeORM, node-pg-migrate, dbmate, Supabase, golang-migrate…). */
const MIGRATION_DIRS = new Set(['migrations', 'migration', 'migrate']);
const SCRIPT_EXT = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const NOT_MIGRATION_SCRIPT = /\.d\.[cm]?ts$|\.(?:test|spec)\.[cm]?[jt]s$/;
/** Down and undo files of golang-migrate, sqlx and Flyway: they reverse a migration. */
const DOWN_SQL = /\.down\.sql$|(^|\/)U\d+(?:[._]\d+)*__[^/]*\.sql$/;
const FLYWAY_SQL = /(^|\/)V\d+(?:[._]\d+)*__[^/]*\.sql$/;

const DRIZZLE_TRANSACTION =
  "drizzle-orm's migrator (also behind drizzle-kit migrate) runs every pending migration inside one transaction";

export async function locateMigrations(files: FileIndex, selection: MigrationSelection): Promise<MigrationCandidate[]> {
  const found = new Map<string, MigrationCandidate>();
  /** Folders whose tool config says another database (MySQL, SQLite): not ours to judge. */
  const otherDatabase: string[] = [];
  const isOtherDatabase = (p: string) => otherDatabase.some((d) => d === '' || p.startsWith(d + '/'));
  const add = (c: MigrationCandidate) => {
    if (!found.has(c.path) && !isOtherDatabase(c.path)) found.set(c.path, c);
  };

  const drizzleConfigs = files.paths.filter((p) => /^drizzle\.config\.(?:[cm]?[jt]s|json)$/.test(posix.basename(p)));
  const knexfiles = files.paths.filter((p) => /^knexfile\.(?:[cm]?[jt]s)$/.test(posix.basename(p)));
  // Config modules are read as object literals (never run); the JS parser is loaded only for them.
  if (drizzleConfigs.some((p) => !p.endsWith('.json')) || knexfiles.length > 0) parseScript ??= (await import('oxc-parser')).parseSync;
  // Drizzle: the `out` folder of each drizzle.config.* (default ./drizzle).
  for (const config of drizzleConfigs) {
    const options = drizzleOptions(files, config);
    const dir = normalize(posix.join(posix.dirname(config), options.out ?? 'drizzle'));
    if (options.dialect && options.dialect !== 'postgresql') {
      otherDatabase.push(dir);
      continue;
    }
    for (const p of files.under(dir)) {
      if (p.endsWith('.sql') && !p.includes('/meta/')) add({ path: p, kind: 'sql', tool: 'drizzle', toolTransaction: DRIZZLE_TRANSACTION });
    }
  }
  // Drizzle without a config in the repository: the out folder keeps its journal in meta/_journal.json.
  for (const journal of files.named('_journal.json')) {
    if (!journal.endsWith('/meta/_journal.json')) continue;
    const dir = posix.dirname(posix.dirname(journal));
    const doc = parseJsonDocument(files.read(journal) ?? '', journal);
    const dialect = isRecord(doc.value) && typeof doc.value.dialect === 'string' ? doc.value.dialect : undefined;
    if (dialect && !/^(?:postgresql|pg)$/.test(dialect)) {
      otherDatabase.push(dir);
      continue;
    }
    for (const p of files.under(dir)) {
      if (p.endsWith('.sql') && !p.includes('/meta/')) add({ path: p, kind: 'sql', tool: 'drizzle', toolTransaction: DRIZZLE_TRANSACTION });
    }
  }
  // Prisma: <schema dir>/migrations/<timestamp_name>/migration.sql.
  for (const p of files.named('migration.sql')) {
    const migrationsDir = posix.dirname(posix.dirname(p));
    const lock = files.has(`${migrationsDir}/migration_lock.toml`) ? files.read(`${migrationsDir}/migration_lock.toml`) : undefined;
    // migration_lock.toml: provider = "postgresql" (or "mysql", "sqlite", …); a TOML string value, read as such.
    const provider = lock ? /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1] : undefined;
    if (provider && provider !== 'postgresql' && provider !== 'cockroachdb') {
      otherDatabase.push(migrationsDir);
      continue;
    }
    if (lock !== undefined || /(^|\/)prisma\//.test(p)) add({ path: p, kind: 'sql', tool: 'prisma' });
  }
  // Knex: the migrations directory a knexfile names (default ./migrations), and its disableTransactions.
  const knexDirs = new Map<string, string | undefined>();
  for (const knexfile of knexfiles) {
    const config = knexConfig(files, knexfile);
    for (const d of config.directories.length ? config.directories : ['migrations']) {
      const dir = normalize(posix.join(posix.dirname(knexfile), d));
      if (config.otherClient) otherDatabase.push(dir);
      else knexDirs.set(dir, config.disableTransactions);
    }
  }
  const knexDirList = [...knexDirs.keys()];
  for (const p of files.paths) {
    const isSql = p.endsWith('.sql');
    // Most files of a repository are neither: decide that before any other work.
    if ((!isSql && !SCRIPT_EXT.test(p)) || found.has(p) || isOtherDatabase(p)) continue;
    const segments = p.split('/');
    const inMigrationDir = segments.slice(0, -1).some((s) => MIGRATION_DIRS.has(s));
    const knexDir = knexDirList.find((d) => p.startsWith(d + '/'));
    if (isSql) {
      if (DOWN_SQL.test(p)) continue;
      if (inMigrationDir || knexDir !== undefined || p.endsWith('.up.sql') || FLYWAY_SQL.test(p)) add({ path: p, kind: 'sql', tool: 'sql' });
    } else if (SCRIPT_EXT.test(p) && !NOT_MIGRATION_SCRIPT.test(p) && (inMigrationDir || knexDir !== undefined)) {
      const knexNoTransaction = knexDir !== undefined ? knexDirs.get(knexDir) : undefined;
      add({ path: p, kind: 'script', tool: 'knex', ...(knexNoTransaction ? { knexNoTransaction } : {}) });
    }
  }

  // `db/clickhouse/migrations/`, `mysql/migrations/`: a folder named for another database engine.
  let candidates = [...found.values()].filter((c) => !c.path.split('/').some((segment) => OTHER_ENGINE_FOLDER.test(segment)));
  if (selection.paths && selection.paths.length > 0) {
    const wanted = selection.paths.map(normalize);
    candidates = candidates.filter((c) => wanted.some((w) => w === '' || c.path === w || c.path.startsWith(w + '/')));
    // A file named on the command line is a migration, whatever its folder is called.
    for (const w of wanted) {
      if (!files.has(w) || candidates.some((c) => c.path === w)) continue;
      if (w.endsWith('.sql')) candidates.push({ path: w, kind: 'sql', tool: 'sql' });
      else if (SCRIPT_EXT.test(w)) candidates.push({ path: w, kind: 'script', tool: 'knex' });
    }
  }
  return candidates.sort((a, b) => a.path.localeCompare(b.path));
}

/** The `out` and `dialect` options of a drizzle config, read from the object literal (no code is run). */
function drizzleOptions(files: FileIndex, config: string): { out?: string; dialect?: string } {
  const text = files.read(config);
  if (!text) return {};
  if (config.endsWith('.json')) {
    const doc = parseJsonDocument(text, config);
    const value = isRecord(doc.value) ? doc.value : {};
    return {
      ...(typeof value.out === 'string' ? { out: value.out } : {}),
      ...(typeof value.dialect === 'string' ? { dialect: value.dialect } : {}),
    };
  }
  const out = stringProperties(config, text, 'out')[0];
  const dialect = stringProperties(config, text, 'dialect')[0];
  return { ...(out ? { out } : {}), ...(dialect ? { dialect } : {}) };
}

/** Knex clients for PostgreSQL; a knexfile naming only others (mysql2, sqlite3, mssql) is for another database. */
const KNEX_PG_CLIENTS = new Set(['pg', 'postgres', 'postgresql', 'pg-native', 'pgnative', 'cockroachdb']);

function knexConfig(files: FileIndex, knexfile: string): { directories: string[]; disableTransactions?: string; otherClient?: boolean } {
  const text = files.read(knexfile);
  if (!text) return { directories: [] };
  const directories = stringProperties(knexfile, text, 'directory');
  const disabled = booleanProperties(knexfile, text, 'disableTransactions').includes(true);
  const clients = stringProperties(knexfile, text, 'client');
  const otherClient = clients.length > 0 && !clients.some((c) => KNEX_PG_CLIENTS.has(c));
  return { directories, ...(disabled ? { disableTransactions: `${knexfile} sets disableTransactions: true` } : {}), ...(otherClient ? { otherClient } : {}) };
}

interface PropertyNode {
  type: string;
  key?: { type: string; name?: string; value?: unknown };
  value?: { type: string; value?: unknown };
}

let parseScript: typeof import('oxc-parser').parseSync | undefined;

/** Values of `key: '…'` / `key: true` properties in a config module's object literals. */
function propertyValues(file: string, text: string, key: string): unknown[] {
  if (!parseScript) return [];
  const values: unknown[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as PropertyNode;
    if (n.type === 'Property' && (n.key?.name === key || n.key?.value === key) && n.value?.type === 'Literal') values.push(n.value.value);
    for (const k in node) if (k !== 'parent') visit((node as Record<string, unknown>)[k]);
  };
  visit(parseScript(file, text).program);
  return values;
}

const stringProperties = (file: string, text: string, key: string) =>
  propertyValues(file, text, key).filter((v): v is string => typeof v === 'string');
const booleanProperties = (file: string, text: string, key: string) =>
  propertyValues(file, text, key).filter((v): v is boolean => typeof v === 'boolean');
