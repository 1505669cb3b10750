import { isUnresolved, known, type IamPolicyStatement, type IamRole } from '../../model/infra.js';
import { defineRule, type Severity } from '../rule.js';
import { infraOf } from '../ecs/_common.js';

/** Principals that run the application's own code: a wildcard there is what the code (or an intruder in it) can do. */
const WORKLOAD_PRINCIPAL = /^(ecs-tasks|ec2|lambda|ecs)\.amazonaws\.com$/;

/** The roles a statement is attached to, and the AWS services that assume them. */
function principalsOf(statement: IamPolicyStatement, roles: IamRole[]): { services: string[]; known: boolean } {
  const attached = roles.filter((r) => statement.roleRefs.includes(r.resourceName));
  if (attached.length === 0 || attached.some((r) => r.trustedServices === undefined)) return { services: [], known: false };
  return { services: [...new Set(attached.flatMap((r) => r.trustedServices ?? []))], known: true };
}

export default defineRule({
  id: 'aws/iam-wildcard',
  severity: 'high',
  title: 'IAM policy grants wildcard actions',
  security: true,
  messages: {
    allActions: {
      message: 'this IAM statement allows every action ("{{action}}") on {{resources}}{{whose}}: whoever holds the role can do anything the account allows',
      fix: 'list the actions the role needs (e.g. s3:GetObject, s3:PutObject) and the resources it needs (specific ARNs)',
    },
    serviceWildcard: {
      message: 'this IAM statement allows "{{action}}" on every resource ("*"){{whose}}: the role can read, change and delete all {{service}} resources of the account, not only its own',
      fix: 'grant only the {{service}} actions the role uses, on the ARNs it uses (e.g. arn:aws:s3:::my-bucket and arn:aws:s3:::my-bucket/*)',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    for (const statement of infra.iamStatements) {
      const effect = known(statement.effect);
      if (statement.effect && effect === undefined) continue;
      if (effect !== undefined && effect.toLowerCase() !== 'allow') continue;
      const resources = statement.resources.map((r) => (isUnresolved(r.value) ? undefined : r.value));
      const allResources = resources.includes('*');
      const principals = principalsOf(statement, infra.iamRoles);
      // A role that AWS itself assumes (CodePipeline, Application Auto Scaling) runs no code of ours:
      // over-broad, but a smaller risk than a task role; its own service's actions are its job.
      const awsServiceRole = principals.known && principals.services.length > 0 && principals.services.every((s) => !WORKLOAD_PRINCIPAL.test(s));
      const whose = principals.known && principals.services.length > 0 ? ` (a role assumed by ${principals.services.join(', ')})` : '';
      // One statement is one finding, whatever number of wildcard actions it lists.
      const group = (action: string) => ({ key: `${statement.file}\u0000${statement.resourceName}\u0000${statement.loc.line}`, label: action });
      for (const action of statement.actions) {
        if (isUnresolved(action.value)) continue;
        if (action.value === '*') {
          const severity: Severity = awsServiceRole ? 'medium' : allResources ? 'critical' : 'high';
          report('allActions', action.loc, { action: action.value, resources: allResources ? 'every resource ("*")' : resources.filter(Boolean).join(', ') || 'its resources', whose }, {
            severity,
            key: `${statement.resourceName}:${action.value}`,
            group: group(action.value),
          });
        } else if (allResources && /^[a-z0-9-]+:\*$/i.test(action.value)) {
          const service = action.value.split(':')[0];
          // `application-autoscaling:*` for the scaling role: the shape of AWS's own managed policy for it.
          if (awsServiceRole && principals.services.some((p) => p.startsWith(`${service}.`))) continue;
          report('serviceWildcard', action.loc, { action: action.value, service, whose }, {
            key: `${statement.resourceName}:${action.value}`,
            group: group(action.value),
            ...(awsServiceRole ? { severity: 'medium' as const } : {}),
          });
        }
      }
    }
  },
});
