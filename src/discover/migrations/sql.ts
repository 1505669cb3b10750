import type { Node } from 'libpg-query';
import { nodeKind } from '../../model/migrations.js';
import type { PgParser } from './pg.js';

/** A statement parsed out of a piece of SQL; `line` is 1-based within that piece. */
export interface ParsedSqlStatement {
  node: Node;
  kind: string;
  /** The statement as written, whitespace collapsed, shortened for messages. */
  text: string;
  line: number;
  /** Line of the statement's last character. */
  endLine: number;
  /** Set for a statement inside a `DO $$ … $$` block: the line of the DO. */
  insideDoAt?: number;
}

export interface SqlParseError {
  message: string;
  /** 1-based line within the piece of SQL. */
  line: number;
}

export interface ParsedSql {
  statements: ParsedSqlStatement[];
  errors: SqlParseError[];
}

const MAX_QUOTE = 160;

/** Collapses whitespace and shortens a statement for quoting in a message. */
export function quoteStatement(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_QUOTE ? flat.slice(0, MAX_QUOTE - 1) + '…' : flat;
}

/**
 * Line numbers from UTF-8 byte offsets. libpg-query reports statement positions as byte offsets
 * into the UTF-8 encoding of the text, so a JavaScript (UTF-16) index would drift on every
 * multi-byte character before the statement.
 */
class ByteLines {
  readonly bytes: Buffer;
  private readonly newlines: number[] = [];
  constructor(text: string) {
    this.bytes = Buffer.from(text, 'utf8');
    const b = this.bytes;
    // 0x0A never occurs inside a multi-byte UTF-8 sequence, so every such byte is a line break.
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) this.newlines.push(i);
  }
  /** 1-based line of a byte offset. */
  line(byteOffset: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid] < byteOffset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }
}

/**
 * Skips whitespace and comments (`--` to end of line, nested `/* *\/`) from a byte offset, so a
 * statement's line is the line of its first keyword, not of a comment above it.
 */
function skipTrivia(b: Buffer, offset: number, end: number): number {
  let i = offset;
  while (i < end) {
    const c = b[i];
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
    else if (c === 45 && b[i + 1] === 45) {
      const nl = b.indexOf(10, i);
      i = nl === -1 || nl > end ? end : nl + 1;
    } else if (c === 47 && b[i + 1] === 42) {
      let depth = 1;
      i += 2;
      while (i < end && depth > 0) {
        if (b[i] === 47 && b[i + 1] === 42) (depth++, (i += 2));
        else if (b[i] === 42 && b[i + 1] === 47) (depth--, (i += 2));
        else i++;
      }
    } else break;
  }
  return i;
}

/** 1-based line of a 0-based code-point index (PostgreSQL reports error positions in characters). */
function lineOfCodePoint(text: string, codePointIndex: number): number {
  let line = 1;
  let index = 0;
  for (const ch of text) {
    if (index >= codePointIndex) break;
    if (ch === '\n') line++;
    index++;
  }
  return line;
}

function errorOf(err: unknown): { message: string; position?: number } {
  const e = err as { message?: string; sqlDetails?: { cursorPosition?: number } };
  return { message: e.message ?? String(err), position: e.sqlDetails?.cursorPosition };
}

/**
 * Parses a piece of SQL with the PostgreSQL parser. When the whole text does not parse, the
 * statements are split at the lexer's `;` tokens and parsed one by one, so one bad statement costs
 * its own findings only and is reported at its own line.
 */
export function parseSql(parser: PgParser, sql: string): ParsedSql {
  const lines = new ByteLines(sql);
  try {
    return { statements: collect(parser, parser.parse(sql).stmts ?? [], lines, 0, lines.bytes.length), errors: [] };
  } catch (err) {
    const whole = errorOf(err);
    let semicolons: number[];
    try {
      semicolons = parser.scan(sql).tokens.filter((t) => t.text === ';').map((t) => t.start);
    } catch {
      return { statements: [], errors: [{ message: whole.message, line: lineOfCodePoint(sql, whole.position ?? 0) }] };
    }
    const statements: ParsedSqlStatement[] = [];
    const errors: SqlParseError[] = [];
    let start = 0;
    for (const end of [...semicolons, lines.bytes.length]) {
      // The chunk keeps its `;` so the parser's message names the real token.
      const chunk = lines.bytes.subarray(start, Math.min(end + 1, lines.bytes.length)).toString('utf8');
      if (chunk.trim()) {
        try {
          statements.push(...collect(parser, parser.parse(chunk).stmts ?? [], lines, start, end));
        } catch (chunkErr) {
          const e = errorOf(chunkErr);
          errors.push({ message: e.message, line: lines.line(start) + lineOfCodePoint(chunk, e.position ?? 0) - 1 });
        }
      }
      start = end + 1;
    }
    return { statements, errors };
  }
}

function collect(
  parser: PgParser,
  stmts: { stmt?: Node; stmt_location?: number; stmt_len?: number }[],
  lines: ByteLines,
  base: number,
  limit: number,
): ParsedSqlStatement[] {
  const out: ParsedSqlStatement[] = [];
  for (const raw of stmts) {
    if (!raw.stmt) continue;
    // stmt_location is omitted when 0 and stmt_len when the statement runs to the end of the text.
    const from = base + (raw.stmt_location ?? 0);
    const to = raw.stmt_len ? from + raw.stmt_len : limit;
    const start = skipTrivia(lines.bytes, from, to);
    const [kind] = nodeKind(raw.stmt);
    out.push({
      node: raw.stmt,
      kind,
      text: quoteStatement(lines.bytes.subarray(start, to).toString('utf8')),
      line: lines.line(start),
      endLine: lines.line(Math.max(start, to - 1)),
    });
    if (kind === 'DoStmt') out.push(...doBlockStatements(parser, raw.stmt, lines, base, lines.line(start)));
  }
  return out;
}

interface DoStmtBody {
  DoStmt: { args?: { DefElem?: { defname?: string; arg?: { String?: { sval?: string } }; location?: number } }[] };
}

/**
 * The SQL statements of a `DO $$ BEGIN … END $$` block (how older drizzle-kit versions wrapped each
 * foreign key, to swallow duplicate_object). The body is parsed as PL/pgSQL by PostgreSQL's own
 * PL/pgSQL parser; each plain SQL statement in it is parsed again and placed at its own line.
 * Dynamic SQL (`EXECUTE '…'`) is not read.
 */
function doBlockStatements(parser: PgParser, node: Node, lines: ByteLines, base: number, doLine: number): ParsedSqlStatement[] {
  const args = (node as unknown as DoStmtBody).DoStmt.args ?? [];
  const language = args.find((a) => a.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval;
  const body = args.find((a) => a.DefElem?.defname === 'as')?.DefElem;
  const source = body?.arg?.String?.sval;
  if (!source || (language && language !== 'plpgsql')) return [];
  // The body starts on the line of its opening $$ (lineno 1 in the PL/pgSQL parse).
  const bodyLine = body?.location !== undefined ? lines.line(base + body.location) : doLine;
  let tree: unknown;
  try {
    tree = parser.parsePlPgSQL(`CREATE FUNCTION shipready_do() RETURNS void LANGUAGE plpgsql AS $shipready_do$${source}$shipready_do$;`);
  } catch {
    return [];
  }
  const out: ParsedSqlStatement[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const exec = (value as { PLpgSQL_stmt_execsql?: { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } } } }).PLpgSQL_stmt_execsql;
    const query = exec?.sqlstmt?.PLpgSQL_expr?.query;
    if (exec && query) {
      try {
        const line = bodyLine + (exec.lineno ?? 1) - 1;
        for (const inner of parser.parse(query).stmts ?? []) {
          if (!inner.stmt) continue;
          const text = quoteStatement(query);
          out.push({ node: inner.stmt, kind: nodeKind(inner.stmt)[0], text, line, endLine: line + (query.match(/\n/g) ?? []).length, insideDoAt: doLine });
        }
      } catch {
        // A statement PL/pgSQL accepts but plain SQL does not (it names PL/pgSQL variables): not ours to judge.
      }
      return;
    }
    for (const v of Object.values(value)) visit(v);
  };
  visit(tree);
  return out;
}
