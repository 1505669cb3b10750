/**
 * How long a fix usually takes, in minutes, for the first occurrence: the one place the prompt
 * and the other reports take effort estimates from. A rule without its own figure takes its
 * area's. Figures are for someone who knows the repository: a path typo is minutes; rotating a
 * leaked secret, restructuring a Dockerfile or making state shareable between tasks is an hour.
 */
const AREA_MINUTES: Record<string, number> = {
  repo: 15,
  docker: 15,
  ci: 10,
  compose: 15,
  src: 20,
  ecs: 15,
  aws: 20,
  migrations: 30,
};

const DEFAULT_MINUTES = 15;

const RULE_MINUTES: Record<string, number> = {
  'repo/parse-error': 10,
  'repo/env-file-committed': 30, // untrack, purge from history, rotate every value in it
  'repo/hardcoded-secret': 60, // rotate the secret, move it to Secrets Manager, purge history
  'repo/dependency-updates-missing': 5,
  'repo/env-example-incomplete': 5,
  'repo/node-version-drift': 10,
  'repo/lockfile-out-of-sync': 10,
  'repo/lockfile-mismatch': 15,
  'docker/runs-as-root': 10,
  'docker/single-stage-build': 30,
  'docker/package-manager-mismatch': 30,
  'docker/unfrozen-install': 5,
  'docker/base-image-unpinned': 5,
  'docker/signals-not-forwarded': 5,
  'docker/dockerignore': 5,
  'docker/secret-in-build': 30,
  'docker/workspace-package-missing': 30,
  'docker/node-env-before-build-install': 5,
  'docker/dev-runtime-in-production': 20,
  'docker/copy-source-missing': 10,
  'docker/runtime-asset-missing': 20,
  'docker/healthcheck': 10,
  'ci/path-not-found': 2,
  'ci/failure-masked': 5,
  'ci/dependency-audit-missing': 5,
  'ci/image-scan-missing': 10,
  'ci/rollback-missing': 20,
  'ci/permissions': 20,
  'ci/unfrozen-install': 5,
  'ci/migration-check-missing': 20,
  'ci/taskdef-container-name-mismatch': 5,
  'ci/oidc-misconfigured': 5,
  'ci/mutable-image-tag': 10,
  'ci/smoke-test-missing': 10,
  'ci/docker-build-untested': 15,
  'ci/unprotected-production': 10,
  'src/listen-localhost': 5,
  'src/keepalive-below-lb-idle': 5,
  'src/trust-proxy-missing': 5,
  'src/tls-verification-disabled': 30,
  'src/in-memory-state-multi-task': 60,
  'src/no-sigterm-handler': 20,
  'src/connection-not-closed': 15,
  'src/no-health-endpoint': 15,
  'src/dev-dependency-in-production': 20,
  'src/cors-wildcard': 15,
  'src/file-logging': 10,
  'ecs/plaintext-secret': 30, // move to Secrets Manager and rotate: the value is in git history
  'ecs/stop-timeout': 10,
  'ecs/fargate-size': 5,
  'ecs/mutable-image': 10,
  'ecs/port-mismatch': 10,
  'ecs/healthcheck': 15,
  'ecs/env-missing': 10,
  'ecs/logging': 10,
  'ecs/no-circuit-breaker': 5,
  'aws/alb-http-only': 30,
  'aws/iam-wildcard': 30,
  'aws/alb-rule-limits': 15,
  // Expand/contract takes two deploys: the figure is the first change, the later drop is separate.
  'migrations/drop-table': 45,
  'migrations/drop-column': 45,
  'migrations/renaming-column': 45,
  'migrations/renaming-table': 45,
  'migrations/changing-column-type': 45,
  'migrations/require-concurrent-index-creation': 5,
  'migrations/require-concurrent-index-deletion': 5,
  'migrations/constraint-missing-not-valid': 10,
  'migrations/ban-concurrent-index-creation-in-transaction': 10,
  'migrations/parse-error': 10,
};

export function areaOf(ruleId: string): string {
  return ruleId.split('/')[0];
}

/** Minutes to fix `occurrences` findings of one rule: each further occurrence costs a third of the first. */
export function effortMinutes(ruleId: string, occurrences = 1): number {
  const first = RULE_MINUTES[ruleId] ?? AREA_MINUTES[areaOf(ruleId)] ?? DEFAULT_MINUTES;
  return first + Math.max(0, occurrences - 1) * Math.max(1, Math.round(first / 3));
}

export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
