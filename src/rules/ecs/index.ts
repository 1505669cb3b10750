import type { Rule } from '../rule.js';
import envMissing from './env-missing.js';
import plaintextSecret from './plaintext-secret.js';
import healthcheck from './healthcheck.js';
import stopTimeout from './stop-timeout.js';
import fargateSize from './fargate-size.js';
import logging from './logging.js';
import mutableImage from './mutable-image.js';
import portMismatch from './port-mismatch.js';
import noCircuitBreaker from './no-circuit-breaker.js';
import cpuArchitectureMismatch from './cpu-architecture-mismatch.js';
import executionRolePermissions from './execution-role-permissions.js';
import taskRoleMissing from './task-role-missing.js';
import taskdefReadonlyFields from './taskdef-readonly-fields.js';
import logGroupMissing from './log-group-missing.js';
import healthcheckCommand from './healthcheck-command.js';
import containerMemoryExceedsTask from './container-memory-exceeds-task.js';
import deploymentConfig from './deployment-config.js';
import readonlyRootfsNoWritableTmp from './readonly-rootfs-no-writable-tmp.js';
import healthCheckGracePeriod from './health-check-grace-period.js';
import migrationsOnBoot from './migrations-on-boot.js';
import nodeHeapBudget from './node-heap-budget.js';
import sidecarEssential from './sidecar-essential.js';
import nodeEnvNotProduction from './node-env-not-production.js';

export const ecsRules: Rule[] = [
  envMissing,
  plaintextSecret,
  healthcheck,
  stopTimeout,
  fargateSize,
  logging,
  mutableImage,
  portMismatch,
  noCircuitBreaker,
  cpuArchitectureMismatch,
  executionRolePermissions,
  taskRoleMissing,
  taskdefReadonlyFields,
  logGroupMissing,
  healthcheckCommand,
  containerMemoryExceedsTask,
  deploymentConfig,
  readonlyRootfsNoWritableTmp,
  healthCheckGracePeriod,
  migrationsOnBoot,
  nodeHeapBudget,
  sidecarEssential,
  nodeEnvNotProduction,
];
