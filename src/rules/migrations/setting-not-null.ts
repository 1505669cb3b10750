import { defineRule } from '../rule.js';
import { alterationsOfExistingTables, commandNames, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/setting-not-null',
  severity: 'medium',
  title: 'Migration sets a column NOT NULL',
  messages: {
    setNotNull: {
      message:
        'SET NOT NULL on {{table}}.{{columns}}: `{{statement}}`. PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock (reads and writes wait), the migration fails if any row is NULL, and old tasks that still insert without the column start failing',
      fix: 'first deploy code that always writes {{columns}} and backfill; then (PostgreSQL 12+) ADD CONSTRAINT … CHECK ({{columns}} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a separate statement, SET NOT NULL (no scan once a validated check proves it), and drop the check. If this is intended as is, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      // A validated CHECK (col IS NOT NULL) earlier in the file lets PostgreSQL 12+ skip the scan.
      const proven = (column: string) => entry.file.postgres.major >= 12 && entry.created.validatedNotNull.has(`${entry.table}.${column}`);
      const columns = commandNames(entry, 'AT_SetNotNull').filter((c) => !proven(c));
      if (columns.length === 0) continue;
      report('setNotNull', entry.statement.loc, { table: entry.table, columns: columns.join(', '), statement: entry.statement.text }, statementOptions(entry.file, entry.statement));
    }
  },
});
