import type { Node } from 'libpg-query';
import { defineRule } from '../rule.js';
import { addedColumns, alterationsOfExistingTables, asConstraint, columnTypeName, SERIAL_TYPES, statementOptions } from './_schema.js';

/**
 * Functions PostgreSQL marks VOLATILE that are common as column defaults. A volatile default must be
 * computed per row, so even PostgreSQL 11+ rewrites the table. now()/current_timestamp are STABLE:
 * evaluated once, no rewrite.
 */
const VOLATILE_FUNCTIONS = new Set([
  'random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7',
  'clock_timestamp', 'timeofday', 'nextval', 'txid_current', 'gen_random_bytes', 'random_normal',
]);

/** The first volatile function called anywhere in a default expression. */
function volatileCall(expr: unknown): string | undefined {
  if (Array.isArray(expr)) {
    for (const e of expr) {
      const found = volatileCall(e);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof expr !== 'object' || expr === null) return undefined;
  const call = (expr as { FuncCall?: { funcname?: Node[] } }).FuncCall;
  if (call) {
    const name = (call.funcname?.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval;
    if (name && VOLATILE_FUNCTIONS.has(name)) return `${name}()`;
  }
  for (const value of Object.values(expr)) {
    const found = volatileCall(value);
    if (found) return found;
  }
  return undefined;
}

export default defineRule({
  id: 'migrations/adding-field-with-default',
  severity: 'medium',
  title: 'Column added with a default that rewrites the table',
  messages: {
    volatile: {
      message:
        'ADD COLUMN {{column}} on {{table}} with the volatile default {{default}}: `{{statement}}`. Each row needs its own value, so PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock (reads and writes wait) — on any version',
      fix: 'add the column without a default, then ALTER COLUMN {{column}} SET DEFAULT {{default}} (applies to new rows only, no rewrite), and backfill existing rows in batches',
    },
    anyDefault: {
      message:
        'ADD COLUMN {{column}} … DEFAULT on {{table}}: `{{statement}}`. Before PostgreSQL 11 any default rewrites the whole table under an ACCESS EXCLUSIVE lock (version used: {{version}})',
      fix: 'add the column without a default, set the default in a separate ALTER COLUMN … SET DEFAULT, and backfill existing rows in batches — or upgrade to PostgreSQL 11+, where constant defaults are free',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      const { file, statement, table } = entry;
      for (const column of addedColumns(entry)) {
        const constraints = (column.constraints ?? []).map(asConstraint);
        const defaultExpr = constraints.find((c) => c?.contype === 'CONSTR_DEFAULT')?.raw_expr;
        const typeName = columnTypeName(column);
        // serial and identity columns take nextval() from a new sequence for every existing row, and a
        // STORED generated column is computed for every row: volatile defaults in disguise.
        const volatile = SERIAL_TYPES.has(typeName)
          ? `nextval() (${typeName})`
          : constraints.some((c) => c?.contype === 'CONSTR_IDENTITY')
            ? 'nextval() (GENERATED … AS IDENTITY)'
            : constraints.some((c) => c?.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v')
              ? 'a STORED generated expression'
              : defaultExpr
                ? volatileCall(defaultExpr)
                : undefined;
        const data = { column: column.colname ?? '?', table, statement: statement.text };
        if (volatile) report('volatile', statement.loc, { ...data, default: volatile }, statementOptions(file, statement));
        else if (defaultExpr && file.postgres.major < 11) report('anyDefault', statement.loc, { ...data, version: `${file.postgres.major}, ${file.postgres.source}` }, statementOptions(file, statement));
      }
    }
  },
});
