import { defineRule } from '../rule.js';
import { asDrop, droppedNames, migrationStatements, outsideTransactionHow, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/require-concurrent-index-deletion',
  severity: 'medium',
  title: 'Index dropped without CONCURRENTLY',
  messages: {
    dropIndex: {
      message:
        'DROP INDEX without CONCURRENTLY: `{{statement}}`. It takes an ACCESS EXCLUSIVE lock on the index\'s table, so it waits behind any long query and every read and write queues behind it meanwhile',
      fix: 'use DROP INDEX CONCURRENTLY {{how}}',
    },
  },
  check(model, report) {
    for (const { file, statement, created } of migrationStatements(model)) {
      const drop = asDrop(statement.node);
      if (!drop || drop.removeType !== 'OBJECT_INDEX' || drop.concurrent) continue;
      if (droppedNames(drop).every((name) => created.indexes.has(name))) continue;
      report('dropIndex', statement.loc, { statement: statement.text, how: outsideTransactionHow(file) }, statementOptions(file, statement));
    }
  },
});
