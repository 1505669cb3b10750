import type { Located } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { stepActivity } from './_pipeline.js';

export default defineRule({
  id: 'ci/permissions',
  severity: 'medium',
  title: 'Deploy workflow without least-privilege permissions',
  security: true,
  messages: {
    noPermissions: {
      message: '{{workflow}} {{does}} but sets no `permissions:` (jobs without one: {{jobs}}): the GITHUB_TOKEN gets the repository default, which is read-write on older repositories and organisations',
      fix: 'declare `permissions: { contents: read }` at the top of the workflow and grant more per job only where needed (e.g. `id-token: write` for OIDC, `packages: write` for GHCR)',
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
    for (const workflow of model.workflows) {
      // A job that calls a local reusable workflow runs that workflow's steps with this workflow's token.
      const called = (path: string) => model.workflows.find((w) => w.path === path.replace(/^\.\//, '').split('@')[0]);
      const steps = workflow.jobs.flatMap((j) => (j.uses ? (called(j.uses.value)?.jobs.flatMap((cj) => cj.steps) ?? []) : j.steps));
      const deploys = steps.find((s) => stepActivity(s, 'aws-credentials', 'ecs-deploy', 'iac-deploy', 'docker-push', 'registry-login'));
      for (const permissions of [workflow.permissions, ...workflow.jobs.map((j) => j.permissions)]) {
        if (deploys && permissions?.preset === 'write-all') report('writeAll', permissions.loc, { preset: permissions.preset, workflow: workflow.path });
      }
      // A workflow only ever called by others gets its token from the caller, which is checked itself.
      const onlyCalled = workflow.triggers.length > 0 && workflow.triggers.every((t) => t.value === 'workflow_call');
      if (deploys && !workflow.permissions && !onlyCalled) {
        const open = workflow.jobs.filter((j) => !j.permissions);
        if (open.length > 0) {
          const does = stepActivity(deploys, 'ecs-deploy', 'iac-deploy') ? 'deploys' : stepActivity(deploys, 'aws-credentials') ? 'uses AWS credentials' : 'pushes images';
          report('noPermissions', workflow.name?.loc ?? workflow.loc, { workflow: workflow.path, does, jobs: open.map((j) => j.id.value).join(', ') }, { key: 'no-permissions' });
        }
      }
      const keyRefs: { what: string; value: Located<string> }[] = [];
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          if (step.uses && /^aws-actions\/configure-aws-credentials@/i.test(step.uses.value)) {
            const key = step.with.get('aws-access-key-id');
            if (key && !step.with.has('role-to-assume')) keyRefs.push({ what: 'configure-aws-credentials', value: key });
          }
          const envKey = step.env.get('AWS_ACCESS_KEY_ID');
          if (envKey && /secrets\./.test(envKey.value)) keyRefs.push({ what: `step "${step.name?.value ?? step.uses?.value ?? 'run'}"`, value: envKey });
        }
        const jobKey = job.env.get('AWS_ACCESS_KEY_ID');
        if (jobKey && /secrets\./.test(jobKey.value)) keyRefs.push({ what: `job "${job.id.value}"`, value: jobKey });
      }
      const wfKey = workflow.env.get('AWS_ACCESS_KEY_ID');
      if (wfKey && /secrets\./.test(wfKey.value)) keyRefs.push({ what: workflow.path, value: wfKey });
      for (const ref of keyRefs) report('longLivedKeys', ref.value.loc, { what: ref.what, value: ref.value.value });
    }
  },
});
