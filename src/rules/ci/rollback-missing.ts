import { defineRule } from '../rule.js';
import { deployJobs, isFailureOnly, isNonProduction } from './_pipeline.js';

export default defineRule({
  id: 'ci/rollback-missing',
  severity: 'medium',
  title: 'ECS deploy without automatic rollback',
  messages: {
    missing: {
      message: 'this ECS deploy has no rollback: no step runs on failure to restore the previous task definition, and no deployment circuit breaker with rollback is defined in the repository; a bad release stays live until someone acts',
      fix: 'enable the ECS deployment circuit breaker with rollback on the service (deploymentCircuitBreaker {enable: true, rollback: true}), and/or add a job with if: failure() that redeploys the previous task definition revision',
    },
  },
  check(model, report) {
    if (hasCircuitBreakerRollback(model.infra, 0)) return;
    for (const { workflow, job, activity } of deployJobs(model, ['ecs-deploy'])) {
      // Preview, ephemeral and staging deploys are where failures are meant to be found.
      if (isNonProduction(workflow, job)) continue;
      const hasRollback = workflow.jobs.some(
        (j) =>
          j.steps.some((s) => s.activities.some((a) => a.kind === 'rollback')) ||
          /rollback|roll-back/i.test(`${j.id.value} ${j.name?.value ?? ''}`) ||
          (isFailureOnly(j.if?.value) && j.steps.some((s) => s.activities.some((a) => a.kind === 'ecs-deploy'))),
      );
      if (hasRollback) continue;
      report('missing', activity.loc, {}, { key: `${workflow.path}:${job.id.value}` });
    }
  },
});

/**
 * The infrastructure model belongs to the infra discoverers; whatever its shape, a circuit breaker
 * with rollback shows up as an object under a key naming the circuit breaker with `rollback: true`.
 */
function hasCircuitBreakerRollback(value: unknown, depth: number): boolean {
  if (depth > 12 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => hasCircuitBreakerRollback(v, depth + 1));
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (/circuit_?breaker/i.test(key) && v && typeof v === 'object') {
      const inner = (v as Record<string, unknown>).value ?? v;
      const rollback = (inner as Record<string, unknown>).rollback ?? (inner as Record<string, unknown>).Rollback;
      const flag = rollback && typeof rollback === 'object' && 'value' in rollback ? (rollback as { value: unknown }).value : rollback;
      if (flag === true || flag === 'true') return true;
    }
    if (hasCircuitBreakerRollback(v, depth + 1)) return true;
  }
  return false;
}
