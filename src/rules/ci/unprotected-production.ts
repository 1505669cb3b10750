import { defineRule } from '../rule.js';
import { deployJobs, isNonProduction } from './_pipeline.js';

export default defineRule({
  id: 'ci/unprotected-production',
  severity: 'medium',
  title: 'Production deploy job without environment or concurrency',
  messages: {
    noEnvironment: {
      message: 'job "{{job}}" deploys ("{{deploy}}") without `environment:`: no required reviewers, no branch restriction, and production secrets are not scoped to it',
      fix: 'add `environment: production` (with protection rules in the repository settings) to this job',
    },
    noConcurrency: {
      message: 'job "{{job}}" deploys ("{{deploy}}") with no `concurrency:` on the job or workflow: two pushes can deploy at the same time and the older build may finish last',
      fix: 'add `concurrency: { group: deploy-production, cancel-in-progress: false }` to the job (or the workflow)',
    },
  },
  check(model, report) {
    for (const { workflow, job, activity } of deployJobs(model)) {
      if (isNonProduction(workflow, job)) continue;
      const triggers = workflow.triggers.map((t) => t.value);
      if (triggers.length > 0 && triggers.every((t) => t.startsWith('pull_request'))) continue;
      const data = { job: job.id.value, deploy: activity.text };
      if (!job.environment) report('noEnvironment', job.id.loc, data, { key: `env:${job.id.value}` });
      const callers = model.workflows.flatMap((w) => w.jobs.filter((j) => j.uses && j.uses.value.replace(/^\.\//, '').split('@')[0] === workflow.path).map((j) => ({ w, j })));
      const callerConcurrency = callers.some(({ w, j }) => w.concurrency || j.concurrency);
      if (!job.concurrency && !workflow.concurrency && !callerConcurrency) report('noConcurrency', job.id.loc, data, { key: `concurrency:${job.id.value}` });
    }
  },
});
