import type { DeploymentModel } from '../../model/index.js';
import {
  emptyInfraModel,
  isUnresolved,
  known,
  servicesRunning,
  type EcsService,
  type InfraModel,
  type LoadBalancer,
} from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import type { Service } from '../../model/source.js';

/**
 * What the infrastructure of the repository says about where a service of the code runs: the ECS
 * services that run its container, the load balancer in front of it, how many tasks it runs. Shared
 * by the src/* field rules; every answer carries the evidence a message quotes.
 */

/** The ALB idle timeout when none is written (seconds). */
export const DEFAULT_ALB_IDLE_SECONDS = 60;

function infraOf(model: DeploymentModel): InfraModel {
  return { ...emptyInfraModel(), ...(model.infra ?? {}) };
}

/** ECS services (in the repository) whose task runs a container linked to this service. */
export function ecsServicesOf(model: DeploymentModel, service: Service): EcsService[] {
  const infra = infraOf(model);
  const out: EcsService[] = [];
  for (const task of infra.taskDefinitions) {
    if (!task.containers.some((c) => c.link?.service === service)) continue;
    for (const ecs of servicesRunning(infra, task)) if (!out.includes(ecs)) out.push(ecs);
  }
  return out;
}

export interface LoadBalancerEvidence {
  /** The idle timeout in seconds (written, or the default). */
  idleSeconds: number;
  /** For messages: "idle_timeout = 120 in infra/alb.tf:14" or "default 60 s (aws_lb.main, infra/alb.tf:3, sets none)". */
  description: string;
  /** Where the idle timeout is written, or the load balancer when it is the default. */
  loc: Loc;
  /** The load balancer itself, for messages: "aws_lb.main (infra/alb.tf:3)". */
  where: string;
}

const isApplication = (lb: LoadBalancer) => (known(lb.type) ?? 'application').toLowerCase() === 'application';

/** The load balancers an ECS service's target groups sit behind, through the listeners of the repository. */
function loadBalancersOf(infra: InfraModel, ecs: EcsService): LoadBalancer[] {
  const groups = new Set([...ecs.targetGroups.map((t) => t.resourceName), ...ecs.loadBalancers.map((l) => l.targetGroupRef).filter((r): r is string => !!r)]);
  const out = new Set<LoadBalancer>();
  for (const listener of infra.listeners) {
    if (!listener.loadBalancer || listener.format !== ecs.format) continue;
    const actions = [...listener.defaultActions, ...listener.rules.flatMap((r) => r.actions)];
    if (actions.some((a) => a.targetGroupRefs.some((ref) => groups.has(ref)))) out.add(listener.loadBalancer);
  }
  // CDK patterns name the target group under its load balancer (`Api/LB/PublicListener/ECSGroup`).
  for (const tg of ecs.targetGroups) for (const lb of infra.loadBalancers) if (lb.file === tg.file && tg.resourceName.startsWith(lb.resourceName + '/')) out.add(lb);
  return [...out];
}

/** The tightest idle timeout among load balancers; undefined when one of them is an expression (unknown). */
function idleOf(lbs: LoadBalancer[]): LoadBalancerEvidence | undefined {
  let best: LoadBalancerEvidence | undefined;
  for (const lb of lbs) {
    const idle = lb.idleTimeoutSeconds;
    if (idle && isUnresolved(idle.value)) return undefined;
    const where = `${lb.resourceName} (${lb.file}:${lb.loc.line})`;
    const evidence: LoadBalancerEvidence = idle
      ? { where, idleSeconds: idle.value as number, description: `idle timeout ${idle.value} s (${lb.resourceName}, ${idle.loc.file}:${idle.loc.line})`, loc: idle.loc }
      : { where, idleSeconds: DEFAULT_ALB_IDLE_SECONDS, description: `idle timeout default ${DEFAULT_ALB_IDLE_SECONDS} s (${lb.resourceName}, ${lb.loc.file}:${lb.loc.line}, sets none)`, loc: lb.loc };
    if (!best || evidence.idleSeconds < best.idleSeconds) best = evidence;
  }
  return best;
}

/**
 * The application load balancer in front of the service, on proof only:
 * - the service's container runs in an ECS service with a load balancer: that load balancer's idle
 *   timeout (or, when it is not in the repository, the repository's only ALB, else the 60 s default);
 * - the service is not linked to an ECS service, but the repository defines an ALB (or target groups):
 *   the tightest idle timeout among its ALBs (60 s default when only target groups are there).
 * Undefined when nothing in the repository shows a load balancer, when the linked ECS services have
 * none, when the load balancers are network load balancers, or when an idle timeout is an expression.
 */
export function loadBalancerInFront(model: DeploymentModel, service: Service): LoadBalancerEvidence | undefined {
  const infra = infraOf(model);
  const albs = infra.loadBalancers.filter(isApplication);
  const ecsServices = ecsServicesOf(model, service);
  if (ecsServices.length > 0) {
    const balanced = ecsServices.filter((s) => s.loadBalancers.length > 0 || s.targetGroups.length > 0);
    if (balanced.length === 0) return undefined; // the tasks take no load-balancer traffic (or it is written as an expression)
    const fronting = balanced.flatMap((s) => loadBalancersOf(infra, s));
    if (fronting.length > 0) {
      const applications = fronting.filter(isApplication);
      return applications.length > 0 ? idleOf(applications) : undefined;
    }
    if (albs.length === 1) return idleOf(albs);
    const first = balanced[0];
    return { where: `the load balancer of ${first.resourceName} (${first.file}:${first.loc.line})`, idleSeconds: DEFAULT_ALB_IDLE_SECONDS, description: `idle timeout default ${DEFAULT_ALB_IDLE_SECONDS} s (the load balancer of ${first.resourceName}, ${first.file}:${first.loc.line}, is not in the repository)`, loc: first.loc };
  }
  if (albs.length > 0) return idleOf(albs);
  if (infra.loadBalancers.length === 0 && infra.targetGroups.length > 0) {
    const tg = infra.targetGroups[0];
    return { where: `the load balancer of target group ${tg.resourceName} (${tg.file}:${tg.loc.line})`, idleSeconds: DEFAULT_ALB_IDLE_SECONDS, description: `idle timeout default ${DEFAULT_ALB_IDLE_SECONDS} s (target group ${tg.resourceName}, ${tg.file}:${tg.loc.line}; the load balancer is not in the repository)`, loc: tg.loc };
  }
  return undefined;
}

export interface TaskCountEvidence {
  count: number;
  /** "3 tasks (desired count of aws_ecs_service.api, infra/ecs.tf:41)" */
  description: string;
  loc: Loc;
}

/** The largest known desired count among the ECS services that run the service; undefined when none is known. */
export function taskCount(model: DeploymentModel, service: Service): TaskCountEvidence | undefined {
  let best: TaskCountEvidence | undefined;
  for (const ecs of ecsServicesOf(model, service)) {
    const count = known(ecs.desiredCount);
    if (count === undefined || !ecs.desiredCount) continue;
    if (!best || count > best.count) best = { count, description: `${count} tasks (desired count of ${ecs.resourceName}, ${ecs.desiredCount.loc.file}:${ecs.desiredCount.loc.line})`, loc: ecs.desiredCount.loc };
  }
  return best;
}

/**
 * True the first time a place is seen. Source files shared by several services (one package run by
 * two images) would otherwise be reported once per service, with different task counts.
 */
export function firstAtPlace(): (loc: Loc) => boolean {
  const seen = new Set<string>();
  return (loc) => {
    const key = `${loc.file}:${loc.line}`;
    return seen.has(key) ? false : (seen.add(key), true);
  };
}
