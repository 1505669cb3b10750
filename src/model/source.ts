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
  /**
   * The code stops without it: a validator schema or list, a throwing helper, `getOrThrow`, or
   * `if (!process.env.X) throw`. A plain read with no default is required but not enforced: the
   * code runs on with undefined.
   */
  enforced?: boolean;
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
  /** The host is an environment variable and `host` is its default (`process.env.HOST ?? '127.0.0.1'`). */
  hostEnv?: string;
  loc: Loc;
}

export interface RouteFact {
  /** GET, POST, … or ALL. */
  method: string;
  /** Path as registered, with its prefix resolved where it is static. */
  path: string;
  framework: string;
  loc: Loc;
  /**
   * The handler only writes a response: it calls nothing else and awaits nothing. Right for a
   * liveness route, empty for a readiness route. Undefined when the handler is not inline.
   */
  answersOnly?: boolean;
  /** The object it was registered on (`app`, `router`), for ordering it against middleware. */
  on?: string;
  /**
   * A static-file middleware mounted at this path (`app.use(express.static('public'))`): it answers
   * GET with the files of its folder (index.html at `/`) without running any code of the service.
   */
  static?: boolean;
}

/** A timeout written on an HTTP server: `server.keepAliveTimeout = 65000`, `fastify({ keepAliveTimeout })`. */
export interface ServerTimeoutFact {
  setting: 'keepAliveTimeout' | 'headersTimeout';
  /** Milliseconds, as the code computes them (literal, or env variable with default). */
  value: PortOrDuration;
  /** How it was set, for messages: "assignment", "fastify option", "createServer option"… */
  via: string;
  loc: Loc;
}

/**
 * A middleware that can answer a request before the routes registered after it: an HTTPS redirect,
 * an authentication gate or a host allow-list. Registered in order (`app.use`), so its position
 * against the health route decides what the load balancer's probe gets.
 */
export interface GateMiddlewareFact {
  kind: 'https-redirect' | 'auth' | 'host-check';
  /** The middleware as written (`enforce.HTTPS({ trustProtoHeader: true })`, `requireAuth`). */
  text: string;
  /** Why it counts ("express-sslify", "answers 401", "name of an imported middleware"). */
  evidence: string;
  /** The object it was registered on (`app`, `router`); undefined for a global registration (Nest `app.use` in main). */
  on?: string;
  /** Mount path (`app.use('/api', auth)`); undefined means every path. */
  mountPaths?: string[];
  /** Framework that registered it: express (ordered with the routes of the same object) or nest (global: before every controller). */
  framework: 'express' | 'nest';
  loc: Loc;
}

/** A use of the client's address or scheme that is wrong behind a proxy unless the app trusts it. */
export interface ProxyDependentUse {
  kind: 'req.ip' | 'req.protocol' | 'req.secure' | 'rate-limit' | 'secure-cookie';
  text: string;
  loc: Loc;
}

/** A socket.io server (`new Server(httpServer)`, `require('socket.io')(server)`, Nest `@WebSocketGateway`). */
export interface RealtimeServerFact {
  library: 'socket.io';
  /** `transports: ['websocket']`: no long-polling handshake spread over several requests. */
  websocketOnly: boolean;
  /** `adapter:` option given to the server. */
  adapterOption: boolean;
  text: string;
  loc: Loc;
}

/** A server-side session middleware and where it keeps sessions. */
export interface SessionStoreFact {
  /** express-session, @fastify/session, … */
  library: string;
  /** The `store:` option as written; undefined when absent (the library's in-process MemoryStore). */
  store?: string;
  /** Sessions live in the process: no store, `MemoryStore`, `memorystore`. */
  inMemory: boolean;
  /** `cookie.secure` is true (literally or in production); undefined when unknown or false. */
  secureCookie?: Loc;
  /** `proxy: true`: the library trusts X-Forwarded-Proto itself. */
  trustsProxy: boolean;
  loc: Loc;
}

export interface SignalHandlerFact {
  signal: 'SIGTERM' | 'SIGINT' | string;
  loc: Loc;
  /** What the handler (transitively, within the file) calls: "server.close", "pool.end", "process.exit"… */
  calls: Located<string>[];
  /** A library or framework does the signal handling ("enableShutdownHooks", "@godaddy/terminus"…). */
  via?: string;
  /**
   * A `process.exit()` statement of the handler's own body, reached without awaiting anything
   * (`server.close(); process.exit(0)`): the process ends before what the handler started finishes.
   */
  exitsAtOnce?: Loc;
}

export interface ConnectionFact {
  /** pg, prisma, knex, drizzle, mongoose, ioredis, redis, bullmq, … */
  kind: string;
  /** The variable or property it was assigned to, when known. */
  name?: string;
  loc: Loc;
  /** Where it is closed (`pool.end()`, `prisma.$disconnect()`, …), if anywhere. */
  closedAt?: Loc;
  /** The source text that opens it, for messages (`new Pool(…)`). */
  text: string;
  /** The methods that close this kind of client (`end` for pg, `$disconnect` for Prisma, …). */
  closeMethods: string[];
}

/** One step of an import chain: `file` imports `specifier` at `line`. */
export interface ImportStep {
  file: string;
  line: number;
  specifier: string;
  /** static: `import`/`export … from`; require: `require()`; dynamic: `import()` outside a development-only branch. */
  kind: 'static' | 'require' | 'dynamic';
}

/**
 * A package (not a file of the repository) that the production module graph loads. The last step
 * of `chain` is the import of the package itself; the steps before it lead there from the entry.
 */
export interface ExternalImport {
  /** npm package name (`vite`, `@vitejs/plugin-react`). */
  packageName: string;
  /** The package.json of the package whose file imports it (its dependencies are what gets installed). */
  ownerPackage: string;
  chain: ImportStep[];
  /** True when every path from the entry to it goes through at least one dynamic `import()`. */
  viaDynamicImport: boolean;
  /** Every import of it sits in a `try` block (`try { nr = require('newrelic') } catch {}`): the code runs on without it. */
  optional?: boolean;
  /**
   * Every import of it names only the types of decorated parameters or properties (`@Req() req:
   * Request`): it is loaded only when the compiler emits those types into decorator metadata.
   */
  metadataOnly?: boolean;
  /**
   * The owning package lists it in peerDependencies (often next to devDependencies, the library
   * pattern): the package that depends on the library is to install it.
   */
  peerOfOwner?: boolean;
  /**
   * Where a lockfile of the repository installs it within reach of the importing file (Node walks up
   * the node_modules folders), read only when the owning package does not declare it for production:
   * npm's `node_modules/<name>` entry (with its dev flag), or a yarn descriptor when yarn's
   * node-modules linker hoists what it installs.
   */
  installedThrough?: { lockfile: string; entry: string; loc: Loc; dev?: boolean };
}

/** TLS certificate verification turned off in code. */
export interface TlsFact {
  /** `rejectUnauthorized: false`, `checkServerIdentity: () => undefined`, `NODE_TLS_REJECT_UNAUTHORIZED = '0'`. */
  setting: 'rejectUnauthorized' | 'checkServerIdentity' | 'NODE_TLS_REJECT_UNAUTHORIZED';
  /** The source text, for messages. */
  text: string;
  /** What the options object configures, when known from its surroundings ("ssl", "pg Pool", "https.Agent"…). */
  context?: string;
  /**
   * The condition of the branch it is set on, when that branch is one of libpq's non-verifying
   * sslmodes chosen by configuration and the code also has a verifying mode
   * (`sslMode === 'require' || sslMode === 'prefer'` next to `verify-full`).
   */
  sslModeBranch?: string;
  loc: Loc;
}

/** A CORS configuration found in code. */
export interface CorsFact {
  /** cors, @fastify/cors, @koa/cors, nest enableCors, header (a hand-written Access-Control-Allow-Origin). */
  library: string;
  /** The origin setting as written ('(default)' when absent). */
  origin: string;
  /** Any origin is allowed: `*`, `true`, absent with a library whose default is `*`, or the request's Origin reflected. */
  anyOrigin: boolean;
  /** `credentials: true` (or `Access-Control-Allow-Credentials: true`). */
  credentials: boolean;
  /** The origin comes from an environment variable with an any-origin default (`process.env.CORS_ORIGIN ?? '*'`). */
  originEnv?: string;
  loc: Loc;
}

/** A log destination that writes to a file in the container. */
export interface LogFileFact {
  /** winston, winston-daily-rotate-file, pino, log4js, bunyan, fs. */
  library: string;
  /** The file name or path as written, when literal. */
  target?: string;
  /** The same logger setup also writes to the console (stdout/stderr). */
  alsoConsole: boolean;
  loc: Loc;
}

/** A URL built in browser code with a fixed backend port (`ws://${host}:8000/...`). */
export interface ClientUrlFact {
  /** The expression as written. */
  text: string;
  port: number;
  loc: Loc;
}

/** The facts read from source code: those of one file, or of all the files of a service. */
export interface SourceFacts {
  env: EnvRead[];
  servers: ServerFact[];
  routes: RouteFact[];
  signalHandlers: SignalHandlerFact[];
  /** Shutdown deadlines the code sets (e.g. a forced exit after 30 s), in milliseconds. */
  shutdownTimeouts: PortOrDuration[];
  connections: ConnectionFact[];
  tls: TlsFact[];
  cors: CorsFact[];
  logFiles: LogFileFact[];
  /** Browser code only (kind frontend, or the client folder of a full-stack package). */
  clientUrls: ClientUrlFact[];
  /** What keeps a worker running: timers, schedulers, queue consumers (`setInterval`, `cron.schedule`, `consumer.run`…). */
  backgroundWork: Located<string>[];
  /** keepAliveTimeout/headersTimeout written on the HTTP server. */
  serverTimeouts: ServerTimeoutFact[];
  /** HTTPS-redirect, auth and host-check middleware, in registration order. */
  gateMiddleware: GateMiddlewareFact[];
  /** `app.set('trust proxy', …)` / `app.enable('trust proxy')`: the value as written. */
  trustProxy: Located<string>[];
  proxyDependentUses: ProxyDependentUse[];
  realtimeServers: RealtimeServerFact[];
  /** `io.adapter(...)`, `app.useWebSocketAdapter(...)`: a shared adapter for socket.io. */
  realtimeAdapters: Located<string>[];
  sessionStores: SessionStoreFact[];
}

export interface Service extends SourceFacts {
  /** Package name, or folder name when the package has none. */
  name: string;
  /** Folder of the service ('' for the repository root). */
  dir: string;
  package?: PackageJson;
  /**
   * http: its entry graph starts a server; worker: it does not; unknown: no entry found;
   * frontend: a browser app (React, Vue, Svelte…) whose code runs in the browser, not in the container.
   */
  kind: 'http' | 'worker' | 'unknown' | 'frontend';
  /** Production entry source files and how each was found ("Dockerfile CMD", "package.json main", …). */
  entries: { file: string; via: string; loc?: Loc }[];
  /** Dockerfiles that build this service. */
  dockerfiles: Dockerfile[];
  /** Source files of the production module graph (entries first). */
  files: string[];
  /** npm packages the production graph loads, each with the chain of imports from an entry. */
  externalImports: ExternalImport[];
}

/** Paths a load balancer or container health check is likely to use. */
export function healthRoutes(service: Service): RouteFact[] {
  return service.routes.filter((r) => /(health|healthz|ready|readiness|live|liveness|ping|status)/i.test(r.path));
}
