import { defineRule } from '../rule.js';
import { asDrop, droppedNames, migrationStatements, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/drop-table',
  severity: 'critical',
  title: 'Migration drops a table',
  messages: {
    dropTable: {
      message:
        'DROP TABLE {{tables}}: `{{statement}}`. During an ECS rolling deploy the old tasks keep running against the migrated database, and every query they make on {{tables}} fails; the data is gone for good',
      fix: 'expand/contract: first deploy code that no longer reads or writes {{tables}}; drop the table in a later migration, after a backup (or rename it aside first so you can go back). If this drop is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const drop = asDrop(statement.node);
      if (!drop || drop.removeType !== 'OBJECT_TABLE') continue;
      // A table created earlier in the same migration was never seen by a running task.
      const existing = droppedNames(drop).filter((t) => !created.tables.has(t));
      if (existing.length === 0) continue;
      report('dropTable', statement.loc, { tables: existing.join(', '), statement: statement.text }, statementOptions(file, statement));
    }
  },
});
