import { posix } from 'node:path';
import { finalStage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import { known, servicesRunning, type ContainerDefinition, type EcsService, type TaskDefinition } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import type { Service } from '../../model/source.js';
import { classifyMigrationCommand, splitShell } from '../../model/shell.js';
import { startSteps } from '../docker/_process.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { infraOf, linkedContainers, related, linkedReport } from './_common.js';

/** One command a container runs at start, with where it is written. */
export interface ContainerStartStep {
  argv: string[];
  loc: Loc;
  /** "the task definition command", "CMD of server/Dockerfile". */
  where: string;
  via: RelatedLocation[];
}

const SHELLS = /^(sh|bash|ash|dash|zsh)$/;

/**
 * What the container runs when it starts: the task definition's `command`/`entryPoint` when they
 * override the image, otherwise the image's final stage (CMD, ENTRYPOINT, entrypoint script,
 * package scripts). Undefined when an override is an expression (unknown).
 */
export function containerStartSteps(model: DeploymentModel, container: ContainerDefinition, service: Service): ContainerStartStep[] | undefined {
  const override = container.command ?? container.entryPoint;
  if (override) {
    const argv = known(override);
    if (!argv) return undefined;
    const words = [...(known(container.entryPoint) ?? []), ...(known(container.command) ?? [])];
    const c = words.indexOf('-c');
    const commands = c > 0 && SHELLS.test(posix.basename(words[0])) && words[c + 1] !== undefined ? splitShell(words[c + 1]).map((x) => x.argv) : [words];
    return commands.map((a) => ({ argv: a, loc: override.loc, where: 'the task definition command', via: [] }));
  }
  const out: ContainerStartStep[] = [];
  for (const dockerfile of service.dockerfiles) {
    const stage = finalStage(dockerfile);
    if (!stage) continue;
    for (const step of startSteps(model, dockerfile, stage)) out.push({ argv: step.argv, loc: step.loc, where: `${step.keyword} of ${dockerfile.path}`, via: step.via });
  }
  return out;
}

/** The migration tool a command runs (`prisma migrate deploy`, `knex migrate:latest`, …), or undefined. */
export function migrationCommandOf(rawArgv: string[]): string | undefined {
  const migration = classifyMigrationCommand(rawArgv);
  return migration?.action === 'run' ? migration.text : undefined;
}

/** The first migration the container runs at start, if any. */
export function migrationAtStart(model: DeploymentModel, container: ContainerDefinition, service: Service): (ContainerStartStep & { command: string }) | undefined {
  for (const step of containerStartSteps(model, container, service) ?? []) {
    const command = migrationCommandOf(step.argv);
    if (command) return { ...step, command };
  }
  return undefined;
}

/** The ECS services (in the repository) that run this task with more than one task: desired count, or autoscaling maximum. */
function multiTaskServices(model: DeploymentModel, task: TaskDefinition): { service: EcsService; count: string; loc: Loc; relatedText: string }[] {
  const out: { service: EcsService; count: string; loc: Loc; relatedText: string }[] = [];
  for (const service of servicesRunning(infraOf(model), task)) {
    const desired = known(service.desiredCount);
    const max = known(service.autoscalingMaxCapacity);
    if (desired !== undefined && desired > 1) out.push({ service, count: `${desired} tasks`, loc: service.desiredCount!.loc, relatedText: `desired count ${desired}` });
    else if (max !== undefined && max > 1) out.push({ service, count: `up to ${max} tasks under autoscaling`, loc: service.autoscalingMaxCapacity!.loc, relatedText: `autoscaling maximum ${max}` });
  }
  return out;
}

export default defineRule({
  id: 'ecs/migrations-on-boot',
  severity: 'medium',
  title: 'Migrations run at container start by several tasks',
  messages: {
    migrations: {
      message: "{{label}} runs \"{{command}}\" at start ({{where}}) while ECS service '{{ecsService}}' runs {{desired}} ({{desiredWhere}}): every task (and every task of a rolling deploy) races to migrate the same database, waits on the migration lock and can be killed by health checks mid-migration{{graceNote}}",
      fix: 'run migrations once per deploy, before the service update: a one-off `aws ecs run-task` with the same task definition and a command override (or a CI step), and start the service with the server only',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const services = multiTaskServices(model, task);
      if (services.length === 0) continue;
      const migration = migrationAtStart(model, container, service);
      if (!migration) continue;
      const { service: ecsService, count, loc: desiredLoc, relatedText } = services[0];
      // Behind a load balancer without a grace period, a task still migrating fails its health checks and is replaced mid-migration.
      const grace = ecsService.healthCheckGracePeriodSeconds;
      const noGrace = ecsService.format !== 'cdk' && (ecsService.loadBalancers.length > 0 || ecsService.targetGroups.length > 0) && (!grace || known(grace) === 0);
      report('migrations', migration.loc, {
        label,
        command: migration.command,
        where: migration.where,
        ecsService: known(ecsService.name) ?? ecsService.resourceName,
        desired: count,
        desiredWhere: `${desiredLoc.file}:${desiredLoc.line}`,
        graceNote: noGrace ? '; the service has no health check grace period, so a task still migrating is replaced by the load balancer\'s health checks' : '',
      }, { severity: noGrace ? 'high' : undefined, related: [...migration.via, related(desiredLoc, relatedText)], key: `${known(container.name) ?? ''}:${migration.command}` });
    }
  },
});
