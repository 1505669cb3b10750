import type { Workflow, WorkflowJob } from '../../model/workflow.js';
import { defineRule } from '../rule.js';
import { deployJobs, dependentJobs, isNonProduction } from './_pipeline.js';

export default defineRule({
  id: 'ci/smoke-test-missing',
  severity: 'medium',
  title: 'ECS deploy without a smoke test of the deployed service',
  messages: {
    missing: {
      message: 'the deploy ends at "{{last}}" with no HTTP check of the deployed service afterwards: "services-stable" only means tasks passed their health check, not that the release serves real requests',
      fix: 'add a step after the deploy that requests the public health/readiness URLs and fails on a non-2xx answer, e.g. curl --fail --retry 5 --retry-all-errors https://<service>/health/ready',
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
      // Point at the last deploy or wait line of the job: that is where the check belongs.
      let last = activity;
      for (const s of job.steps.slice(index)) for (const a of s.activities) if (a.kind === 'ecs-deploy' || a.kind === 'ecs-wait') last = a;
      report('missing', last.loc, { last: last.text }, { key: `${workflow.path}:${job.id.value}` });
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
