import { defineRule } from '../rule.js';
import { alterationsOfExistingTables, commandNames, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/changing-column-type',
  severity: 'high',
  title: 'Migration changes a column type',
  messages: {
    changeType: {
      message:
        'ALTER COLUMN {{columns}} TYPE on {{table}}: `{{statement}}`. Unless the change is binary-compatible (such as varchar(n) to text), PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes, and the old tasks still running during the deploy read and write the old type',
      fix: 'expand/contract: add a new column with the new type, write both from the code, backfill in batches, switch reads to the new column, and drop the old one in a later release. If this change is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      const columns = commandNames(entry, 'AT_AlterColumnType');
      if (columns.length === 0) continue;
      report('changeType', entry.statement.loc, { columns: columns.join(', '), table: entry.table, statement: entry.statement.text }, statementOptions(entry.file, entry.statement));
    }
  },
});
