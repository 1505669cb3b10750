import type { DeploymentModel } from '../../model/index.js';
import type { Workflow } from '../../model/workflow.js';
import { defineRule } from '../rule.js';
import { deployJobs, deployedServiceName, isNonProduction, readsSecrets } from './_pipeline.js';

export default defineRule({
  id: 'ci/unprotected-production',
  severity: 'medium',
  title: 'Production deploy job without environment or concurrency',
  messages: {
    noEnvironment: {
      message: 'job "{{job}}" deploys ("{{deploy}}") without `environment:`: no required reviewers, no branch restriction, and production secrets are not scoped to it',
      fix: 'add `environment: production` (with protection rules in the repository settings) to this job, and move its secrets into that environment',
    },
    noEnvironmentOidc: {
      message: 'job "{{job}}" deploys ("{{deploy}}") without `environment:`: no reviewer approves a production deploy; it reads no repository secret (it assumes an AWS role through OIDC), so who may deploy rests on the role\'s trust policy alone',
      fix: 'restrict the role\'s trust policy to the production branch or environment (`token.actions.githubusercontent.com:sub` = `repo:<owner>/<repo>:ref:refs/heads/main` or `…:environment:production`), and add `environment: production` to this job if deploys need an approval',
    },
    noConcurrency: {
      message: 'job "{{job}}" deploys ("{{deploy}}") with no `concurrency:` on the job or workflow{{race}}',
      fix: 'add `concurrency: { group: {{group}}, cancel-in-progress: false }` to the job (or the workflow){{note}}',
    },
  },
  check(model, report) {
    for (const { workflow, job, step, activity } of deployJobs(model)) {
      if (isNonProduction(workflow, job)) continue;
      const triggers = workflow.triggers.map((t) => t.value);
      if (triggers.length > 0 && triggers.every((t) => t.startsWith('pull_request'))) continue;
      const data = { job: job.id.value, deploy: activity.text };
      if (!job.environment) {
        // Without a repository secret there is nothing for an environment to scope; an approval gate is all it would add.
        if (readsSecrets(job)) report('noEnvironment', job.id.loc, data, { key: `env:${job.id.value}` });
        else report('noEnvironmentOidc', job.id.loc, data, { key: `env:${job.id.value}`, severity: 'low' });
      }
      const callers = callersOf(model, workflow);
      const callerConcurrency = callers.some(({ w, j }) => w.concurrency || j.concurrency);
      if (job.concurrency || workflow.concurrency || callerConcurrency) continue;
      // Another deploy workflow's static group: sharing it queues this deploy behind that one.
      const shared = deployJobs(model)
        .filter((d) => d.workflow !== workflow && !isNonProduction(d.workflow, d.job))
        .map((d) => ({ path: d.workflow.path, group: (d.job.concurrency ?? d.workflow.concurrency)?.value }))
        .find((d) => d.group && !d.group.includes('${{'));
      const manual = manualOnly(model, workflow);
      const service = deployedServiceName(workflow, job, step).written;
      const keyed = service && /\$\{\{\s*(matrix|inputs)\./.test(service) ? `deploy-${service}` : undefined;
      const group = shared?.group ?? keyed ?? 'deploy-production';
      const race = manual
        ? shared
          ? `: started by hand, it can run while a deploy of ${shared.path} (group "${shared.group}") is in flight and leave the older release live`
          : ': it is started by hand, so two runs overlap only if two people start it at once, and no other deploy workflow has a group to share'
        : ': two pushes can deploy at the same time and the older build may finish last';
      // A reusable deploy runs for several services and environments: a fixed group would make them all wait on each other.
      const note = shared
        ? `, the group ${shared.path} already uses, so the two never overlap`
        : onlyCalled(workflow)
          ? keyed
            ? '; this workflow is called for several environments, so add the input that names the environment to the group (e.g. `${{ inputs.environment }}`)'
            : '; this workflow is called for several services or environments, so key the group by the inputs that name them (e.g. `deploy-${{ inputs.environment }}-${{ inputs.service }}`) or unrelated deploys will wait on each other'
          : '';
      report('noConcurrency', job.id.loc, { ...data, race, group, note }, { key: `concurrency:${job.id.value}`, ...(manual && !shared ? { severity: 'low' } : {}) });
    }
  },
});

function callersOf(model: DeploymentModel, workflow: Workflow) {
  return model.workflows.flatMap((w) => w.jobs.filter((j) => j.uses && j.uses.value.replace(/^\.\//, '').split('@')[0] === workflow.path).map((j) => ({ w, j })));
}

function onlyCalled(workflow: Workflow): boolean {
  return workflow.triggers.length > 0 && workflow.triggers.every((t) => t.value === 'workflow_call');
}

/** Started only by a person (workflow_dispatch), or only called by workflows that are. */
function manualOnly(model: DeploymentModel, workflow: Workflow, depth = 0): boolean {
  const own = workflow.triggers.map((t) => t.value).filter((t) => t !== 'workflow_call');
  if (own.some((t) => t !== 'workflow_dispatch')) return false;
  if (!workflow.triggers.some((t) => t.value === 'workflow_call')) return own.length > 0;
  const callers = callersOf(model, workflow);
  return depth < 3 && callers.length > 0 && callers.every(({ w }) => manualOnly(model, w, depth + 1));
}
