import type { Rule } from '../rule.js';
import parseError from './parse-error.js';
import lockfileMismatch from './lockfile-mismatch.js';
import lockfileOutOfSync from './lockfile-out-of-sync.js';
import envFileCommitted from './env-file-committed.js';
import hardcodedSecret from './hardcoded-secret.js';
import nodeVersionDrift from './node-version-drift.js';
import envExampleIncomplete from './env-example-incomplete.js';
import dependencyUpdatesMissing from './dependency-updates-missing.js';

export const repoRules: Rule[] = [
  parseError,
  lockfileMismatch,
  lockfileOutOfSync,
  envFileCommitted,
  hardcodedSecret,
  nodeVersionDrift,
  envExampleIncomplete,
  dependencyUpdatesMissing,
];
