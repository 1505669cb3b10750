export { literalValue } from '../../model/workflow.js';
import { posix } from 'node:path';
import { SKIPPED_DIRS, normalize } from '../../discover/files.js';
import type { DeploymentModel } from '../../model/index.js';
import { isUnresolved, known, type EcsService } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { literalValue, type DockerBuildStep, type Permissions, type StepActivity, type StepCommand, type StepActivityKind, type Workflow, type WorkflowJob, type WorkflowStep } from '../../model/workflow.js';

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
 * Runs before a change reaches the default branch: on pull requests, or on pushes to other
 * branches (`branches: [feature-*]`, `branches-ignore: [main]`, or every branch when no filter is
 * written). The default branch is taken to be main or master.
 */
export function runsBeforeMerge(workflow: Workflow, job?: WorkflowJob, step?: WorkflowStep): boolean {
  if (runsOnPullRequests(workflow)) return true;
  if (!workflow.triggers.some((t) => t.value === 'push')) return false;
  // `if: github.ref == 'refs/heads/main'` on the job or step: only the default branch (or a tag) runs it.
  if ([job?.if?.value, step?.if?.value].some((c) => c !== undefined && /github\.ref\s*==|refs\/heads\/(main|master)\b|refs\/tags\/|is_default_branch|github\.ref_name\s*==/.test(c))) return false;
  const branches = workflow.pushBranches.map((b) => b.value);
  const ignored = workflow.pushBranchesIgnore.map((b) => b.value);
  // Only tags written: a branch push does not start it.
  if (branches.length === 0 && ignored.length === 0) return workflow.pushTags.length === 0;
  if (ignored.length > 0) return true;
  return branches.some((b) => !b.startsWith('!') && !DEFAULT_BRANCHES.has(b));
}

const DEFAULT_BRANCHES = new Set(['main', 'master']);

/**
 * What makes the repository a deployer of container images: a workflow that pushes an image or
 * deploys to ECS. The "missing safety net" rules stay silent without it. A deploy or push of an
 * abandoned workflow (its job builds a Dockerfile the repository has nowhere) is not evidence.
 */
export function deployEvidence(model: DeploymentModel): { loc: Loc; text: string; ref: StepRef; kind: 'deploy' | 'push' } | undefined {
  for (const ref of allSteps(model)) {
    const activity = stepActivity(ref.step, 'ecs-deploy');
    if (activity && !unreachable(model, ref.workflow, ref.job, ref.step)) return { loc: activity.loc, text: activity.text, ref, kind: 'deploy' };
  }
  for (const ref of allSteps(model)) {
    const build = ref.step.dockerBuilds.find((b) => b.push && !abandonedDockerfile(model, ref.job, ref.step, b));
    if (build && !unreachable(model, ref.workflow, ref.job, ref.step)) return { loc: build.loc, text: 'docker build and push', ref, kind: 'push' };
  }
  return undefined;
}

/**
 * The Dockerfile a build names when the repository has no file of that name anywhere and no earlier
 * step of the job makes it: the workflow is a template left from another project, every run fails
 * at this build, and ci/path-not-found reports it. A path that is only wrong (the same file name
 * exists in another folder) is a typo in a live pipeline: the build is then not abandoned, and the
 * rest of the pipeline is judged as it will run once the path is fixed. Undefined when the build
 * can run, or when its paths are not known (an expression, another checkout layout).
 */
export function abandonedDockerfile(model: DeploymentModel, job: WorkflowJob, step: WorkflowStep, build: DockerBuildStep): string | undefined {
  const layout = checkoutLayout(job);
  if (layout === 'other' || (layout === 'none' && build.via !== 'build-push-action')) return undefined;
  if (build.dockerfilePaths.length === 0) return undefined;
  const index = job.steps.indexOf(step);
  const earlier = index < 0 ? [] : job.steps.slice(0, index);
  const missing = build.dockerfilePaths.filter(
    (path) => !path.split('/').includes('..') && !model.files.has(path) && model.files.named(posix.basename(path)).length === 0 && !mayBeCreatedBy(earlier, path) && !isGenerated(model, path) && !namedBefore(step, path, build.loc.line),
  );
  return missing.length === build.dockerfilePaths.length ? missing[0] : undefined;
}

/**
 * A step that is never reached: an earlier step of its job, or a job it needs, builds a Dockerfile
 * the repository does not have (see abandonedDockerfile), so every run fails there. Returns the
 * missing Dockerfile and where it is named.
 */
export function unreachable(model: DeploymentModel, workflow: Workflow, job: WorkflowJob, step: WorkflowStep): { path: string; loc: Loc } | undefined {
  const index = job.steps.indexOf(step);
  const before: { job: WorkflowJob; steps: WorkflowStep[] }[] = [
    ...upstreamJobs(workflow, job).map((j) => ({ job: j, steps: j.steps })),
    { job, steps: index < 0 ? [] : job.steps.slice(0, index) },
  ];
  for (const { job: j, steps } of before) {
    for (const s of steps) {
      // A step allowed to fail, or run on a condition, does not stop the job for sure.
      if (s.continueOnError?.value === 'true' || s.if) continue;
      for (const build of s.dockerBuilds) {
        const path = abandonedDockerfile(model, j, s, build);
        if (path) return { path, loc: build.file?.loc ?? build.loc };
      }
    }
  }
  return undefined;
}

/** Where the job's workspace comes from: this repository at the root, another layout, or no checkout. */
export function checkoutLayout(job: WorkflowJob): 'root' | 'other' | 'none' {
  let layout: 'root' | 'other' | 'none' = 'none';
  for (const step of job.steps) {
    if (!step.uses || !/^actions\/checkout@/i.test(step.uses.value)) continue;
    const repository = step.with.get('repository')?.value;
    const path = step.with.get('path')?.value;
    const other = (repository && !repository.includes('github.repository')) || (path && normalize(path) !== '');
    if (other) return 'other';
    layout = 'root';
  }
  return layout;
}

/** Build output, installed dependencies and ignored files are made by the pipeline, not committed. */
export function isGenerated(model: DeploymentModel, path: string): boolean {
  if (path.split('/').some((seg) => SKIPPED_DIRS.has(seg))) return true;
  return model.files.isGitignored(path);
}

/** An earlier step that writes or fetches the path (names it, downloads artifacts, restores a cache holding it, generates files). */
export function mayBeCreatedBy(earlier: WorkflowStep[], path: string): boolean {
  const base = posix.basename(path);
  const top = path.split('/')[0];
  for (const step of earlier) {
    // Another build of the same Dockerfile does not create it.
    if (step.dockerBuilds.length > 0) continue;
    if (step.uses && /download-artifact/i.test(step.uses.value)) return true;
    // A cache restores only its own `path:` entries: `/tmp/.buildx-cache` does not put files in the repository.
    if (step.uses && /(^|\/)cache(\/restore)?@/i.test(step.uses.value)) {
      const restored = (step.with.get('path')?.value ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      if (restored.some((r) => restoresInto(r, path))) return true;
      continue;
    }
    if (step.run && (step.run.value.includes(base) || new RegExp(`(^|[\\s/'"])${escapeRe(top)}(/|\\s|$)`).test(step.run.value))) return true;
    for (const v of step.with.values()) if (v.value.includes(base)) return true;
  }
  return false;
}

/** A cache `path:` entry that can hold the repository path: relative, and the path itself, a folder above it, or a pattern. */
function restoresInto(entry: string, path: string): boolean {
  if (entry.startsWith('!') || entry.startsWith('/') || entry.startsWith('~')) return false;
  if (/[*?[{$]/.test(entry)) return true;
  const dir = normalize(entry);
  return dir === '' || path === dir || path.startsWith(dir + '/');
}

/** A command earlier in the same script names the path (`cp x build.Dockerfile && docker build -f build.Dockerfile .`). */
export function namedBefore(step: WorkflowStep, path: string, line: number): boolean {
  const base = posix.basename(path);
  return step.commands.some((c) => c.loc.line < line && c.argv.slice(1).some((w) => w.includes(base)));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The ECS service a deploy step names (`service:` of the deploy action, `--service` of the CLI), when it is literal. */
export function deployedServiceName(workflow: Workflow, job: WorkflowJob, step: WorkflowStep): { value?: string; written?: string } {
  let written = step.with.get('service')?.value;
  if (written === undefined) {
    for (const c of step.commands) {
      const i = c.argv.findIndex((w) => w === '--service' || w === '--services');
      if (i >= 0 && c.argv[i + 1]) {
        written = c.argv[i + 1];
        break;
      }
      const eq = c.argv.find((w) => w.startsWith('--service='));
      if (eq) {
        written = eq.slice('--service='.length);
        break;
      }
    }
  }
  if (written === undefined) return {};
  return { value: literalValue(workflow, job, step, written), written };
}

/**
 * The ECS services of the repository's infrastructure code that a deploy names, by service name or
 * resource name. `exact` is false when none has that name and the candidates are those whose name is
 * an expression (`"${var.app}-api"`), which may be it. A service with no name written gets one made
 * up by CloudFormation, which a workflow cannot name: it is not a candidate.
 */
export function matchingEcsServices(model: DeploymentModel, name: string): { services: EcsService[]; exact: boolean } {
  const exact = model.infra.ecsServices.filter((s) => known(s.name) === name || s.resourceName === name);
  if (exact.length > 0) return { services: exact, exact: true };
  return { services: model.infra.ecsServices.filter((s) => s.name !== undefined && isUnresolved(s.name.value)), exact: false };
}

/** Secrets the job reads (`secrets.X` in its env, step env or inputs, or `secrets: inherit`), other than the GITHUB_TOKEN. */
export function readsSecrets(job: WorkflowJob): boolean {
  const values = [...job.env.values(), ...job.with.values(), ...job.steps.flatMap((s) => [...s.env.values(), ...s.with.values(), ...(s.run ? [s.run] : [])])];
  if (job.secrets) return true;
  return values.some((v) => /secrets\.(?!GITHUB_TOKEN\b)[\w-]+/.test(v.value));
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

/**
 * Jobs that deploy (ECS, or an AWS/Terraform stack), with the step that does it. A deploy that is
 * never reached (the job first builds a Dockerfile the repository has nowhere) is left out: its
 * hygiene does not matter until the build is fixed, and ci/path-not-found reports the build.
 */
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
          if (!unreachable(model, workflow, job, step)) out.push({ workflow, job, step, activity });
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

