import type { Workflow, WorkflowJob } from '../../model/workflow.js';
import { defineRule } from '../rule.js';
import { deployJobs, dependentJobs, deployedServiceName, isNonProduction, matchingEcsServices } from './_pipeline.js';

/** Services named for background work: queue workers and schedulers answer no HTTP request from outside. */
const BACKGROUND_SERVICE = /worker|queue|consumer|cron|scheduler|processor|listener/i;

export default defineRule({
  id: 'ci/smoke-test-missing',
  severity: 'medium',
  title: 'ECS deploy without a smoke test of the deployed service',
  messages: {
    missing: {
      message: 'the deploy ends at "{{last}}" with no HTTP check of the deployed service afterwards: "services-stable" only means tasks passed their health check, not that the release serves real requests through the load balancer',
      fix: 'add a step after the deploy that requests the public health/readiness URLs and fails on a non-2xx answer, e.g. curl --fail --retry 5 --retry-all-errors https://<service>/health/ready',
    },
    noWait: {
      message: 'the deploy ends at "{{last}}": nothing waits for the new tasks to become stable or requests the service afterwards, so the workflow is green while the release may still be crashing or failing its health checks',
      fix: 'wait for the rollout (`wait-for-service-stability: true` on amazon-ecs-deploy-task-definition, or `aws ecs wait services-stable`), then request the public health URL and fail on a non-2xx answer, e.g. curl --fail --retry 5 --retry-all-errors https://<service>/health/ready',
    },
  },
  check(model, report) {
    for (const { workflow, job, step, activity } of deployJobs(model, ['ecs-deploy'])) {
      // Preview, ephemeral and staging deploys are where failures are meant to be found.
      if (isNonProduction(workflow, job)) continue;
      const index = job.steps.indexOf(step);
      const after = job.steps.slice(index + 1);
      const hasSmoke = (steps: WorkflowJob['steps']) => steps.some((s) => s.activities.some((a) => a.kind === 'smoke-test'));
      if (hasSmoke(after)) continue;
      if (laterJobs(model.workflows, workflow, job).some((j) => hasSmoke(j.steps))) continue;
      // An HTTP check needs an HTTP service: one behind a load balancer, or with a public URL.
      const service = deployedServiceName(workflow, job, step);
      const defined = service.value ? matchingEcsServices(model, service.value) : { services: [], exact: false };
      const balanced = defined.services.some((s) => s.loadBalancers.length > 0 || s.targetGroups.length > 0 || !s.loadBalancersComplete);
      if (defined.exact && !balanced) continue;
      const publicUrl = (defined.exact && balanced) || !!job.environmentUrl;
      if (!publicUrl && BACKGROUND_SERVICE.test(`${service.written ?? ''} ${job.id.value} ${job.name?.value ?? ''}`)) continue;
      // Point at the last deploy or wait line of the job: that is where the check belongs.
      let last = activity;
      let waits = false;
      for (const s of job.steps.slice(index)) {
        for (const a of s.activities) {
          if (a.kind === 'ecs-deploy' || a.kind === 'ecs-wait') last = a;
          if (a.kind === 'ecs-wait') waits = true;
        }
      }
      const assumes = publicUrl ? undefined : `"${service.value ?? service.written ?? job.id.value}" serves HTTP behind a load balancer or at a public URL (its service definition is not in the repository)`;
      // After services-stable behind target-group health checks, a curl of /health mostly repeats what the load balancer checked.
      report(waits ? 'missing' : 'noWait', last.loc, { last: last.text }, { key: `${workflow.path}:${job.id.value}`, severity: waits ? 'low' : 'medium', ...(assumes ? { assumes } : {}) });
    }
  },
});

/** Jobs that run after this one: its dependents, and for a reusable workflow the dependents of the jobs that call it. */
function laterJobs(workflows: Workflow[], workflow: Workflow, job: WorkflowJob): WorkflowJob[] {
  const out = dependentJobs(workflow, job);
  for (const caller of workflows) {
    for (const j of caller.jobs) {
      if (j.uses && j.uses.value.replace(/^\.\//, '').split('@')[0] === workflow.path) out.push(...dependentJobs(caller, j));
    }
  }
  return out;
}
