import { defineRule } from '../rule.js';
import { asRename, migrationStatements, tableName, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/renaming-column',
  severity: 'high',
  title: 'Migration renames a column',
  messages: {
    renameColumn: {
      message:
        'RENAME COLUMN {{from}} TO {{to}} on {{table}}: `{{statement}}`. The old tasks still running during the ECS deploy query {{from}} and fail until the last of them is replaced; a rollback of the code fails the same way',
      fix: 'expand/contract: add {{to}} as a new column, write both from the code and backfill, switch reads to {{to}}, and drop {{from}} in a later release. If this rename is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const rename = asRename(statement.node);
      if (!rename || rename.renameType !== 'OBJECT_COLUMN' || rename.relationType !== 'OBJECT_TABLE') continue;
      const table = tableName(rename.relation);
      if (created.tables.has(table) || created.columns.has(`${table}.${rename.subname}`)) continue;
      report('renameColumn', statement.loc, { from: rename.subname ?? '?', to: rename.newname ?? '?', table, statement: statement.text }, statementOptions(file, statement));
    }
  },
});
