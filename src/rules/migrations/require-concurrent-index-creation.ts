import { defineRule } from '../rule.js';
import { asIndex, migrationStatements, outsideTransactionHow, tableName } from './_schema.js';

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
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const index = asIndex(statement.node);
      if (!index || index.concurrent) continue;
      const table = tableName(index.relation);
      // An index on a table created in the same migration is built on an empty table.
      if (created.tables.has(table)) continue;
      report('createIndex', statement.loc, { table, statement: statement.text, how: outsideTransactionHow(file) });
    }
  },
});
