import { isUnresolved, known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { infraOf } from '../ecs/_common.js';

export default defineRule({
  id: 'aws/iam-wildcard',
  severity: 'high',
  title: 'IAM policy grants wildcard actions',
  security: true,
  messages: {
    allActions: {
      message: 'this IAM statement allows every action ("{{action}}") on {{resources}}: whoever holds the role can do anything the account allows',
      fix: 'list the actions the service calls (e.g. s3:GetObject, s3:PutObject) and the resources it needs (specific ARNs)',
    },
    serviceWildcard: {
      message: 'this IAM statement allows "{{action}}" on every resource ("*"): the service can read, overwrite and delete all {{service}} resources of the account, not only its own',
      fix: 'grant only the {{service}} actions the code uses, on the ARNs it uses (e.g. arn:aws:s3:::my-bucket and arn:aws:s3:::my-bucket/*)',
    },
  },
  check(model, report) {
    for (const statement of infraOf(model).iamStatements) {
      const effect = known(statement.effect);
      if (statement.effect && effect === undefined) continue;
      if (effect !== undefined && effect.toLowerCase() !== 'allow') continue;
      const resources = statement.resources.map((r) => (isUnresolved(r.value) ? undefined : r.value));
      const allResources = resources.includes('*');
      for (const action of statement.actions) {
        if (isUnresolved(action.value)) continue;
        if (action.value === '*') {
          report('allActions', action.loc, { action: action.value, resources: allResources ? 'every resource ("*")' : resources.filter(Boolean).join(', ') || 'its resources' }, {
            severity: allResources ? 'critical' : 'high',
            key: `${statement.resourceName}:${action.value}`,
          });
        } else if (allResources && /^[a-z0-9-]+:\*$/i.test(action.value)) {
          report('serviceWildcard', action.loc, { action: action.value, service: action.value.split(':')[0] }, { key: `${statement.resourceName}:${action.value}` });
        }
      }
    }
  },
});
