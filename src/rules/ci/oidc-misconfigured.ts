import type { Loc } from '../../model/location.js';
import type { Permissions, WorkflowStep } from '../../model/workflow.js';
import { defineRule } from '../rule.js';
import { calledWorkflow, effectivePermissions, grantsWrite, usesAction } from './_pipeline.js';

export default defineRule({
  id: 'ci/oidc-misconfigured',
  severity: 'critical',
  title: 'AWS role assumed with OIDC but the job cannot get an OIDC token',
  security: true,
  messages: {
    notGranted: {
      message:
        'job "{{job}}" assumes {{role}} through OIDC (configure-aws-credentials `role-to-assume`, no access key) but its token has no `id-token: write`: {{evidence}}. The action cannot request the GitHub OIDC token and the deploy stops with "Credentials could not be loaded"',
      fix: 'add `id-token: write` to the `permissions:` that apply to job "{{job}}" ({{where}}), next to what it already grants (e.g. `contents: read`)',
    },
    cappedByCaller: {
      message:
        'job "{{callerJob}}" calls {{callee}}, whose job "{{job}}" assumes {{role}} through OIDC, but the caller grants no `id-token: write`: {{evidence}}. A called workflow can only keep or narrow its caller\'s token permissions, so the OIDC request fails there',
      fix: 'grant `id-token: write` in the `permissions:` of job "{{callerJob}}" (or of {{callerWorkflow}}) as well as in the called workflow',
    },
    repositoryDefault: {
      message:
        'job "{{job}}" assumes {{role}} through OIDC but neither the job nor {{workflow}} sets `permissions:`, so the token gets the repository default, which GitHub documents as `id-token: none` under both the permissive and the restricted setting: the OIDC request fails',
      fix: 'add `permissions: { id-token: write, contents: read }` to job "{{job}}" (or to the top of {{workflow}})',
    },
  },
  check(model, report) {
    for (const workflow of model.workflows) {
      const callers = model.workflows.flatMap((w) => w.jobs.filter((j) => j.uses && calledWorkflow(model, j.uses.value) === workflow).map((job) => ({ workflow: w, job })));
      const reusable = workflow.triggers.some((t) => t.value === 'workflow_call');
      const onlyCalled = reusable && workflow.triggers.every((t) => t.value === 'workflow_call');
      for (const job of workflow.jobs) {
        const step = job.steps.find(assumesRoleWithOidc);
        if (!step) continue;
        const role = step.with.get('role-to-assume')!;
        const roleText = role.value ? `role ${role.value}` : 'a role';
        const own = effectivePermissions(workflow, job);
        if (own && !grantsWrite(own, 'id-token')) {
          const where = job.permissions ? `the job's \`permissions:\` at ${at(own.loc)}` : `the workflow's \`permissions:\` at ${at(own.loc)}`;
          report('notGranted', role.loc, { job: job.id.value, role: roleText, evidence: `${where} ${describe(own)}${!job.permissions ? ' and the job sets none of its own' : workflow.permissions && grantsWrite(workflow.permissions, 'id-token') ? ` (they replace the workflow's, which grant id-token: write at ${at(workflow.permissions.loc)})` : ''}`, where }, { related: [{ ...own.loc, message: `permissions that apply to job "${job.id.value}": ${describe(own)}` }] });
          continue;
        }
        // A called workflow runs with at most what each local caller grants.
        for (const caller of reusable ? callers : []) {
          const cap = effectivePermissions(caller.workflow, caller.job);
          if (cap && grantsWrite(cap, 'id-token')) continue;
          const evidence = cap
            ? `${caller.job.permissions ? 'its' : 'its workflow\'s'} \`permissions:\` at ${at(cap.loc)} ${describe(cap)}`
            : `neither the calling job nor ${caller.workflow.path} sets \`permissions:\`, and the repository default is \`id-token: none\``;
          report(
            'cappedByCaller',
            caller.job.uses!.loc,
            { callerJob: caller.job.id.value, callerWorkflow: caller.workflow.path, callee: workflow.path, job: job.id.value, role: roleText, evidence },
            { related: [{ ...role.loc, message: `role-to-assume of job "${job.id.value}" in the called workflow` }, ...(cap ? [{ ...cap.loc, message: `caller permissions: ${describe(cap)}` }] : [])], severity: cap ? undefined : 'high' },
          );
        }
        // Without its own block, a called workflow's token is whatever its caller passes: unknown when the caller is elsewhere.
        if (!own && !onlyCalled && !(reusable && callers.length > 0)) {
          report('repositoryDefault', role.loc, { job: job.id.value, role: roleText, workflow: workflow.path }, { severity: 'high' });
        }
      }
    }
  },
});

/** configure-aws-credentials asking GitHub for an OIDC token: a role, and no access key or token file to assume it with. */
function assumesRoleWithOidc(step: WorkflowStep): boolean {
  if (!usesAction(step, 'aws-actions/configure-aws-credentials')) return false;
  const role = step.with.get('role-to-assume');
  if (!role || role.value.trim() === '') return false;
  return !step.with.has('aws-access-key-id') && !step.with.has('web-identity-token-file');
}

function describe(permissions: Permissions): string {
  if (permissions.preset !== undefined) return permissions.preset === '{}' ? 'grant nothing (`permissions: {}`)' : `are \`${permissions.preset}\``;
  const scopes = [...permissions.scopes].map(([k, v]) => `${k}: ${v.value}`);
  return scopes.length ? `grant only ${scopes.join(', ')}` : 'grant nothing';
}

function at(loc: Loc): string {
  return `${loc.file}:${loc.line}`;
}
