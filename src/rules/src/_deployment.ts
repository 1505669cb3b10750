import type { Analysis } from '../../analysis/index.js';
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

/**
 * Why a service of the code is not one ECS runs, or undefined when it is (or may be): it lies
 * outside production (examples/, playground/, built only by a development image), or no image of
 * the repository runs it while the repository ships its other services as images (a package meant
 * to run on a server or a laptop, next to the containerised ones).
 */
export function notRunOnEcs(model: DeploymentModel, analysis: Analysis, service: Service): string | undefined {
  const outside = analysis.scope.serviceOutside(service);
  if (outside) return outside;
  if (service.dockerfiles.some((d) => analysis.scope.dockerfile(d).production)) return undefined;
  if (infraOf(model).taskDefinitions.some((t) => t.containers.some((c) => c.link?.service === service))) return undefined;
  const images = analysis.scope.nodeDockerfiles();
  if (images.length === 0) return undefined;
  // An image that runs no other service of the code and whose build context holds this one may be
  // what runs it (`CMD pm2-runtime start ecosystem.config.js` in a root Dockerfile).
  const claimed = new Set(model.services.filter((s) => s !== service).flatMap((s) => s.dockerfiles));
  const holds = (d: (typeof images)[number]) => d.contexts.some((c) => c.dir === '' || service.dir === c.dir || service.dir.startsWith(`${c.dir}/`));
  if (images.some((d) => !claimed.has(d) && holds(d))) return undefined;
  return `no Dockerfile of the repository builds it (the images it ships are ${images.slice(0, 3).map((d) => d.path).join(', ')}${images.length > 3 ? ', …' : ''})`;
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
  /**
   * Set when nothing links the load balancer to the service's image (no task definition of the
   * repository is linked to it): what the finding then takes for granted.
   */
  assumed?: string;
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
 * The application load balancer in front of the service:
 * - the service's container runs in an ECS service with a load balancer (the task definition is
 *   linked to the image it builds): that load balancer's idle timeout (or, when it is not in the
 *   repository, the repository's only ALB, else the 60 s default);
 * - the service is built into an image but no task definition of the repository is linked to it,
 *   and the repository defines an ALB (or target groups): the tightest idle timeout among its ALBs,
 *   marked `assumed` (a load balancer is not in front of a service because it is the only one).
 * Undefined when nothing in the repository shows a load balancer, when the linked ECS services have
 * none, when the load balancers are network load balancers, when an idle timeout is an expression,
 * or when the service is not built into an image at all (nothing can put it behind a load balancer).
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
  if (service.dockerfiles.length === 0) return undefined;
  const tasks = infra.taskDefinitions.filter((t) => t.containers.some((c) => c.link?.service === service));
  const assumed = tasks.length > 0
    ? `that the load balancer fronts the ECS service running ${tasks.map((t) => (t.resourceName === t.file ? t.file : `${t.resourceName} (${t.file})`)).join(', ')}, which is not defined in the repository`
    : `that the load balancer fronts this service: no task definition of the repository is linked to ${service.dockerfiles.map((d) => d.path).join(', ')}`;
  if (albs.length > 0) {
    const evidence = idleOf(albs);
    return evidence ? { ...evidence, assumed } : undefined;
  }
  if (infra.loadBalancers.length === 0 && infra.targetGroups.length > 0) {
    const tg = infra.targetGroups[0];
    return { where: `the load balancer of target group ${tg.resourceName} (${tg.file}:${tg.loc.line})`, idleSeconds: DEFAULT_ALB_IDLE_SECONDS, description: `idle timeout default ${DEFAULT_ALB_IDLE_SECONDS} s (target group ${tg.resourceName}, ${tg.file}:${tg.loc.line}; the load balancer is not in the repository)`, loc: tg.loc, assumed };
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
