import { posix } from 'node:path';
import { describeValue, isUnresolved, known, type IamPolicyStatement, type IamRole, type InfraModel, type InfraValue, type TaskDefinition } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';

/**
 * AWS managed policies whose actions are known, with the actions they allow (on every resource).
 * Any other managed policy makes the role's permissions unknown.
 */
const MANAGED_POLICY_ACTIONS: Record<string, string[]> = {
  AmazonECSTaskExecutionRolePolicy: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  AmazonEC2ContainerRegistryReadOnly: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy', 'ecr:DescribeRepositories', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview', 'ecr:ListTagsForResource', 'ecr:DescribeImageScanFindings'],
  CloudWatchLogsFullAccess: ['logs:*'],
  SecretsManagerReadWrite: ['secretsmanager:*'],
  AmazonSSMReadOnlyAccess: ['ssm:Describe*', 'ssm:Get*', 'ssm:List*'],
  AdministratorAccess: ['*'],
};

/** An action or resource pattern with IAM wildcards (`*`, `?`), matched case-insensitively for actions. */
function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', ignoreCase ? 'i' : '');
  return re.test(value);
}

export interface Permissions {
  /** Does the role allow the action on a resource? `resource` undefined: on any resource at all. */
  allows(action: string, resource?: string): boolean;
  /** Managed policies that allow the action (on every resource). */
  managedAllows(action: string): boolean;
  /** The Allow statements written in the repository that grant the action (on some resource). */
  granting(action: string): IamPolicyStatement[];
}

/**
 * What a role may do, when the repository holds every policy of it: its managed policies are known
 * AWS ones and every statement attached to it is literal. Undefined otherwise.
 */
export function permissionsOf(role: IamRole, statements: IamPolicyStatement[]): Permissions | undefined {
  if (role.policiesUnresolved) return undefined;
  const managedActions: string[] = [];
  for (const arn of role.managedPolicyArns) {
    const v = known(arn);
    const name = v?.match(/^arn:aws[\w-]*:iam::aws:policy\/(?:service-role\/)?([\w+=,.@-]+)$/)?.[1];
    if (!name || !MANAGED_POLICY_ACTIONS[name]) return undefined;
    managedActions.push(...MANAGED_POLICY_ACTIONS[name]);
  }
  // `complete` is false for a resource list written as an expression too; such a resource counts as
  // matching (below). A statement whose actions are not literal makes the role unknown.
  if (statements.some((s) => (!s.complete && s.actions.length === 0 && s.notActions.length === 0) || (s.effect && isUnresolved(s.effect.value)) || s.actions.some((a) => isUnresolved(a.value)) || s.notActions.some((a) => isUnresolved(a.value)))) return undefined;
  const allows = statements.filter((s) => (known(s.effect) ?? 'Allow') === 'Allow');
  const grants = (s: IamPolicyStatement, action: string): boolean =>
    s.notActions.length > 0 ? !s.notActions.some((a) => globMatch(known(a)!, action, true)) : s.actions.some((a) => globMatch(known(a)!, action, true));
  return {
    managedAllows: (action) => managedActions.some((a) => globMatch(a, action, true)),
    granting: (action) => allows.filter((s) => grants(s, action)),
    allows(action, resource) {
      if (managedActions.some((a) => globMatch(a, action, true))) return true;
      return allows.some((s) => {
        if (!grants(s, action)) return false;
        if (resource === undefined || s.resources.length === 0) return true;
        // A resource written as an expression may be the one needed: count it as allowed.
        return s.resources.some((r) => {
          const pattern = known(r);
          if (pattern === undefined) return true;
          // Secrets Manager ARNs end in a random 6-character suffix the task definition may leave out.
          return globMatch(pattern, resource, false) || globMatch(pattern.replace(/-[A-Za-z0-9]{6}$/, ''), resource, false) || globMatch(pattern, `${resource}-AbCdEf`, false);
        });
      });
    },
  };
}

/** The role a task's executionRoleArn refers to, when it is defined in the same Terraform module or template. */
export function executionRole(infra: InfraModel, task: TaskDefinition): IamRole | undefined {
  const v = task.executionRoleArn?.value;
  if (!v || !isUnresolved(v) || !v.ref) return undefined;
  const ref = v.ref;
  const sameScope = (file: string): boolean => (task.format === 'terraform' ? posix.dirname(file) === posix.dirname(task.file) : file === task.file);
  return infra.iamRoles.find((r) => r.format === task.format && r.resourceName === ref && sameScope(r.file));
}

/** `secretsmanager` or `ssm`, and the ARN to check when it is literal. */
function secretSource(valueFrom: InfraValue<string>): { service: 'secretsmanager' | 'ssm'; arn?: string } | undefined {
  if (isUnresolved(valueFrom.value)) {
    const text = `${valueFrom.value.ref ?? ''} ${valueFrom.value.unresolved}`;
    if (/secretsmanager|aws_secretsmanager_secret|:secret:/i.test(text)) return { service: 'secretsmanager' };
    if (/aws_ssm_parameter|:parameter\/|arn:aws:ssm/i.test(text)) return { service: 'ssm' };
    return undefined;
  }
  const v = valueFrom.value;
  const sm = /^(arn:aws[\w-]*:secretsmanager:[^:]+:[^:]+:secret:[^:]+)/.exec(v);
  if (sm) return { service: 'secretsmanager', arn: sm[1] };
  if (/^arn:aws[\w-]*:ssm:/.test(v)) return { service: 'ssm', arn: v };
  // A bare name is a Parameter Store parameter of the task's region and account.
  if (!v.startsWith('arn:')) return { service: 'ssm' };
  return undefined;
}

const SECRET_ACTION = { secretsmanager: 'secretsmanager:GetSecretValue', ssm: 'ssm:GetParameters' } as const;

/** A Terraform secret or parameter resource (or data source) whose `.arn` a statement or a valueFrom names. */
const SECRET_RESOURCE_REF = /^(data\.)?aws_(secretsmanager_secret|ssm_parameter)\.[\w-]+$/;

/** The secret a container injects, as far as a policy resource can be compared with it. */
interface SecretTarget {
  /** Its ARN (Secrets Manager: without the JSON key suffix); `{region}`/`{account}` when the task's are meant. */
  arn?: string;
  /** The Terraform resource whose ARN it is. */
  ref?: string;
  /** The secret name of that resource, when literal. */
  name?: string;
}

/** What a valueFrom names exactly, or undefined when it is an expression the audit cannot compare. */
function secretTarget(valueFrom: InfraValue<string>, task: TaskDefinition, infra: InfraModel): SecretTarget | undefined {
  const v = valueFrom.value;
  if (isUnresolved(v)) {
    // Only `aws_secretsmanager_secret.x.arn` as a whole: an interpolation may add anything to it.
    if (task.format !== 'terraform' || !v.ref || !SECRET_RESOURCE_REF.test(v.ref) || !new RegExp(`^${v.ref.replace(/\./g, '\\.')}\\.(arn|id)$`).test(v.unresolved.trim())) return undefined;
    if (v.unresolved.trim().endsWith('.id') && v.ref.includes('ssm_parameter')) return undefined;
    const created = (infra.secrets ?? []).find((x) => x.format === 'terraform' && x.resourceName === v.ref && posix.dirname(x.file) === posix.dirname(task.file));
    return { ref: v.ref, name: known(created?.name) };
  }
  const sm = /^(arn:aws[\w-]*:secretsmanager:[^:]+:[^:]+:secret:[^:]+)/.exec(v);
  if (sm) return { arn: sm[1] };
  if (/^arn:aws[\w-]*:ssm:[^:]+:[^:]+:parameter\//.test(v)) return { arn: v };
  // A bare parameter name is a parameter of the task's own region and account.
  if (!v.startsWith('arn:') && /^[\w./-]+$/.test(v)) return { arn: `arn:aws:ssm:{region}:{account}:parameter/${v.replace(/^\//, '')}` };
  return undefined;
}

/** Does a literal resource pattern match an ARN? A Secrets Manager ARN may be written with or without its random suffix. */
function patternCovers(pattern: string, arn: string): boolean {
  return globMatch(pattern, arn, false) || globMatch(pattern, `${arn}-AbCdEf`, false) || globMatch(pattern.replace(/-[A-Za-z0-9]{6}$/, ''), arn, false);
}

/**
 * Does one resource of a statement cover the secret? Undefined when either side is not known well
 * enough to say no.
 */
function resourceCovers(resource: InfraValue<string>, target: SecretTarget, infra: InfraModel, statement: IamPolicyStatement): boolean | undefined {
  const r = resource.value;
  if (!isUnresolved(r)) {
    if (r === '*') return true;
    if (target.arn) {
      // The task's region and account are those the pattern names, unless the pattern is wrong elsewhere.
      const [, partition, , region, account] = r.split(':');
      const arn = target.arn.replace('arn:aws:', `arn:${partition ?? 'aws'}:`).replace('{region}', region ?? '*').replace('{account}', account ?? '*');
      return patternCovers(r, arn);
    }
    // A Terraform secret of a known name: its ARN is that name plus a random suffix.
    if (target.ref && target.name && target.ref.includes('secretsmanager')) {
      const [, partition, service, region, account] = r.split(':');
      if (service !== 'secretsmanager') return false;
      return patternCovers(r, `arn:${partition}:secretsmanager:${region}:${account}:secret:${target.name}`);
    }
    return undefined;
  }
  if (statement.format !== 'terraform' || !r.ref || !SECRET_RESOURCE_REF.test(r.ref) || r.unresolved.trim() !== `${r.ref}.arn`) return undefined;
  const granted = (infra.secrets ?? []).find((x) => x.format === 'terraform' && x.resourceName === r.ref && posix.dirname(x.file) === posix.dirname(statement.file));
  const grantedName = known(granted?.name);
  if (target.ref) {
    if (target.ref === r.ref) return true;
    // A data source and the resource of the same secret: compare their names.
    if (grantedName && target.name) return grantedName === target.name;
    const kindOf = (ref: string) => ref.replace(/^data\./, '').replace(/\.[\w-]+$/, '');
    // Two resources of the same kind (both created, or both read) are two secrets; across kinds the names decide.
    if (kindOf(target.ref) !== kindOf(r.ref)) return false;
    return r.ref.startsWith('data.') === target.ref.startsWith('data.') ? false : undefined;
  }
  if (target.arn && grantedName && !target.arn.includes('{')) {
    return patternCovers(`arn:*:secretsmanager:*:*:secret:${grantedName}-??????`, target.arn);
  }
  return undefined;
}

/**
 * The statements granting the action, when every resource of them is known and none covers the
 * secret; undefined as soon as one may.
 */
function uncoveredBy(perms: Permissions, action: string, target: SecretTarget, infra: InfraModel): IamPolicyStatement[] | undefined {
  if (perms.managedAllows(action)) return undefined;
  const granting = perms.granting(action);
  if (granting.length === 0) return undefined;
  for (const s of granting) {
    if (!s.complete || s.resources.length === 0) return undefined;
    for (const r of s.resources) if (resourceCovers(r, target, infra, s) !== false) return undefined;
  }
  return granting;
}

export default defineRule({
  id: 'ecs/execution-role-permissions',
  severity: 'critical',
  title: 'Task execution role cannot fetch the secrets, image or logs the task needs',
  messages: {
    noRole: {
      message: 'task definition \'{{task}}\' has no executionRoleArn but {{needs}}: ECS fetches these with the task execution role, so the task cannot start (ResourceInitializationError)',
      fix: 'add an execution role (trusted by ecs-tasks.amazonaws.com) with the AmazonECSTaskExecutionRolePolicy managed policy, plus {{extra}}, and set executionRoleArn to it',
    },
    secrets: {
      message: 'container \'{{container}}\' injects secret {{name}} from {{source}}, but the execution role \'{{role}}\' ({{roleLoc}}) does not allow {{action}}{{onResource}}, and the repository holds all its policies: the task stops with "ResourceInitializationError: unable to pull secrets ... AccessDeniedException" before the app runs',
      fix: 'give the execution role (not the task role) {{action}} on {{resourceHint}}; for a secret encrypted with a customer-managed KMS key, also kms:Decrypt on that key',
    },
    notCovered: {
      message: 'container \'{{container}}\' injects secret {{name}} from {{secret}} ({{valueFromLoc}}), but the execution role \'{{role}}\' ({{roleLoc}}) allows {{action}} only on {{resources}}, and none of these matches that secret: the task stops with "ResourceInitializationError: unable to pull secrets ... AccessDeniedException" before the app runs',
      fix: 'add the secret\'s ARN (or a pattern that matches it, e.g. its name followed by -??????) to the resources of the statement granting {{action}} in the execution role',
    },
    ecr: {
      message: 'container \'{{container}}\' pulls {{image}} from private ECR, but the execution role \'{{role}}\' ({{roleLoc}}) does not allow {{missing}}, and the repository holds all its policies: the task stops with CannotPullContainerError / ResourceInitializationError',
      fix: 'attach the AWS managed policy arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy to the execution role, or allow ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer and ecr:BatchGetImage',
    },
    kms: {
      message: 'container \'{{container}}\' injects secret {{name}} from {{secret}}, which is encrypted with the customer-managed KMS key {{key}} ({{keyLoc}}), but the execution role \'{{role}}\' ({{roleLoc}}) does not allow kms:Decrypt: unless the key policy itself grants the role, the task stops with "ResourceInitializationError: ... AccessDeniedException: Access to KMS is not allowed"',
      fix: 'allow kms:Decrypt on the key in the execution role (or grant the role in the key policy)',
    },
    envFiles: {
      message: 'container \'{{container}}\' loads environment file {{file}} from S3, but the execution role \'{{role}}\' ({{roleLoc}}) does not allow s3:GetObject on it, and the repository holds all its policies: the task stops with ResourceInitializationError before the app runs',
      fix: 'allow s3:GetObject on the object (and s3:GetBucketLocation on the bucket) in the execution role',
    },
    logs: {
      message: 'container \'{{container}}\' logs with awslogs, but the execution role \'{{role}}\' ({{roleLoc}}) does not allow {{missing}}, and the repository holds all its policies: the task fails to initialise its logging driver and never starts',
      fix: 'attach AmazonECSTaskExecutionRolePolicy to the execution role, or allow logs:CreateLogStream and logs:PutLogEvents on the log group',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    for (const task of infra.taskDefinitions) {
      // CDK creates the execution role itself and grants it what the containers use.
      if (task.format === 'cdk') continue;
      const taskName = known(task.family) ?? task.resourceName;
      if (!task.executionRoleArn) {
        // terraform-aws-modules/ecs creates the execution role itself unless told not to.
        if (task.containersUnresolved || task.resourceName.startsWith('module.')) continue;
        const needs: string[] = [];
        const extra: string[] = [];
        let loc: Loc | undefined;
        for (const c of task.containers) {
          if (c.secrets.length > 0) {
            needs.push(`container '${containerName(c)}' injects secrets (${c.secrets.map((s) => s.name).join(', ')})`);
            extra.push('secretsmanager:GetSecretValue / ssm:GetParameters on the secrets');
            loc ??= c.secretsLoc ?? c.secrets[0].loc;
          }
          // On EC2 the container instance's role pulls images and writes logs; on Fargate only the execution role can.
          if (task.fargate && c.logConfiguration && known(c.logConfiguration.logDriver) === 'awslogs') {
            needs.push(`container '${containerName(c)}' logs with awslogs`);
            loc ??= c.logConfiguration.loc;
          }
          if (task.fargate && c.imageRef?.registry?.includes('.dkr.ecr.')) {
            needs.push(`container '${containerName(c)}' pulls its image from private ECR`);
            loc ??= c.image?.loc;
          }
        }
        if (needs.length > 0) report('noRole', loc ?? task.loc, { task: taskName, needs: needs.join('; '), extra: [...new Set(extra)].join(', ') || 'nothing else' }, { key: `${task.file}:${task.resourceName}:noRole` });
        continue;
      }
      const role = executionRole(infra, task);
      // A Terraform policy attached to a role given by variable or module output may be this role's.
      if (!role || (role.format === 'terraform' && (infra.unattributedRolePolicies?.length ?? 0) > 0)) continue;
      const statements = infra.iamStatements.filter((s) => s.format === role.format && s.roleRefs.includes(role.resourceName) && (role.format === 'terraform' ? posix.dirname(s.file) === posix.dirname(role.file) : s.file === role.file));
      const perms = permissionsOf(role, statements);
      if (!perms) continue;
      const roleName = known(role.name) ?? role.resourceName;
      const roleLoc = `${role.loc.file}:${role.loc.line}`;
      const roleRelated = related(role.loc, `execution role '${roleName}': all its policies are in the repository`);
      for (const c of task.containers) {
        const name = containerName(c);
        // One finding per service the container's secrets need, at the first secret that lacks it.
        const reported = new Set<string>();
        for (const secret of c.secrets) {
          const source = secretSource(secret.valueFrom);
          if (!source || reported.has(source.service)) continue;
          const action = SECRET_ACTION[source.service];
          // Granted, but only on other secrets: every resource of the granting statements is known and none matches.
          // (A literal ARN no literal resource matches is reported below, by `secrets`.)
          const target = secretTarget(secret.valueFrom, task, infra);
          const allowed = perms.allows(action, source.arn);
          const uncovered = allowed && target ? uncoveredBy(perms, action, target, infra) : undefined;
          if (uncovered) {
            reported.add(source.service);
            const resources = uncovered.flatMap((st) => st.resources);
            report(
              'notCovered',
              secret.valueFrom.loc,
              {
                container: name,
                name: secret.name,
                secret: describeValue(secret.valueFrom),
                valueFromLoc: `${secret.valueFrom.loc.file}:${secret.valueFrom.loc.line}`,
                role: roleName,
                roleLoc,
                action,
                resources: resources.map((r) => `${describeValue(r)} (${r.loc.file}:${r.loc.line})`).join(', '),
              },
              { related: [...uncovered.map((st) => related(st.resources[0].loc, `${action} is granted only on ${st.resources.map((r) => describeValue(r)).join(', ')}`)), roleRelated], key: `${task.file}:${task.resourceName}:${name}:${source.service}` },
            );
            continue;
          }
          // An ARN can be checked against the policy's resources; an expression only against the action.
          if (allowed) {
            // A secret the IaC encrypts with a customer-managed key: the agent also decrypts with the execution role.
            const ref = isUnresolved(secret.valueFrom.value) ? secret.valueFrom.value.ref : undefined;
            const created = ref ? (infra.secrets ?? []).find((x) => x.format === task.format && x.resourceName === ref && (task.format === 'terraform' ? posix.dirname(x.file) === posix.dirname(task.file) : x.file === task.file)) : undefined;
            const keyId = created?.kmsKeyId;
            if (source.service === 'secretsmanager' && keyId && !/alias\/aws\/secretsmanager$/.test(known(keyId) ?? '') && !reported.has('kms')) {
              const keyArn = known(keyId);
              if (!perms.allows('kms:Decrypt', keyArn?.startsWith('arn:') ? keyArn : undefined)) {
                reported.add('kms');
                report(
                  'kms',
                  secret.valueFrom.loc,
                  { container: name, name: secret.name, secret: created.resourceName, key: describeValue(keyId), keyLoc: `${keyId.loc.file}:${keyId.loc.line}`, role: roleName, roleLoc },
                  { related: [roleRelated, related(keyId.loc, 'the secret is encrypted with this customer-managed KMS key')], severity: 'high', key: `${task.file}:${task.resourceName}:${name}:kms` },
                );
              }
            }
            continue;
          }
          reported.add(source.service);
          report(
            'secrets',
            secret.valueFrom.loc,
            {
              container: name,
              name: secret.name,
              source: source.service === 'secretsmanager' ? 'Secrets Manager' : 'SSM Parameter Store',
              role: roleName,
              roleLoc,
              action,
              onResource: source.arn ? ` on ${source.arn}` : ' on any resource',
              resourceHint: source.arn ?? 'the secret',
            },
            {
              related: [roleRelated, ...perms.granting(action).flatMap((st) => st.resources.map((r) => related(r.loc, `${action} is granted on ${describeValue(r)}, which does not cover this secret`)))],
              key: `${task.file}:${task.resourceName}:${name}:${source.service}`,
            },
          );
        }
        // environmentFiles are S3 objects the agent downloads with the execution role.
        const envFile = c.environmentFiles.find((f) => !perms.allows('s3:GetObject', known(f)?.replace(/^arn:aws[\w-]*:s3:::/, 'arn:aws:s3:::')));
        if (envFile) {
          report('envFiles', envFile.loc, { container: name, file: describeValue(envFile), role: roleName, roleLoc }, { related: [roleRelated], key: `${task.file}:${task.resourceName}:${name}:envfiles` });
        }
        if (c.imageRef?.registry?.includes('.dkr.ecr.') || (c.imageRef && !c.imageRef.repository && /repository_url|RepositoryUri/.test(c.imageRef.text))) {
          const missing = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'].filter((a) => !perms.allows(a));
          if (missing.length > 0) {
            report('ecr', c.image?.loc ?? c.loc, { container: name, image: c.imageRef.text, role: roleName, roleLoc, missing: missing.join(', ') }, { related: [roleRelated], key: `${task.file}:${task.resourceName}:${name}:ecr` });
          }
        }
        if (c.logConfiguration && known(c.logConfiguration.logDriver) === 'awslogs') {
          const missing = ['logs:CreateLogStream', 'logs:PutLogEvents'].filter((a) => !perms.allows(a));
          if (missing.length > 0) {
            report('logs', c.logConfiguration.loc, { container: name, role: roleName, roleLoc, missing: missing.join(', ') }, { related: [roleRelated], key: `${task.file}:${task.resourceName}:${name}:logs` });
          }
        }
      }
    }
  },
});
