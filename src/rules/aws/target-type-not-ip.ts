import { isUnresolved, known, type EcsService, type TargetGroup, type TaskDefinition } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { infraOf, related } from '../ecs/_common.js';

/**
 * Why the service's tasks use awsvpc networking, or undefined when the repository does not prove it.
 * Fargate only supports awsvpc, so a FARGATE launch type or compatibility is proof too.
 */
function awsvpcEvidence(service: EcsService, task: TaskDefinition | undefined): { text: string; loc: { file: string; line: number } } | undefined {
  const mode = task?.networkMode;
  if (mode && !isUnresolved(mode.value)) {
    return mode.value === 'awsvpc' ? { text: `network mode 'awsvpc' (${mode.loc.file}:${mode.loc.line})`, loc: mode.loc } : undefined;
  }
  if (mode) return undefined;
  const launch = service.launchType;
  if (launch && known(launch)?.toUpperCase() === 'FARGATE') return { text: `launch type FARGATE (${launch.loc.file}:${launch.loc.line}), which only runs awsvpc tasks`, loc: launch.loc };
  const requires = task?.requiresCompatibilities;
  if (task && requires && known(requires)?.some((c) => c.toUpperCase() === 'FARGATE')) {
    return { text: `requiresCompatibilities FARGATE (${requires.loc.file}:${requires.loc.line}), which only runs awsvpc tasks`, loc: requires.loc };
  }
  if (task?.fargate) return { text: `a Fargate task definition (${task.file}:${task.loc.line}), which only runs awsvpc tasks`, loc: task.loc };
  return undefined;
}

/** The target type ECS would meet, or undefined when it is written as an expression. */
function targetTypeOf(tg: TargetGroup): { type: string; defaulted: boolean } | undefined {
  if (!tg.targetType) {
    // CDK picks the type from the first target it attaches (ip for awsvpc services); Terraform and
    // CloudFormation default to instance.
    return tg.format === 'cdk' ? undefined : { type: 'instance', defaulted: true };
  }
  const v = known(tg.targetType);
  return v === undefined ? undefined : { type: v.toLowerCase(), defaulted: false };
}

export default defineRule({
  id: 'aws/target-type-not-ip',
  severity: 'critical',
  title: 'Target group registers instances, but awsvpc/Fargate tasks register by IP',
  messages: {
    instance: {
      message: 'target group \'{{targetGroup}}\' has target type {{targetType}} and ECS service \'{{service}}\' attaches its tasks to it, which use {{evidence}}: awsvpc tasks register by IP, so creating or updating the service fails with InvalidParameterException ("target type instance, which is incompatible with the awsvpc network mode")',
      fix: '{{fixText}} (a target group\'s type cannot be changed in place: the target group is replaced, so give it a name_prefix or let the IaC name it, and create_before_destroy in Terraform)',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    const seen = new Set<TargetGroup>();
    for (const service of infra.ecsServices) {
      const evidence = awsvpcEvidence(service, service.taskDefinition);
      if (!evidence) continue;
      for (const tg of service.targetGroups) {
        if (seen.has(tg)) continue;
        const type = targetTypeOf(tg);
        if (!type || type.type !== 'instance') continue;
        seen.add(tg);
        const fixText =
          tg.format === 'terraform'
            ? 'set target_type = "ip" on the aws_lb_target_group'
            : tg.format === 'cdk'
              ? 'set targetType: elbv2.TargetType.IP, or leave targetType out: CDK then picks IP for awsvpc services'
              : 'set TargetType: ip on the AWS::ElasticLoadBalancingV2::TargetGroup';
        const serviceName = known(service.name) ?? service.resourceName;
        report(
          'instance',
          tg.targetType?.loc ?? tg.loc,
          {
            targetGroup: known(tg.name) ?? tg.resourceName,
            targetType: type.defaulted ? 'instance (the default: no target type is written)' : `'${known(tg.targetType)}'`,
            service: serviceName,
            evidence: evidence.text,
            fixText,
          },
          { related: [related(service.loc, `ECS service '${serviceName}' registers its awsvpc tasks in this target group`)], key: `${tg.file}:${tg.resourceName}` },
        );
      }
    }
  },
});
