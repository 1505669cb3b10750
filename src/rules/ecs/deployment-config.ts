import { isUnresolved, known, type EcsService, type InfraValue } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { infraOf, related, rolledByEcs } from './_common.js';

/** ECS defaults for a replica service with the rolling-update (ECS) controller. */
const DEFAULT_MINIMUM_HEALTHY_PERCENT = 100;
const DEFAULT_MAXIMUM_PERCENT = 200;

function where(v: InfraValue<number> | undefined, field: string, dflt: number, service: EcsService): string {
  if (!v) return `${field} ${dflt} (the ECS default, not set)`;
  // The terraform-aws-modules/ecs service module's own defaults are placed at the module block.
  const moduleDefault = service.resourceName.startsWith('module.') && v.loc.line === service.loc.line && v.loc.file === service.loc.file;
  return `${field} ${known(v)} (${moduleDefault ? 'the terraform-aws-modules/ecs default, not set, ' : ''}${v.loc.file}:${v.loc.line})`;
}

export default defineRule({
  id: 'ecs/deployment-config',
  severity: 'high',
  title: 'Deployment percentages block the rollout or stop every task',
  messages: {
    blocked: {
      message: "ECS service '{{name}}' cannot roll out a new revision: with {{desired}}, {{min}} keeps {{keep}} task(s) running and {{max}} allows at most {{ceiling}}, so the scheduler can neither start a new task nor stop an old one (\"unable to stop or start tasks during a deployment because of the service deployment configuration\")",
      fix: 'raise the maximum percent to 200 (the default) so a new task can start beside the old one, or lower the minimum healthy percent so one old task may stop first (with one task that means downtime; prefer maximum 200)',
    },
    allStopped: {
      message: "ECS service '{{name}}' is behind a load balancer and sets {{min}}: every deployment may stop all {{desired}} before the new ones are healthy, so the service answers 502/503 during each deploy",
      fix: 'set the minimum healthy percent to 100 (with maximum percent 200) so new tasks start and pass health checks before old ones are stopped',
    },
  },
  check(model, report) {
    for (const service of infraOf(model).ecsServices) {
      // Blue/green (CODE_DEPLOY) and external controllers do not roll tasks by these percentages.
      if (!rolledByEcs(service)) continue;
      // DAEMON services run one task per instance with their own defaults (minimum 0, maximum 100).
      if (service.schedulingStrategy && known(service.schedulingStrategy)?.toUpperCase() !== 'REPLICA') continue;
      const name = known(service.name) ?? service.resourceName;
      const values = [service.desiredCount, service.minimumHealthyPercent, service.maximumPercent];
      if (values.some((v) => v && isUnresolved(v.value))) continue;
      const desired = known(service.desiredCount);
      if (desired === 0) continue;
      const minWritten = service.minimumHealthyPercent;
      const maxWritten = service.maximumPercent;
      // The CDK documents its own default for minHealthyPercent (50 for replica services): only written values count there.
      if (!minWritten && service.format === 'cdk') continue;
      const min = known(minWritten) ?? DEFAULT_MINIMUM_HEALTHY_PERCENT;
      const max = known(maxWritten) ?? DEFAULT_MAXIMUM_PERCENT;
      if (!minWritten && !maxWritten) continue;
      const desiredText = desired === undefined ? 'any desired count' : `desired count ${desired}${service.desiredCount ? ` (${service.desiredCount.loc.file}:${service.desiredCount.loc.line})` : ''}`;
      const rel = (v: InfraValue<number> | undefined, text: string) => (v ? [related(v.loc, text)] : []);

      // ECS rounds the minimum up and the maximum down (per the service deployment configuration docs).
      const counts = desired !== undefined ? [desired] : [1, 2, 3, 4, 10];
      const blockedFor = counts.filter((d) => Math.floor((d * max) / 100) <= d && Math.ceil((d * min) / 100) >= d);
      if (blockedFor.length === counts.length) {
        const d = counts[0];
        const loc: Loc = maxWritten?.loc ?? minWritten?.loc ?? service.loc;
        report('blocked', loc, {
          name,
          desired: desiredText,
          min: where(minWritten, 'minimum healthy percent', DEFAULT_MINIMUM_HEALTHY_PERCENT, service),
          max: where(maxWritten, 'maximum percent', DEFAULT_MAXIMUM_PERCENT, service),
          keep: desired === undefined ? 'every' : Math.ceil((d * min) / 100),
          ceiling: desired === undefined ? 'as many as are running' : Math.floor((d * max) / 100),
        }, {
          // Nothing can be deployed at all: as bad as a failing apply.
          severity: 'critical',
          related: [...rel(minWritten, `minimum healthy percent ${min}`), ...rel(service.desiredCount, `desired count ${desired}`)].filter((r) => r.line !== loc.line || r.file !== loc.file),
          key: `${service.resourceName}:blocked`,
        });
        continue;
      }
      if (min === 0 && minWritten && hasLoadBalancer(service)) {
        report('allStopped', minWritten.loc, {
          name,
          min: where(minWritten, 'minimum healthy percent', DEFAULT_MINIMUM_HEALTHY_PERCENT, service),
          desired: desired === undefined ? 'tasks' : `${desired} task${desired === 1 ? '' : 's'}`,
        }, { related: [...rel(service.desiredCount, `desired count ${desired}`), ...service.loadBalancers.slice(0, 1).map((lb) => related(lb.loc, 'the service is registered with a load balancer here'))], key: `${service.resourceName}:min0` });
      }
    }
  },
});

function hasLoadBalancer(service: EcsService): boolean {
  return service.loadBalancers.length > 0 || service.targetGroups.length > 0;
}
