import { defineRule } from '../rule.js';
import { asDrop, asIndex, migrationStatements, outsideTransactionHow, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/ban-concurrent-index-creation-in-transaction',
  severity: 'high',
  title: 'CONCURRENTLY inside a transaction',
  messages: {
    inTransaction: {
      message:
        '{{operation}} CONCURRENTLY cannot run inside a transaction block, and {{why}}: `{{statement}}`. The migration fails at deploy time with "cannot run inside a transaction block"',
      fix: 'run it {{how}}',
    },
    prismaImplicit: {
      message:
        '{{operation}} CONCURRENTLY in a migration.sql with other statements: {{why}}, so it can fail with "cannot run inside a transaction block": `{{statement}}`',
      fix: 'run it {{how}}',
    },
  },
  check(model, report) {
    for (const { file, statement } of migrationStatements(model)) {
      const index = asIndex(statement.node);
      const drop = asDrop(statement.node);
      const reindex = (statement.node as { ReindexStmt?: { params?: unknown[] } }).ReindexStmt;
      const reindexConcurrently = reindex && JSON.stringify(reindex.params ?? []).includes('"concurrently"');
      const operation = index?.concurrent ? 'CREATE INDEX' : drop?.concurrent && drop.removeType === 'OBJECT_INDEX' ? 'DROP INDEX' : reindexConcurrently ? 'REINDEX' : undefined;
      if (!operation) continue;
      const data = { operation, statement: statement.text, how: outsideTransactionHow(file) };
      if (statement.inTransaction) report('inTransaction', statement.loc, { ...data, why: `it runs inside ${statement.inTransaction.startsWith('the BEGIN') ? statement.inTransaction : `a transaction: ${statement.inTransaction}`}` }, statementOptions(file, statement));
      else if (file.implicitTransaction) {
        // Newer Prisma versions split CREATE INDEX CONCURRENTLY out of the script; DROP INDEX is not split yet.
        report('prismaImplicit', statement.loc, { ...data, why: file.implicitTransaction }, { ...statementOptions(file, statement), severity: operation === 'CREATE INDEX' ? 'medium' : 'high' });
      }
    }
  },
});
