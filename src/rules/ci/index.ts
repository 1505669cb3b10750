import type { Rule } from '../rule.js';
import pathNotFound from './path-not-found.js';
import failureMasked from './failure-masked.js';
import dependencyAuditMissing from './dependency-audit-missing.js';
import imageScanMissing from './image-scan-missing.js';
import mutableImageTag from './mutable-image-tag.js';
import smokeTestMissing from './smoke-test-missing.js';
import rollbackMissing from './rollback-missing.js';
import dockerBuildUntested from './docker-build-untested.js';
import unprotectedProduction from './unprotected-production.js';
import permissions from './permissions.js';
import unfrozenInstall from './unfrozen-install.js';
import migrationCheckMissing from './migration-check-missing.js';
import taskdefContainerNameMismatch from './taskdef-container-name-mismatch.js';
import deployedTagNotPushed from './deployed-tag-not-pushed.js';
import oidcMisconfigured from './oidc-misconfigured.js';

export const ciRules: Rule[] = [
  pathNotFound,
  failureMasked,
  dependencyAuditMissing,
  imageScanMissing,
  mutableImageTag,
  smokeTestMissing,
  rollbackMissing,
  dockerBuildUntested,
  unprotectedProduction,
  permissions,
  unfrozenInstall,
  migrationCheckMissing,
  taskdefContainerNameMismatch,
  deployedTagNotPushed,
  oidcMisconfigured,
];
