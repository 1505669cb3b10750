export { literalValue } from '../../model/workflow.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { Permissions, StepActivity, StepCommand, StepActivityKind, Workflow, WorkflowJob, WorkflowStep } from '../../model/workflow.js';

/** Facts about the repository's pipeline that several ci/* rules share. They read the model only. */

export interface StepRef {
  workflow: Workflow;
  job: WorkflowJob;
  step: WorkflowStep;
}

export function* allSteps(model: DeploymentModel): Generator<StepRef> {
  for (const workflow of model.workflows) for (const job of workflow.jobs) for (const step of job.steps) yield { workflow, job, step };
}

export function findActivity(model: DeploymentModel, ...kinds: StepActivityKind[]): (StepRef & { activity: StepActivity }) | undefined {
  for (const ref of allSteps(model)) {
    const activity = ref.step.activities.find((a) => kinds.includes(a.kind));
    if (activity) return { ...ref, activity };
  }
  return undefined;
}

export function stepActivity(step: WorkflowStep, ...kinds: StepActivityKind[]): StepActivity | undefined {
  return step.activities.find((a) => kinds.includes(a.kind));
}

/** Runs for pull requests (so it gates a change before it merges). */
export function runsOnPullRequests(workflow: Workflow): boolean {
  return workflow.triggers.some((t) => t.value === 'pull_request' || t.value === 'pull_request_target' || t.value === 'merge_group');
}

/**
 * What makes the repository a deployer of container images: a workflow that pushes an image or
 * deploys to ECS. The "missing safety net" rules stay silent without it.
 */
export function deployEvidence(model: DeploymentModel): { loc: Loc; text: string; ref: StepRef } | undefined {
  const deploy = findActivity(model, 'ecs-deploy');
  if (deploy) return { loc: deploy.activity.loc, text: deploy.activity.text, ref: deploy };
  for (const ref of allSteps(model)) {
    const build = ref.step.dockerBuilds.find((b) => b.push);
    if (build) return { loc: build.loc, text: 'docker build and push', ref };
  }
  return undefined;
}

/** Jobs that (transitively) `needs:` this job, in the same workflow. */
export function dependentJobs(workflow: Workflow, job: WorkflowJob): WorkflowJob[] {
  const out: WorkflowJob[] = [];
  const frontier = [job.id.value];
  while (frontier.length) {
    const id = frontier.pop()!;
    for (const j of workflow.jobs) {
      if (out.includes(j) || j === job) continue;
      if (j.needs.some((n) => n.value === id)) {
        out.push(j);
        frontier.push(j.id.value);
      }
    }
  }
  return out;
}

/** Jobs that deploy (ECS, or an AWS/Terraform stack), with the step that does it. */
export function deployJobs(model: DeploymentModel, kinds: StepActivityKind[] = ['ecs-deploy', 'iac-deploy']): { workflow: Workflow; job: WorkflowJob; step: WorkflowStep; activity: StepActivity }[] {
  const out: { workflow: Workflow; job: WorkflowJob; step: WorkflowStep; activity: StepActivity }[] = [];
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      if (isFailureOnly(job.if?.value)) continue;
      for (const step of job.steps) {
        // A step that only runs when something failed is a rollback, not the deploy.
        if (isFailureOnly(step.if?.value)) continue;
        const activity = stepActivity(step, ...kinds);
        if (activity) {
          out.push({ workflow, job, step, activity });
          break;
        }
      }
    }
  }
  return out;
}

/** True for a job (or workflow) that a name, an environment or a condition marks as non-production. */
export function isNonProduction(workflow: Workflow, job: WorkflowJob): boolean {
  if (/prod/i.test(job.environment?.value ?? '')) return false;
  const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/);
  if (words(`${job.id.value} ${job.name?.value ?? ''} ${job.environment?.value ?? ''}`).some((w) => NON_PRODUCTION_WORDS.has(w) || w === 'test' || w === 'pr')) return true;
  // A workflow file called build-and-test.yml may still hold the production deploy: "test" alone does not count there.
  return words(`${workflow.name?.value ?? ''} ${workflow.path}`).some((w) => NON_PRODUCTION_WORDS.has(w));
}

const NON_PRODUCTION_WORDS = new Set(['dev', 'develop', 'development', 'staging', 'stage', 'stg', 'preview', 'review', 'testing', 'qa', 'sandbox', 'demo', 'nightly', 'canary', 'ephemeral']);

/** `if: failure()` (alone or combined): a job or step that runs only when something failed — a rollback or an alert. */
export function isFailureOnly(condition: string | undefined): boolean {
  return !!condition && /failure\(\)/.test(condition) && !/always\(\)/.test(condition);
}


/** The step runs this action (`owner/name@ref`, any ref; names compare case-insensitively). */
export function usesAction(step: WorkflowStep, name: string): boolean {
  return !!step.uses && step.uses.value.split('@')[0].toLowerCase().replace(/\/+$/, '') === name;
}

/**
 * The `permissions:` a job's token gets from the workflow file: the job's own block replaces the
 * workflow's entirely; undefined when neither writes one (the repository default applies).
 */
export function effectivePermissions(workflow: Workflow, job: WorkflowJob): Permissions | undefined {
  return job.permissions ?? workflow.permissions;
}

/** True when the block grants `scope: write` (or `write-all`). */
export function grantsWrite(permissions: Permissions, scope: string): boolean {
  if (permissions.preset !== undefined) return permissions.preset === 'write-all';
  return permissions.scopes.get(scope)?.value === 'write';
}

/** The workflow of this repository a job-level `uses: ./.github/workflows/x.yml` calls. */
export function calledWorkflow(model: DeploymentModel, uses: string): Workflow | undefined {
  if (!uses.startsWith('./')) return undefined;
  const path = uses.replace(/^\.\//, '').split('@')[0];
  return model.workflows.find((w) => w.path === path);
}

/** Jobs this job (transitively) `needs:`: they finish before it starts, in the same run. */
export function upstreamJobs(workflow: Workflow, job: WorkflowJob): WorkflowJob[] {
  const out: WorkflowJob[] = [];
  const frontier = job.needs.map((n) => n.value);
  while (frontier.length) {
    const id = frontier.pop()!;
    const found = workflow.jobs.find((j) => j.id.value === id);
    if (!found || found === job || out.includes(found)) continue;
    out.push(found);
    frontier.push(...found.needs.map((n) => n.value));
  }
  return out;
}

/**
 * A `run:` script of the workflow names the file (`aws ecs describe-task-definition > td.json`,
 * `jq … td.json`, `envsubst < td.tpl > td.json`): CI writes or edits it, so the committed copy is
 * not what later steps read.
 */
export function workflowTouchesFile(workflow: Workflow, file: string, except?: (command: StepCommand) => boolean): boolean {
  const base = file.split('/').pop()!;
  for (const job of workflow.jobs) {
    for (const step of job.steps) {
      if (!step.run?.value.includes(base)) continue;
      const naming = step.commands.filter((c) => c.argv.some((w) => w.includes(base)));
      // Named somewhere no command word shows (a heredoc, a quoted program): assume it is written.
      if (naming.length === 0 || naming.some((c) => !except?.(c))) return true;
    }
  }
  return false;
}

