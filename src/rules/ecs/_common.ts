import type { DeploymentModel } from '../../model/index.js';
import {
  emptyInfraModel,
  describeLink,
  known,
  type ContainerDefinition,
  type ContainerLink,
  type EcsService,
  type InfraModel,
  type TaskDefinition,
} from '../../model/infra.js';
import type { RouteFact, Service } from '../../model/source.js';
import type { Loc } from '../../model/location.js';
import type { Report } from '../rule.js';

/** The infra model, tolerant of hand-built models that only set `taskDefinitions`. */
export function infraOf(model: DeploymentModel): InfraModel {
  return { ...emptyInfraModel(), ...(model.infra ?? {}) };
}

export interface LinkedContainer {
  task: TaskDefinition;
  container: ContainerDefinition;
  service: Service;
  link: ContainerLink;
  /** "container 'api' (linked to service 'server' by container name)" */
  label: string;
  /**
   * Set when the link rests on a name (the container's or its image repository's): findings across
   * it are then at most medium and say so.
   */
  assumes?: string;
}

/**
 * Links made from the files on both sides: the workflow that builds and deploys the image, a CDK
 * asset, a compose build, or the repository's only service in its only application container (an
 * image of someone else's, such as a public one, is never linked that way).
 */
const PROVEN_LINKS = new Set<ContainerLink['via']>(['dockerfile', 'compose-service', 'only-service']);

/**
 * The report function for findings across a container link: a link that rests on a name carries
 * its assumption into every finding (severity is evidence).
 */
export function linkedReport<M extends string>(report: Report<M>, linked: LinkedContainer): Report<M> {
  if (!linked.assumes) return report;
  return (id, loc, data, options = {}) => report(id, loc, data, { ...options, assumes: options.assumes ?? linked.assumes });
}

/** Containers that run a service of this repository: the only ones a cross-check may judge. */
export function linkedContainers(model: DeploymentModel): LinkedContainer[] {
  const out: LinkedContainer[] = [];
  for (const task of infraOf(model).taskDefinitions) {
    for (const container of task.containers) {
      const link = container.link;
      // A browser app's code runs in the browser: its reads and routes say nothing about the container.
      if (!link || link.service.kind === 'frontend') continue;
      const assumes = PROVEN_LINKS.has(link.via) ? undefined : `that container '${containerName(container)}' runs service '${link.service.name}', which rests on ${link.evidence} only`;
      out.push({ task, container, service: link.service, link, label: `container '${containerName(container)}' (${describeLink(link)})`, ...(assumes ? { assumes } : {}) });
    }
  }
  return out;
}

export function containerName(container: ContainerDefinition): string {
  return known(container.name) ?? 'unnamed';
}

export function related(loc: Loc, message: string): { file: string; line: number; message: string } {
  return { file: loc.file, line: loc.line, message };
}

/**
 * Variables a task never needs to set: the Fargate platform sets them, or the Node image does.
 */
export const PLATFORM_ENV = new Set([
  'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'ECS_CONTAINER_METADATA_URI', 'ECS_CONTAINER_METADATA_URI_V4', 'ECS_AGENT_URI', 'HOSTNAME', 'HOME',
  'PATH', 'PWD', 'NODE_VERSION', 'YARN_VERSION',
]);

/** Variables the service's image sets with ENV in its final stage. */
export function imageEnv(service: Service): Map<string, string> {
  const env = new Map<string, string>();
  for (const dockerfile of service.dockerfiles) {
    const stage = dockerfile.stages[dockerfile.stages.length - 1];
    for (const e of stage?.env ?? []) env.set(e.name, e.value);
  }
  return env;
}

/**
 * The port the app listens on inside this container: a literal, or an environment variable the task
 * sets literally, or the variable's default when the task does not set it. Undefined when unknown.
 */
export function appPorts(service: Service, container: ContainerDefinition): { port: number; loc: Loc; text: string }[] | undefined {
  const out: { port: number; loc: Loc; text: string }[] = [];
  for (const server of service.servers) {
    const p = server.port;
    if (!p) return undefined;
    if (p.env) {
      const set = container.environment.find((e) => e.name === p.env);
      if (set) {
        const v = known(set.value);
        if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
        out.push({ port: Number(v), loc: p.loc, text: `${p.text} with ${p.env}=${v} from the task definition` });
        continue;
      }
      if (!container.environmentComplete || container.environmentFiles.length > 0) return undefined;
      const fromImage = imageEnv(service).get(p.env);
      if (fromImage !== undefined) {
        if (!/^\d+$/.test(fromImage)) return undefined;
        out.push({ port: Number(fromImage), loc: p.loc, text: `${p.text} with ${p.env}=${fromImage} from the Dockerfile` });
        continue;
      }
    }
    if (p.value === undefined) return undefined;
    out.push({ port: p.value, loc: p.loc, text: p.env ? `${p.env} is not set by the task definition or the image, so the default ${p.value} applies` : `app.listen(${p.text})` });
  }
  return out.length > 0 ? out : undefined;
}

/** Does any route answer GET on this path? Express-style `:param` segments and `*` match anything. */
export function servesPath(routes: RouteFact[], path: string): boolean {
  const want = normalizePath(path);
  return routes.some((r) => {
    if (!/^(GET|ALL|USE|HEAD|ANY|\*)$/i.test(r.method)) return false;
    const have = normalizePath(r.path);
    if (have === want) return true;
    const hs = have.split('/');
    const ws = want.split('/');
    if (hs[hs.length - 1] === '*' || hs[hs.length - 1] === '(.*)') {
      const prefix = hs.slice(0, -1);
      return prefix.every((seg, i) => seg === ws[i] || seg.startsWith(':'));
    }
    if (hs.length !== ws.length) return false;
    return hs.every((seg, i) => seg === ws[i] || seg.startsWith(':') || seg.startsWith('{') || seg === '*');
  });
}

/** True when every route path is a plain path the matcher understands. */
export function routesAreReadable(routes: RouteFact[]): boolean {
  return routes.length > 0 && routes.every((r) => r.path.startsWith('/') && !/[()[\]\\^$]/.test(r.path.replace(/\(\.\*\)$/, '')));
}

function normalizePath(p: string): string {
  const path = p.split('?')[0].trim();
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Health check URLs in a container health check command (curl, wget, node -e http.get). */
export function healthCheckUrls(command: string[]): { port?: number; path: string; host: string }[] {
  const text = command.join(' ');
  const out: { port?: number; path: string; host: string }[] = [];
  for (const m of text.matchAll(/https?:\/\/([A-Za-z0-9.[\]:_-]+?)(?::(\d+))?(\/[^\s'"`|&;)]*)?(?=[\s'"`|&;)]|$)/g)) {
    out.push({ host: m[1], port: m[2] ? Number(m[2]) : undefined, path: m[3] ?? '/' });
  }
  return out;
}

/**
 * True when the service is provably deployed by the ECS rolling-update controller (the default).
 * Blue/green (CODE_DEPLOY) and external controllers roll back and shift tasks their own way; an
 * unresolved controller proves nothing.
 */
export function rolledByEcs(service: EcsService): boolean {
  if (!service.deploymentController) return true;
  const controller = known(service.deploymentController);
  return controller !== undefined && controller.toUpperCase() === 'ECS';
}
