import type { Rule } from '../rule.js';
import dropTable from './drop-table.js';
import dropColumn from './drop-column.js';
import truncateTable from './truncate-table.js';
import changingColumnType from './changing-column-type.js';
import renamingColumn from './renaming-column.js';
import renamingTable from './renaming-table.js';
import settingNotNull from './setting-not-null.js';
import dropConstraint from './drop-constraint.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import addingRequiredField from './adding-required-field.js';
import addingFieldWithDefault from './adding-field-with-default.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import parseError from './parse-error.js';
import appliedNotChecked from './applied-not-checked.js';

/**
 * The destructive operations of the migration-safety table (seed 004): a pull request may approve
 * them with the label migration-destructive-approved.
 */
export const destructiveMigrationRules: Rule[] = [
  dropTable,
  dropColumn,
  truncateTable,
  changingColumnType,
  renamingColumn,
  renamingTable,
  settingNotNull,
  dropConstraint,
];

/** Operations that lock a live table for long, or fail at deploy time; fixed in the SQL, not approved by label. */
export const lockingMigrationRules: Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  constraintMissingNotValid,
  addingRequiredField,
  addingFieldWithDefault,
  banConcurrentIndexCreationInTransaction,
];

export const migrationRules: Rule[] = [...destructiveMigrationRules, ...lockingMigrationRules, parseError, appliedNotChecked];
