import type { ParseResult, ScanResult } from 'libpg-query';

/** The PostgreSQL parser's synchronous entry points, once its WASM module is loaded. */
export interface PgParser {
  parse(sql: string): ParseResult;
  /** Parses PL/pgSQL function bodies (CREATE FUNCTION … LANGUAGE plpgsql). */
  parsePlPgSQL(sql: string): unknown;
  scan(sql: string): ScanResult;
}

let loading: Promise<PgParser> | undefined;

/** True once something asked for the parser (tests check that repositories without migrations never do). */
export function pgParserRequested(): boolean {
  return loading !== undefined;
}

/**
 * Loads libpg-query (the real PostgreSQL parser compiled to WASM) on first use. Importing and
 * instantiating it costs about 100 ms, so it is loaded only when the repository has migrations.
 */
export function loadPgParser(): Promise<PgParser> {
  loading ??= (async () => {
    const pg = await import('libpg-query');
    await pg.loadModule();
    return { parse: pg.parseSync, parsePlPgSQL: pg.parsePlPgSQLSync, scan: pg.scanSync };
  })();
  return loading;
}
