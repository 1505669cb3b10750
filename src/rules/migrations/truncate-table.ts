import { defineRule } from '../rule.js';
import { asRangeVar, asTruncate, migrationStatements, tableName, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/truncate-table',
  severity: 'critical',
  title: 'Migration truncates a table',
  messages: {
    truncate: {
      message:
        'TRUNCATE {{tables}}{{cascade}}: `{{statement}}`. Every row is deleted while the service is live, under an ACCESS EXCLUSIVE lock, and a migration runs against every environment including production',
      fix: 'do not empty tables in a schema migration: if the data must go, delete it in batches from a one-off job you run per environment on purpose. If this truncate is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const truncate = asTruncate(statement.node);
      if (!truncate) continue;
      const tables = (truncate.relations ?? []).map((r) => tableName(asRangeVar(r))).filter((t) => !created.tables.has(t));
      if (tables.length === 0) continue;
      const cascade = truncate.behavior === 'DROP_CASCADE' ? ' CASCADE (which also empties every table that references them)' : '';
      report('truncate', statement.loc, { tables: tables.join(', '), cascade, statement: statement.text }, statementOptions(file, statement));
    }
  },
});
