import { defineRule } from '../rule.js';
import { alterTable, asColumnDef, asConstraint, asIndex, migrationStatements, outsideTransactionHow, tableName, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/require-concurrent-index-creation',
  severity: 'medium',
  title: 'Index created without CONCURRENTLY on an existing table',
  messages: {
    createIndex: {
      message:
        'CREATE INDEX without CONCURRENTLY on {{table}}: `{{statement}}`. The build holds a SHARE lock on {{table}}: every INSERT, UPDATE and DELETE waits until the index is built, which on a large table outlasts the load balancer and the service health checks',
      fix: 'use CREATE INDEX CONCURRENTLY (writes continue while it builds) {{how}}; if it fails half-way, drop the INVALID index it leaves and retry',
    },
    constraintIndex: {
      message:
        'ADD {{kind}} on {{table}} builds its index inside the ALTER TABLE: `{{statement}}`. That holds an ACCESS EXCLUSIVE lock on {{table}} for the whole build, so reads and writes wait',
      fix: 'build the index first with CREATE UNIQUE INDEX CONCURRENTLY … {{how}}, then attach it: ALTER TABLE {{table}} ADD CONSTRAINT … {{kind}} USING INDEX … (instant)',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const index = asIndex(statement.node);
      const alter = alterTable(statement);
      const table = tableName(index?.relation ?? alter?.stmt.relation);
      // An index on a table created in the same migration is built on an empty table.
      if (created.tables.has(table)) continue;
      if (index && !index.concurrent) {
        report('createIndex', statement.loc, { table, statement: statement.text, how: outsideTransactionHow(file) }, statementOptions(file, statement));
      }
      // ADD CONSTRAINT … UNIQUE / PRIMARY KEY (and ADD COLUMN … UNIQUE) without USING INDEX.
      for (const cmd of alter?.cmds ?? []) {
        const constraints =
          cmd.subtype === 'AT_AddConstraint' ? [asConstraint(cmd.def)] : cmd.subtype === 'AT_AddColumn' ? (asColumnDef(cmd.def)?.constraints ?? []).map(asConstraint) : [];
        const building = constraints.find((c) => (c?.contype === 'CONSTR_UNIQUE' || c?.contype === 'CONSTR_PRIMARY') && !c.indexname);
        if (!building) continue;
        const kind = building.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY';
        report('constraintIndex', statement.loc, { kind, table, statement: statement.text, how: outsideTransactionHow(file) }, statementOptions(file, statement));
        break;
      }
    }
  },
});
