import { defineRule } from '../rule.js';
import { alterationsOfExistingTables, commandNames, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/drop-constraint',
  severity: 'medium',
  title: 'Migration drops a constraint',
  messages: {
    dropConstraint: {
      message:
        'DROP CONSTRAINT {{constraints}} on {{table}}: `{{statement}}`. The guarantee goes away while old code still relies on it: duplicates or orphans can be written from then on, and an INSERT … ON CONFLICT that names a dropped unique constraint fails',
      fix: 'make sure no running code relies on {{constraints}} (ON CONFLICT targets, error handling on unique violations) and deploy that first; drop the constraint in a later migration. If this drop is intended, approve it with the pull-request label migration-destructive-approved or a waiver',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      // Constraints added in the same file are helpers (e.g. the CHECK used to SET NOT NULL safely).
      const constraints = commandNames(entry, 'AT_DropConstraint', false).filter((c) => !entry.created.constraints.has(`${entry.table}.${c}`));
      if (constraints.length === 0) continue;
      report('dropConstraint', entry.statement.loc, { table: entry.table, constraints: constraints.join(', '), statement: entry.statement.text }, statementOptions(entry.file, entry.statement));
    }
  },
});
