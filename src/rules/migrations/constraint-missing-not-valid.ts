import { defineRule } from '../rule.js';
import { alterationsOfExistingTables, asColumnDef, asConstraint, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/constraint-missing-not-valid',
  severity: 'medium',
  title: 'Foreign key or check added without NOT VALID',
  messages: {
    foreignKey: {
      message:
        'FOREIGN KEY {{name}} added to {{table}} without NOT VALID: `{{statement}}`. PostgreSQL checks every existing row while holding a SHARE ROW EXCLUSIVE lock on {{table}} and on {{referenced}}: writes to both tables wait for the whole scan',
      fix: 'add it with NOT VALID (new rows are checked from then on, no scan), then run ALTER TABLE {{table}} VALIDATE CONSTRAINT … as a separate statement, ideally in the next migration: validation takes a lock that lets reads and writes go on',
    },
    check: {
      message:
        'CHECK {{name}} added to {{table}} without NOT VALID: `{{statement}}`. PostgreSQL checks every existing row while holding an ACCESS EXCLUSIVE lock: reads and writes on {{table}} wait for the whole scan',
      fix: 'add it with NOT VALID (new rows are checked from then on, no scan), then run ALTER TABLE {{table}} VALIDATE CONSTRAINT … as a separate statement, ideally in the next migration: validation takes a lock that lets reads and writes go on',
    },
    validateSameTransaction: {
      message:
        'VALIDATE CONSTRAINT {{name}} on {{table}} runs in the same transaction as the ADD CONSTRAINT … NOT VALID at line {{addLine}} ({{why}}): the lock the add took is held through the whole validation scan, so NOT VALID buys nothing: `{{statement}}`',
      fix: 'validate in a separate transaction, ideally in the next migration, so only the short lock of the add is held while the service runs',
    },
  },
  check(model, report) {
    /** NOT VALID constraints added in the current file: `file\0table.name` → the add's statement. */
    const notValid = new Map<string, { line: number; inTransaction?: string }>();
    for (const { file, statement, table, cmds } of alterationsOfExistingTables(model)) {
      for (const cmd of cmds) {
        const added = cmd.subtype === 'AT_AddConstraint' ? asConstraint(cmd.def) : undefined;
        if (added?.skip_validation && added.conname) {
          notValid.set(`${file.path}\0${table}.${added.conname}`, { line: statement.loc.line, inTransaction: statement.inTransaction });
        }
        if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
          const add = notValid.get(`${file.path}\0${table}.${cmd.name}`);
          if (add?.inTransaction && add.inTransaction === statement.inTransaction) {
            report('validateSameTransaction', statement.loc, { name: cmd.name, table, addLine: add.line, why: add.inTransaction, statement: statement.text }, statementOptions(file, statement));
          }
        }
        const constraints =
          cmd.subtype === 'AT_AddConstraint'
            ? [asConstraint(cmd.def)]
            : cmd.subtype === 'AT_AddColumn'
              ? // ADD COLUMN … REFERENCES validates the new column's values against the other table.
                (asColumnDef(cmd.def)?.constraints ?? []).map(asConstraint).filter((c) => c?.contype === 'CONSTR_FOREIGN')
              : [];
        for (const constraint of constraints) {
          if (!constraint || constraint.skip_validation) continue;
          const name = constraint.conname ?? '(unnamed)';
          if (constraint.contype === 'CONSTR_FOREIGN') {
            report('foreignKey', statement.loc, { name, table, referenced: constraint.pktable?.relname ?? 'the referenced table', statement: statement.text }, statementOptions(file, statement));
          } else if (constraint.contype === 'CONSTR_CHECK') {
            report('check', statement.loc, { name, table, statement: statement.text }, statementOptions(file, statement));
          }
        }
      }
    }
  },
});
