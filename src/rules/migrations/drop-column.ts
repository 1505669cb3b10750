import { defineRule } from '../rule.js';
import { alterationsOfExistingTables, commandNames, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/drop-column',
  severity: 'critical',
  title: 'Migration drops a column',
  messages: {
    dropColumn: {
      message:
        'DROP COLUMN {{columns}} on {{table}}: `{{statement}}`. The old tasks still running during the ECS deploy select and insert that column and fail, and its data is gone for good',
      fix: 'expand/contract: first deploy code that no longer uses {{columns}} (for an ORM, remove it from the model so generated queries stop naming it); drop the column in a later migration once no running task uses it. If this drop is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      // A column added earlier in the same migration is unknown to the running code.
      const columns = commandNames(entry, 'AT_DropColumn');
      if (columns.length === 0) continue;
      report('dropColumn', entry.statement.loc, { columns: columns.join(', '), table: entry.table, statement: entry.statement.text }, statementOptions(entry.file, entry.statement));
    }
  },
});
