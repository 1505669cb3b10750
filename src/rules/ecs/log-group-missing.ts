import { posix } from 'node:path';
import { isUnresolved, known, type InfraModel, type TaskDefinition } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';
import { executionRole, permissionsOf } from './execution-role-permissions.js';

/** The Terraform module folder or CloudFormation template also defines the service or roles: the stack is in the repository. */
function stackInRepo(infra: InfraModel, task: TaskDefinition): boolean {
  const same = (format: string, file: string): boolean => format === task.format && (task.format === 'terraform' ? posix.dirname(file) === posix.dirname(task.file) : file === task.file);
  return infra.ecsServices.some((s) => same(s.format, s.file)) || infra.iamRoles.some((r) => same(r.format, r.file)) || infra.logGroups.some((g) => same(g.format, g.file));
}

export default defineRule({
  id: 'ecs/log-group-missing',
  severity: 'critical',
  title: 'awslogs log group is never created',
  messages: {
    missing: {
      message: 'container \'{{container}}\' sends its logs to log group \'{{group}}\', but the infrastructure in this repository creates no log group of that name ({{created}}) and awslogs-create-group is not set: the task cannot start ("ResourceInitializationError: failed to initialize logging driver ... The specified log group does not exist")',
      fix: 'create the log group next to the task definition ({{fixText}}) and reference it in awslogs-group, or set awslogs-create-group = "true" and allow logs:CreateLogGroup on the execution role',
    },
    createWithoutPermission: {
      message: 'container \'{{container}}\' sets awslogs-create-group for log group \'{{group}}\', but the execution role \'{{role}}\' ({{roleLoc}}) does not allow logs:CreateLogGroup (AmazonECSTaskExecutionRolePolicy does not include it), and the repository holds all its policies: the task cannot start ("failed to initialize logging driver ... AccessDeniedException")',
      fix: 'allow logs:CreateLogGroup on the execution role, or better, create the log group in the IaC (with a retention period) and drop awslogs-create-group',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    for (const task of infra.taskDefinitions) {
      // Task-definition JSON registers against infrastructure kept elsewhere; CDK creates the group itself.
      if (task.format !== 'terraform' && task.format !== 'cloudformation') continue;
      // terraform-aws-modules/ecs creates the container's log group by default.
      if (task.resourceName.startsWith('module.')) continue;
      if (!stackInRepo(infra, task)) continue;
      for (const c of task.containers) {
        const log = c.logConfiguration;
        if (!log || known(log.logDriver) !== 'awslogs') continue;
        const groupValue = log.options.get('awslogs-group');
        // A reference (aws_cloudwatch_log_group.api.name, !Ref LogGroup) or a variable: created, or unknown.
        if (!groupValue || isUnresolved(groupValue.value)) continue;
        const group = groupValue.value;
        if (infra.logGroups.some((g) => known(g.name) === group || (g.name !== undefined && isUnresolved(g.name.value)) || g.name === undefined)) continue;
        const createValue = log.options.get('awslogs-create-group');
        const name = containerName(c);
        const key = `${task.file}:${task.resourceName}:${name}:log-group`;
        if (createValue) {
          if (isUnresolved(createValue.value) || createValue.value.toLowerCase() !== 'true') continue;
          const role = executionRole(infra, task);
          if (!role) continue;
          const statements = infra.iamStatements.filter((s) => s.format === role.format && s.roleRefs.includes(role.resourceName) && (role.format === 'terraform' ? posix.dirname(s.file) === posix.dirname(role.file) : s.file === role.file));
          const perms = permissionsOf(role, statements);
          if (!perms || perms.allows('logs:CreateLogGroup')) continue;
          const roleName = known(role.name) ?? role.resourceName;
          report('createWithoutPermission', createValue.loc, { container: name, group, role: roleName, roleLoc: `${role.loc.file}:${role.loc.line}` }, { related: [related(role.loc, `execution role '${roleName}'`)], key });
          continue;
        }
        const created = infra.logGroups.length === 0 ? 'it defines no log group at all' : `it creates ${infra.logGroups.map((g) => `'${known(g.name)}'`).join(', ')}`;
        const fixText = task.format === 'terraform' ? `resource "aws_cloudwatch_log_group" with name = "${group}"` : `an AWS::Logs::LogGroup with LogGroupName: ${group}`;
        report('missing', groupValue.loc, { container: name, group, created, fixText }, { key });
      }
    }
  },
});
