import { defineRule } from '../rule.js';
import { addedColumns, alterationsOfExistingTables, asConstraint, columnTypeName, SERIAL_TYPES, statementOptions } from './_schema.js';

export default defineRule({
  id: 'migrations/adding-required-field',
  severity: 'medium',
  title: 'NOT NULL column added without a default',
  messages: {
    required: {
      message:
        'ADD COLUMN {{column}} NOT NULL without a DEFAULT on {{table}}: `{{statement}}`. On a table that has rows the migration fails ("contains null values"), and once it passes, the old tasks\' INSERTs that do not name {{column}} fail',
      fix: 'expand/contract: add the column nullable (or with a constant DEFAULT), deploy code that writes it, backfill, then make it NOT NULL the safe way (CHECK … NOT VALID, VALIDATE, SET NOT NULL)',
    },
  },
  check(model, report) {
    for (const entry of alterationsOfExistingTables(model)) {
      for (const column of addedColumns(entry)) {
        const constraints = (column.constraints ?? []).map(asConstraint);
        const required = constraints.some((c) => c?.contype === 'CONSTR_NOTNULL' || c?.contype === 'CONSTR_PRIMARY');
        // Defaults, identity, generated and serial columns fill existing rows themselves.
        const filled = constraints.some((c) => c?.contype === 'CONSTR_DEFAULT' || c?.contype === 'CONSTR_IDENTITY' || c?.contype === 'CONSTR_GENERATED');
        if (!required || filled || SERIAL_TYPES.has(columnTypeName(column))) continue;
        report('required', entry.statement.loc, { column: column.colname ?? '?', table: entry.table, statement: entry.statement.text }, statementOptions(entry.file, entry.statement));
      }
    }
  },
});
