import { known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import type { ExternalImport } from '../../model/source.js';
import { linkedContainers, related, linkedReport } from './_common.js';

/** Packages that make AWS API calls with the credentials of the task role. */
function isAwsSdk(packageName: string): boolean {
  return packageName === 'aws-sdk' || /^@aws-sdk\/(client-|lib-|s3-request-presigner$|credential-providers?$)/.test(packageName);
}

/** Static AWS keys in the task's environment: the SDK uses them instead of a role. */
const STATIC_KEYS = new Set(['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE']);

export default defineRule({
  id: 'ecs/task-role-missing',
  severity: 'high',
  title: 'Code uses the AWS SDK but the task has no task role',
  messages: {
    missing: {
      message: 'task definition \'{{task}}\' has no task role (taskRoleArn), but {{label}} uses the AWS SDK ({{sdk}}, imported at {{importAt}}): on Fargate the SDK gets its credentials from the task role, so every AWS call fails with "CredentialsProviderError: Could not load credentials from any providers" (the execution role is not given to the app)',
      fix: 'create a task role trusted by ecs-tasks.amazonaws.com with the permissions the code needs ({{sdk}}) and set taskRoleArn (task_role_arn in Terraform, TaskRoleArn in CloudFormation) to it',
    },
  },
  check(model, reportAny) {
    const seen = new Set<string>();
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      // CDK task definitions always get a task role; terraform-aws-modules/ecs creates one by default.
      if (task.format === 'cdk' || task.resourceName.startsWith('module.') || task.taskRoleArn) continue;
      // On EC2 the SDK can fall back to the container instance's role: only Fargate has nothing else.
      if (!task.fargate) continue;
      if (container.environment.some((e) => STATIC_KEYS.has(e.name)) || container.secrets.some((s) => STATIC_KEYS.has(s.name))) continue;
      // Keys may come from an env file or a variable list the audit cannot read.
      if (!container.environmentComplete || !container.secretsComplete || container.environmentFiles.length > 0) continue;
      const sdk: ExternalImport | undefined = service.externalImports.find((i) => isAwsSdk(i.packageName) && !i.viaDynamicImport);
      if (!sdk) continue;
      const key = `${task.file}:${task.resourceName}:${container.loc.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const site = sdk.chain[sdk.chain.length - 1];
      report(
        'missing',
        task.loc,
        { task: known(task.family) ?? task.resourceName, label, sdk: sdk.packageName, importAt: site ? `${site.file}:${site.line}` : 'the service' },
        { related: site ? [related({ file: site.file, line: site.line }, `the AWS SDK (${sdk.packageName}) is imported here`)] : [], key },
      );
    }
  },
});
