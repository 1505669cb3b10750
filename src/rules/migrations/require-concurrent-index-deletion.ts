import { defineRule } from '../rule.js';
import { alterTable, asDrop, droppedNames, migrationStatements, outsideTransactionHow, statementOptions, tableName } from './_schema.js';
import type { MigrationFile } from '../../model/migrations.js';

/**
 * Tables the same migration alters within its transaction (ALTER TABLE takes ACCESS EXCLUSIVE for
 * most subcommands): dropping one of their indexes there adds no lock of its own.
 */
function tablesAlteredInTransaction(file: MigrationFile): string[] {
  return file.statements.filter((s) => s.inTransaction ?? file.implicitTransaction).map((s) => alterTable(s)).filter((a) => a !== undefined).map((a) => tableName(a!.stmt.relation));
}

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
      // `DROP INDEX "board_slug_key"` next to `ALTER TABLE "board" DROP COLUMN "slug"` in one
      // transaction: the ALTER already holds ACCESS EXCLUSIVE on board (index names lead with their table).
      const altered = statement.inTransaction ?? file.implicitTransaction ? tablesAlteredInTransaction(file) : [];
      if (altered.length > 0 && droppedNames(drop).every((name) => altered.some((t) => name.startsWith(`${t}_`)))) continue;
      report('dropIndex', statement.loc, { statement: statement.text, how: outsideTransactionHow(file) }, statementOptions(file, statement));
    }
  },
});
