import type { Loc, Located } from './location.js';
import type { InstallCommand, ShellCommand } from './shell.js';
import type { PackageManager } from './packages.js';

/**
 * GitHub Actions workflows. Filled by discover/workflows.ts. `Workflow.jobs[].steps[]` with `uses`,
 * `with`, `run` and `loc` is the stable core other areas rely on; the rest is what the ci/* rules need.
 */
export interface Workflow {
  path: string;
  name?: Located<string>;
  /** Events under `on:` (`push`, `pull_request`, `workflow_call`, …), each at its own line. */
  triggers: Located<string>[];
  /** Branch filters of `on.push.branches`, when written. */
  pushBranches: Located<string>[];
  /** `on.push.branches-ignore`, when written. */
  pushBranchesIgnore: Located<string>[];
  /** `on.push.tags` / `tags-ignore`: with tags and no branch filter, a push of a branch does not start the workflow. */
  pushTags: Located<string>[];
  /** `paths` filters of `on.pull_request`: only pull requests changing such files start the workflow. */
  pullRequestPaths: Located<string>[];
  /** `paths-ignore` filters of `on.pull_request`: pull requests changing only such files do not start it. */
  pullRequestPathsIgnore: Located<string>[];
  permissions?: Permissions;
  concurrency?: Located<string>;
  env: Map<string, Located<string>>;
  /** `defaults.run.working-directory` */
  workingDirectory?: Located<string>;
  jobs: WorkflowJob[];
  /** Line 1 of the file, for findings about the workflow as a whole. */
  loc: Loc;
}

/** `permissions:` as a preset (`read-all`, `write-all`, `{}`) or per scope (`contents: read`). */
export interface Permissions {
  preset?: string;
  scopes: Map<string, Located<string>>;
  loc: Loc;
}

export interface WorkflowJob {
  id: Located<string>;
  name?: Located<string>;
  steps: WorkflowStep[];
  loc: Loc;
  runsOn?: Located<string>;
  needs: Located<string>[];
  if?: Located<string>;
  /** `environment:` name (string form or `environment.name`). */
  environment?: Located<string>;
  environmentUrl?: Located<string>;
  permissions?: Permissions;
  concurrency?: Located<string>;
  /** Reusable workflow called by this job (`uses:` at job level). */
  uses?: Located<string>;
  /** Inputs passed to a reusable workflow (`with:` at job level). */
  with: Map<string, Located<string>>;
  /** `secrets: inherit` or the secrets passed to a reusable workflow. */
  secrets?: Located<string>;
  continueOnError?: Located<string>;
  /** The comment written above `continue-on-error:` or at the end of its line: the maintainers' reason for it. */
  continueOnErrorNote?: string;
  env: Map<string, Located<string>>;
  /** `defaults.run.working-directory` of the job. */
  workingDirectory?: Located<string>;
  /** `strategy.matrix` keys whose values are a literal list of scalars. */
  matrix: Map<string, Located<string>[]>;
  /** The combinations the matrix runs (with `include`/`exclude` applied); undefined when not literal. */
  matrixRows?: Record<string, string>[];
  /** `services:` containers of the job (postgres for tests, …), by id, with their image. */
  services: Map<string, Located<string>>;
  /** `outputs:` of the job (what `needs.<job>.outputs.<name>` reads in later jobs), each at the line of its key. */
  outputs: Map<string, Located<string>>;
}

export interface WorkflowStep {
  /** `uses: owner/action@ref` */
  uses?: Located<string>;
  /** `with:` inputs, by key, each at its own line. */
  with: Map<string, Located<string>>;
  /** `run:` script; its loc is the line of the `run:` key (the script starts on the next line for block scalars). */
  run?: Located<string>;
  loc: Loc;
  id?: Located<string>;
  name?: Located<string>;
  if?: Located<string>;
  /** The step's own `working-directory:`. */
  workingDirectory?: Located<string>;
  continueOnError?: Located<string>;
  /** The comment written above `continue-on-error:` or at the end of its line: the maintainers' reason for it. */
  continueOnErrorNote?: string;
  env: Map<string, Located<string>>;
  /** Repo-relative folder the `run:` script starts in ('' for the root); undefined when it depends on an expression. */
  cwd?: string;
  /** The `run:` script as simple commands, each at the exact line of the file it is written on. */
  commands: StepCommand[];
  /** What the step does, recognised from its action or its commands. */
  activities: StepActivity[];
  dockerBuilds: DockerBuildStep[];
  installs: { command: InstallCommand; loc: Loc }[];
  scripts: ScriptRun[];
}

export interface StepCommand {
  argv: string[];
  /** The command's words joined, for messages. */
  text: string;
  loc: Loc;
  /** Operator joining this command to the next (`||`, `&&`, …). */
  next?: ShellCommand['next'];
  /** Index of this command in the step's `commands`. */
  index: number;
}

export type StepActivityKind =
  | 'checkout'
  | 'setup-node'
  | 'install'
  | 'script'
  | 'docker-build'
  | 'docker-push'
  | 'registry-login'
  | 'audit'
  | 'image-scan'
  | 'aws-credentials'
  | 'ecs-render'
  | 'ecs-deploy'
  | 'ecs-wait'
  | 'iac-deploy'
  | 'smoke-test'
  | 'rollback'
  | 'migration-check'
  | 'migration-run'
  | 'lint'
  | 'test'
  | 'build';

export interface StepActivity {
  kind: StepActivityKind;
  /** The line that shows it: the `uses:` line of an action, or the command's own line in a script. */
  loc: Loc;
  /** What was written (action or command), for messages. */
  text: string;
  /**
   * For what a local composite action does: the `if:` of the action's own step it comes from. Such a
   * step runs only when that holds (a cache-miss fallback that builds), not on every run of the job.
   */
  condition?: string;
}

/** An image build: docker/build-push-action, `docker build`, `docker buildx build`. */
export interface DockerBuildStep {
  via: 'build-push-action' | 'docker build' | 'docker buildx build';
  /** The Dockerfile as written (`file:` / `-f`). */
  file?: Located<string>;
  /** Repo-relative Dockerfile paths this build uses (several when a matrix expands); empty when an expression hides it. */
  dockerfilePaths: string[];
  /** The context as written (`context:` / the positional argument). */
  context?: Located<string>;
  /** Repo-relative context folders ('' for the root); empty when an expression hides it. */
  contextDirs: string[];
  /** The (Dockerfile, context) pairs built, one per matrix combination. */
  targets: { dockerfilePath: string; contextDir: string }[];
  tags: Located<string>[];
  /** Pushes the image (`push: true`, `--push`, or a later `docker push` in the same job). */
  push: boolean;
  platforms?: Located<string>;
  loc: Loc;
}

/** A package script run by a step: `npm run lint`, `pnpm test`, `yarn build`. */
export interface ScriptRun {
  manager: PackageManager;
  script: string;
  ifPresent: boolean;
  /** Runs in every workspace (`--workspaces`, `-ws`, `-r`, `turbo`): `--if-present` is expected there. */
  allWorkspaces: boolean;
  text: string;
  loc: Loc;
}

export function stepDoes(step: WorkflowStep, kind: StepActivityKind): StepActivity | undefined {
  return step.activities.find((a) => a.kind === kind);
}

export function jobDoes(job: WorkflowJob, kind: StepActivityKind): StepActivity | undefined {
  for (const step of job.steps) {
    const found = stepDoes(step, kind);
    if (found) return found;
  }
  return undefined;
}

export function workflowDoes(workflow: Workflow, kind: StepActivityKind): StepActivity | undefined {
  for (const job of workflow.jobs) {
    const found = jobDoes(job, kind);
    if (found) return found;
  }
  return undefined;
}

export function hasTrigger(workflow: Workflow, ...events: string[]): boolean {
  return workflow.triggers.some((t) => events.includes(t.value));
}

/**
 * An input written literally or through `${{ env.X }}` whose `env:` value (step, job, then workflow)
 * is itself literal, as the AWS starter workflow writes `task-definition: ${{ env.ECS_TASK_DEFINITION }}`.
 * Undefined when another expression remains or a script rewrites the variable through $GITHUB_ENV.
 */
export function literalValue(workflow: Workflow, job: WorkflowJob, step: WorkflowStep, value: string): string | undefined {
  const out = value.replace(/\$\{\{\s*env\.([\w-]+)\s*\}\}/g, (whole, name: string) => {
    const v = step.env.get(name) ?? job.env.get(name) ?? workflow.env.get(name);
    if (!v || v.value.includes('${{')) return whole;
    const rewritten = workflow.jobs.some((j) => j.steps.some((s) => s.run?.value.includes('GITHUB_ENV') && new RegExp(`\\b${name}=`).test(s.run.value)));
    return rewritten ? whole : v.value;
  });
  return out.includes('${{') ? undefined : out;
}
