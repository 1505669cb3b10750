import type { DeploymentModel } from '../../model/index.js';
import type { Located } from '../../model/location.js';
import type { StepActivityKind, Workflow, WorkflowJob } from '../../model/workflow.js';
import { defineRule, type RelatedLocation, type Report } from '../rule.js';
import { calledWorkflow, stepActivity } from './_pipeline.js';

/** What a job does that puts the token next to the project's code or the cloud: checkout, install, build, push, deploy. */
const REAL_WORK: StepActivityKind[] = ['checkout', 'install', 'script', 'build', 'test', 'lint', 'docker-build', 'docker-push', 'registry-login', 'aws-credentials', 'ecs-render', 'ecs-deploy', 'iac-deploy', 'migration-run'];
/** Holding cloud credentials or deploying: a write token there is the exposure this rule is about. */
const CLOUD: StepActivityKind[] = ['aws-credentials', 'ecs-deploy', 'iac-deploy'];

interface OpenJobs {
  workflow: Workflow;
  jobs: WorkflowJob[];
  callers: { workflow: Workflow; job: WorkflowJob }[];
}

export default defineRule({
  id: 'ci/permissions',
  severity: 'medium',
  title: 'Deploy workflow without least-privilege permissions',
  security: true,
  messages: {
    noPermissions: {
      message: '{{workflow}} {{does}} but sets no `permissions:`, and {{jobs}} ({{work}}) {{declare}} none: {{their}} GITHUB_TOKEN gets the repository default, which is read-write on older repositories and organisations',
      fix: 'declare `permissions: { contents: read }` at the top of the workflow and grant more per job only where needed (e.g. `id-token: write` for OIDC, `packages: write` for GHCR)',
    },
    calleeNoPermissions: {
      message: '{{caller}} calls {{workflow}} from {{callerJobs}} without `permissions:`, and {{jobs}} there ({{work}}) {{declare}} none either: {{their}} GITHUB_TOKEN gets the repository default, which is read-write on older repositories and organisations',
      fix: 'declare `permissions: { contents: read }` on those jobs in {{workflow}} (a called workflow can narrow the caller\'s token, never widen it, so this one change covers every caller); grant more per job only where needed',
    },
    writeAll: {
      message: '`permissions: {{preset}}` gives every step of {{workflow}} write access to the whole repository',
      fix: 'list only the scopes the jobs need, e.g. `contents: read` and `id-token: write`',
    },
    longLivedKeys: {
      message: '{{what}} authenticates to AWS with a long-lived access key ({{value}}): a leaked key works from anywhere until someone rotates it',
      fix: 'use GitHub OIDC: aws-actions/configure-aws-credentials with `role-to-assume: arn:aws:iam::<account>:role/<deploy-role>` and `permissions: id-token: write`; then delete the IAM user key',
    },
  },
  check(model, report) {
    const calleeGaps = new Map<string, OpenJobs>();
    for (const workflow of model.workflows) {
      const deploys = workflowDeploys(model, workflow);
      for (const permissions of [workflow.permissions, ...workflow.jobs.map((j) => j.permissions)]) {
        if (deploys && permissions?.preset === 'write-all') report('writeAll', permissions.loc, { preset: permissions.preset, workflow: workflow.path });
      }
      // A workflow only ever called by others gets its token from the caller: its gaps are found through the callers.
      if (deploys && !workflow.permissions && !onlyCalled(workflow)) {
        const open: WorkflowJob[] = [];
        for (const job of workflow.jobs) {
          if (job.permissions) continue;
          if (!job.uses) {
            if (doesRealWork(job)) open.push(job);
            continue;
          }
          // A job that calls a local reusable workflow: the called jobs' own `permissions:` narrow its token.
          collectCalleeGaps(model, workflow, job, calleeGaps, 0);
        }
        if (open.length > 0) {
          const severity = open.some(handlesCloud) ? 'medium' : 'low';
          report('noPermissions', workflow.name?.loc ?? workflow.loc, { workflow: workflow.path, does: describeWorkflow(model, workflow), ...jobsPhrase(open), work: describeWork(open) }, { key: 'no-permissions', severity });
        }
      }
      reportLongLivedKeys(workflow, report);
    }
    // The fix goes in the called workflow, once for all its callers: one finding per called workflow, each caller a place of it.
    for (const gap of calleeGaps.values()) {
      const severity = gap.jobs.some(handlesCloud) ? 'medium' : 'low';
      const related: RelatedLocation[] = gap.jobs.map((j) => ({ file: gap.workflow.path, line: j.id.loc.line, message: `job "${j.id.value}" declares no permissions` }));
      for (const caller of unique(gap.callers.map((c) => c.workflow))) {
        const jobs = gap.callers.filter((c) => c.workflow === caller).map((c) => c.job.id.value);
        report(
          'calleeNoPermissions',
          caller.name?.loc ?? caller.loc,
          { workflow: gap.workflow.path, caller: caller.path, callerJobs: quoted(jobs), ...jobsPhrase(gap.jobs), work: describeWork(gap.jobs) },
          { key: `callee-no-permissions:${gap.workflow.path}`, severity, related, group: { key: gap.workflow.path, label: caller.path } },
        );
      }
    }
  },
});

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function onlyCalled(workflow: Workflow): boolean {
  return workflow.triggers.length > 0 && workflow.triggers.every((t) => t.value === 'workflow_call');
}

/** The workflow, or a local workflow it calls, pushes images, holds AWS credentials or deploys. */
function workflowDeploys(model: DeploymentModel, workflow: Workflow, depth = 0): boolean {
  return workflow.jobs.some((j) => {
    if (j.steps.some((s) => stepActivity(s, 'aws-credentials', 'ecs-deploy', 'iac-deploy', 'docker-push', 'registry-login'))) return true;
    const callee = j.uses ? calledWorkflow(model, j.uses.value) : undefined;
    return !!callee && depth < 3 && workflowDeploys(model, callee, depth + 1);
  });
}

/**
 * Jobs of a called workflow that run with the caller's default token: neither the caller job, the
 * called workflow nor the job itself writes `permissions:`. A called workflow outside the
 * repository is not read: its own blocks may narrow the token.
 */
function collectCalleeGaps(model: DeploymentModel, caller: Workflow, callerJob: WorkflowJob, gaps: Map<string, OpenJobs>, depth: number): void {
  const callee = calledWorkflow(model, callerJob.uses!.value);
  if (!callee || callee.permissions || depth > 3) return;
  for (const job of callee.jobs) {
    if (job.permissions) continue;
    if (job.uses) {
      collectCalleeGaps(model, callee, job, gaps, depth + 1);
      continue;
    }
    if (!doesRealWork(job)) continue;
    const gap = gaps.get(callee.path) ?? { workflow: callee, jobs: [], callers: [] };
    if (!gap.jobs.includes(job)) gap.jobs.push(job);
    if (!gap.callers.some((c) => c.job === callerJob)) gap.callers.push({ workflow: caller, job: callerJob });
    gaps.set(callee.path, gap);
  }
}

/**
 * A job that checks out or runs the project's code, builds, pushes or deploys. A job of shell
 * checks on event data, or one notification action (a deployment marker, a webhook), holds nothing
 * a write token adds to.
 */
function doesRealWork(job: WorkflowJob): boolean {
  return job.steps.some((s) => s.activities.some((a) => REAL_WORK.includes(a.kind)) || !!s.uses?.value.startsWith('./'));
}

function handlesCloud(job: WorkflowJob): boolean {
  return job.steps.some((s) => s.activities.some((a) => CLOUD.includes(a.kind)));
}

function describeWorkflow(model: DeploymentModel, workflow: Workflow): string {
  const steps = workflow.jobs.flatMap((j) => (j.uses ? (calledWorkflow(model, j.uses.value)?.jobs.flatMap((cj) => cj.steps) ?? []) : j.steps));
  if (steps.some((s) => stepActivity(s, 'ecs-deploy', 'iac-deploy'))) return 'deploys';
  if (steps.some((s) => stepActivity(s, 'aws-credentials'))) return 'uses AWS credentials';
  return 'pushes images';
}

function describeWork(jobs: WorkflowJob[]): string {
  const does = (kinds: StepActivityKind[]) => jobs.some((j) => j.steps.some((s) => s.activities.some((a) => kinds.includes(a.kind))));
  if (does(['ecs-deploy', 'iac-deploy'])) return 'holding AWS credentials and deploying';
  if (does(['aws-credentials'])) return 'holding AWS credentials';
  if (does(['docker-push', 'registry-login'])) return 'logging in to registries and pushing images';
  return "checking out and running the project's code";
}

function quoted(names: string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

/** `job "deploy" … declares … its` or `jobs "a" and "b" … declare … their`. */
function jobsPhrase(jobs: WorkflowJob[]): { jobs: string; declare: string; their: string } {
  const one = jobs.length === 1;
  return { jobs: `${one ? 'job' : 'jobs'} ${quoted(jobs.map((j) => j.id.value))}`, declare: one ? 'declares' : 'declare', their: one ? 'its' : 'their' };
}

/**
 * Long-lived AWS keys (an IAM user's access key in repository secrets). The same secret used by
 * several steps of one workflow file is one key to replace: one finding, its other uses related.
 */
function reportLongLivedKeys(workflow: Workflow, report: Report<'longLivedKeys'>): void {
  const keyRefs: { what: string; value: Located<string>; job: string }[] = [];
  for (const job of workflow.jobs) {
    for (const step of job.steps) {
      if (step.uses && /^aws-actions\/configure-aws-credentials@/i.test(step.uses.value)) {
        const key = step.with.get('aws-access-key-id');
        if (key && !step.with.has('role-to-assume')) keyRefs.push({ what: 'configure-aws-credentials', value: key, job: job.id.value });
      }
      const envKey = step.env.get('AWS_ACCESS_KEY_ID');
      if (envKey && /secrets\./.test(envKey.value)) keyRefs.push({ what: `step "${step.name?.value ?? step.uses?.value ?? 'run'}"`, value: envKey, job: job.id.value });
    }
    const jobKey = job.env.get('AWS_ACCESS_KEY_ID');
    if (jobKey && /secrets\./.test(jobKey.value)) keyRefs.push({ what: `job "${job.id.value}"`, value: jobKey, job: job.id.value });
  }
  const wfKey = workflow.env.get('AWS_ACCESS_KEY_ID');
  if (wfKey && /secrets\./.test(wfKey.value)) keyRefs.push({ what: workflow.path, value: wfKey, job: '' });
  for (const ref of keyRefs) {
    const secret = ref.value.value.replace(/\s+/g, '');
    report('longLivedKeys', ref.value.loc, { what: ref.what, value: ref.value.value }, { group: { key: `${workflow.path}\u0000${secret}`, ...(ref.job ? { label: `job ${ref.job}` } : {}) } });
  }
}
