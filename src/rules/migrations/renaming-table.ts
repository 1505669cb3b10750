import { defineRule } from '../rule.js';
import { asRename, migrationStatements, tableName, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/renaming-table',
  severity: 'high',
  title: 'Migration renames a table',
  messages: {
    renameTable: {
      message:
        'RENAME TABLE {{from}} TO {{to}}: `{{statement}}`. The old tasks still running during the ECS deploy query {{from}} and fail until the last of them is replaced; a rollback of the code fails the same way',
      fix: 'expand/contract: rename the table and create a view named {{from}} over it in the same migration (simple views are updatable), deploy code that uses {{to}}, and drop the view in a later release. If this rename is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const rename = asRename(statement.node);
      if (!rename || rename.renameType !== 'OBJECT_TABLE') continue;
      const table = tableName(rename.relation);
      if (created.tables.has(table)) continue;
      report('renameTable', statement.loc, { from: table, to: rename.newname ?? '?', statement: statement.text }, statementOptions(file, statement));
    }
  },
});
