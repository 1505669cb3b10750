import type { Service } from '../model/source.js';
import { healthRoutes } from '../model/source.js';
import { deploymentFacts } from '../model/infra.js';

/** The port as far as the code says it: a literal, an env variable with its default, or "unknown". */
function portJson(service: Service): object | string | null {
  if (service.kind !== 'http') return null; // workers and browser apps listen on nothing
  const port = service.servers[0]?.port;
  if (!port || (port.value === undefined && port.env === undefined)) return 'unknown';
  return { value: port.value ?? null, env: port.env ?? null, text: port.text, file: port.loc.file, line: port.loc.line };
}

/**
 * The `services` section of the JSON report: what shipready understood of each service, so users
 * and later tools can see the facts behind the cross-file findings. "unknown" is said, never guessed.
 */
export function toServiceJson(service: Service): object {
  const server = service.servers[0];
  const sigterm = service.signalHandlers.find((h) => h.signal === 'SIGTERM');
  return {
    name: service.name,
    dir: service.dir,
    kind: service.kind,
    framework: server?.framework ?? (service.kind === 'http' ? 'unknown' : null),
    entry: service.entries[0]?.file ?? (service.kind === 'frontend' ? null : 'unknown'),
    entries: service.entries.map((e) => ({ file: e.file, via: e.via })),
    port: portJson(service),
    host: server ? server.host?.value ?? (server.port ? 'all interfaces' : 'unknown') : null,
    healthRoutes: healthRoutes(service).map((r) => ({ method: r.method, path: r.path, file: r.loc.file, line: r.loc.line })),
    requiredEnv: uniqueByName(service.env.filter((e) => e.required)).map((e) => ({ name: e.name, file: e.loc.file, line: e.loc.line, via: e.via })),
    optionalEnv: uniqueByName(service.env.filter((e) => !e.required && !service.env.some((r) => r.required && r.name === e.name))).map((e) => ({
      name: e.name,
      default: e.defaultValue ?? null,
      file: e.loc.file,
      line: e.loc.line,
    })),
    shutdown: sigterm
      ? { signal: 'SIGTERM', file: sigterm.loc.file, line: sigterm.loc.line, via: sigterm.via ?? 'process.on', timeoutMs: service.shutdownTimeouts[0]?.value ?? null }
      : service.kind === 'http' || service.kind === 'worker'
        ? 'none found'
        : null,
    connections: service.connections.map((c) => ({ kind: c.kind, file: c.loc.file, line: c.loc.line, closed: !!c.closedAt })),
    dockerfiles: service.dockerfiles.map((d) => d.path),
    // The task definition containers linked to this service (ecs/aws area), or "unknown".
    deployment: deploymentFacts(service),
    // What the code sets for running behind a load balancer (src/* field rules).
    behindLoadBalancer: behindLoadBalancerJson(service),
    files: service.files.length,
  };
}

/** keep-alive and header timeouts as written (or the framework default), trust proxy, and per-process state. */
function behindLoadBalancerJson(service: Service): object | null {
  if (service.kind !== 'http') return null;
  const timeout = (setting: 'keepAliveTimeout' | 'headersTimeout') => {
    const t = service.serverTimeouts.find((x) => x.setting === setting);
    if (!t) return 'default';
    return { value: t.value.value ?? 'unknown', env: t.value.env ?? null, file: t.loc.file, line: t.loc.line };
  };
  return {
    keepAliveTimeoutMs: timeout('keepAliveTimeout'),
    headersTimeoutMs: timeout('headersTimeout'),
    trustProxy: service.trustProxy.map((t) => ({ value: t.value, file: t.loc.file, line: t.loc.line })),
    gateMiddleware: service.gateMiddleware.map((g) => ({ kind: g.kind, text: g.text, file: g.loc.file, line: g.loc.line })),
    socketIo: service.realtimeServers.map((r) => ({ adapter: r.adapterOption || service.realtimeAdapters.length > 0, websocketOnly: r.websocketOnly, file: r.loc.file, line: r.loc.line })),
    sessionStores: service.sessionStores.map((s) => ({ library: s.library, inMemory: s.inMemory, file: s.loc.file, line: s.loc.line })),
  };
}

function uniqueByName<T extends { name: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((e) => (seen.has(e.name) ? false : (seen.add(e.name), true)));
}
