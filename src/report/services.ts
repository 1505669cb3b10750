import type { Service } from '../model/source.js';
import { healthRoutes } from '../model/source.js';

/**
 * The `services` section of the JSON report: what shipready understood of each service, so users
 * and later tools can see the facts behind the cross-file findings. "unknown" is said, never guessed.
 */
export function toServiceJson(service: Service): object {
  const server = service.servers[0];
  return {
    name: service.name,
    dir: service.dir,
    kind: service.kind,
    entry: service.entries[0]?.file ?? null,
    entries: service.entries.map((e) => ({ file: e.file, via: e.via })),
    port: server?.port ? { value: server.port.value ?? null, env: server.port.env ?? null, file: server.port.loc.file, line: server.port.loc.line } : 'unknown',
    healthRoutes: healthRoutes(service).map((r) => ({ method: r.method, path: r.path, file: r.loc.file, line: r.loc.line })),
    requiredEnv: service.env.filter((e) => e.required).map((e) => ({ name: e.name, file: e.loc.file, line: e.loc.line, via: e.via })),
    dockerfiles: service.dockerfiles.map((d) => d.path),
  };
}
