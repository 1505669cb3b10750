import type { Dockerfile } from './docker.js';
import type { Loc, Located } from './location.js';
import type { PackageJson } from './packages.js';

/**
 * Services and the facts read from their TypeScript/JavaScript source. Filled by discover/source/.
 * Every fact carries the place it was read, so a cross-file finding can point at the code side.
 */

/** A read of an environment variable. */
export interface EnvRead {
  name: string;
  loc: Loc;
  /**
   * required: the code throws/exits without it, or uses it with no default (`process.env.X!`,
   * a validator's required list); optional: it has a default or is checked before use.
   */
  required: boolean;
  /** The default written next to the read (`process.env.PORT ?? 3000`), when literal. */
  defaultValue?: string;
  /** How it was read, for messages: "process.env.X", "validator list", "destructuring"… */
  via: string;
}

/** A value the code computes from a literal or an environment variable with a default. */
export interface PortOrDuration {
  /** The literal value, when it is one (or the env default). */
  value?: number;
  /** The environment variable it comes from, if any. */
  env?: string;
  /** The source text, for messages. */
  text: string;
  loc: Loc;
}

export interface ServerFact {
  /** `app.listen(...)`, `server.listen(...)`, `fastify.listen(...)`, `NestFactory … app.listen(...)`. */
  framework: string;
  port?: PortOrDuration;
  /** Host argument, when written (`'127.0.0.1'`, `'0.0.0.0'`, `'::'`). */
  host?: Located<string>;
  loc: Loc;
}

export interface RouteFact {
  /** GET, POST, … or ALL. */
  method: string;
  /** Path as registered, with its prefix resolved where it is static. */
  path: string;
  framework: string;
  loc: Loc;
}

export interface SignalHandlerFact {
  signal: 'SIGTERM' | 'SIGINT' | string;
  loc: Loc;
  /** What the handler (transitively, within the file) calls: "server.close", "pool.end", "process.exit"… */
  calls: Located<string>[];
}

export interface ConnectionFact {
  /** pg, prisma, knex, drizzle, mongoose, ioredis, redis, bullmq, … */
  kind: string;
  /** The variable or property it was assigned to, when known. */
  name?: string;
  loc: Loc;
  /** Where it is closed (`pool.end()`, `prisma.$disconnect()`, …), if anywhere. */
  closedAt?: Loc;
}

export interface Service {
  /** Package name, or folder name when the package has none. */
  name: string;
  /** Folder of the service ('' for the repository root). */
  dir: string;
  package?: PackageJson;
  /** http: its entry graph starts a server; worker: it does not; unknown: no entry found. */
  kind: 'http' | 'worker' | 'unknown';
  /** Production entry source files and how each was found ("Dockerfile CMD", "package.json main", …). */
  entries: { file: string; via: string; loc?: Loc }[];
  /** Dockerfiles that build this service. */
  dockerfiles: Dockerfile[];
  env: EnvRead[];
  servers: ServerFact[];
  routes: RouteFact[];
  signalHandlers: SignalHandlerFact[];
  /** Shutdown deadlines the code sets (e.g. a forced exit after 30 s), in milliseconds. */
  shutdownTimeouts: PortOrDuration[];
  connections: ConnectionFact[];
}

/** Paths a load balancer or container health check is likely to use. */
export function healthRoutes(service: Service): RouteFact[] {
  return service.routes.filter((r) => /(health|healthz|ready|readiness|live|liveness|ping|status)/i.test(r.path));
}
