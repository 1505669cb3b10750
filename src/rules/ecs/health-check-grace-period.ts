import { isUnresolved, known, type EcsService } from '../../model/infra.js';
import { devRuntimeOf } from '../docker/dev-runtime-in-production.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';
import { containerStartSteps, migrationAtStart } from './migrations-on-boot.js';

function hasLoadBalancer(service: EcsService): boolean {
  return service.loadBalancers.length > 0 || service.targetGroups.length > 0;
}

export default defineRule({
  id: 'ecs/health-check-grace-period',
  severity: 'medium',
  title: 'Load-balanced service without a health check grace period',
  messages: {
    missing: {
      message: "ECS service '{{name}}' is behind a load balancer with {{grace}} and no container health check startPeriod in task definition '{{task}}': the target group starts probing as soon as a task runs, and a task still booting is marked unhealthy and replaced{{signals}}",
      fix: 'set the service health check grace period above the boot time (Terraform health_check_grace_period_seconds = 60, CloudFormation HealthCheckGracePeriodSeconds: 60), or give the container health check a startPeriod{{signalFix}}',
    },
  },
  check(model, report) {
    for (const service of infraOf(model).ecsServices) {
      // The CDK sets a 60 s grace period itself when a load balancer is attached.
      if (service.format === 'cdk' || !hasLoadBalancer(service)) continue;
      const grace = service.healthCheckGracePeriodSeconds;
      if (grace && (isUnresolved(grace.value) || (known(grace) ?? 0) > 0)) continue;
      const task = service.taskDefinition;
      if (!task || task.containersUnresolved || task.containers.length === 0) continue;
      // The container the load balancer sends traffic to; every container when the attachment does not name one.
      const lbNames = new Set(service.loadBalancers.map((lb) => known(lb.containerName)).filter((n) => n !== undefined));
      const probed = task.containers.filter((c) => lbNames.size === 0 || lbNames.has(known(c.name) ?? ''));
      if ((probed.length ? probed : task.containers).some((c) => c.healthCheckUnresolved || (c.healthCheck?.startPeriodSeconds && (known(c.healthCheck.startPeriodSeconds) ?? 1) > 0))) continue;
      // Signals that the app takes a while before it answers.
      const signals: string[] = [];
      const signalRelated: RelatedLocation[] = [];
      for (const container of task.containers) {
        const link = container.link;
        if (!link || link.service.kind === 'frontend') continue;
        const migration = migrationAtStart(model, container, link.service);
        if (migration) {
          signals.push(`container '${containerName(container)}' runs "${migration.command}" before the server (${migration.where})`);
          signalRelated.push(related(migration.loc, `runs ${migration.command} at start`), ...migration.via);
        }
        for (const step of containerStartSteps(model, container, link.service) ?? []) {
          const why = devRuntimeOf(step.argv);
          if (!why) continue;
          signals.push(`container '${containerName(container)}' starts with "${step.argv.join(' ')}" (${step.where}): ${why}`);
          signalRelated.push(related(step.loc, why), ...step.via);
          break;
        }
      }
      const name = known(service.name) ?? service.resourceName;
      report('missing', grace?.loc ?? service.loc, {
        name,
        grace: grace ? `health check grace period ${known(grace)}` : 'no health check grace period (default 0 seconds)',
        task: known(task.family) ?? task.resourceName,
        signals: signals.length ? `; the boot is slow: ${signals.join('; ')}` : '',
        signalFix: signals.length ? ' long enough for the work done at start (better: move migrations out of the container start and compile TypeScript at build time)' : '',
      }, {
        severity: signals.length ? 'high' : undefined,
        related: [...(service.loadBalancers[0] ? [related(service.loadBalancers[0].loc, 'load balancer attachment')] : []), ...signalRelated],
        key: `${service.resourceName}:grace`,
      });
    }
  },
});
