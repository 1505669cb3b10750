import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import type { Dockerfile } from '../../model/docker.js';
import type { PackageJson } from '../../model/packages.js';
import type { ExternalImport, ImportStep, Service } from '../../model/source.js';
import { splitShell } from '../../model/shell.js';
import {
  containerCommand,
  owningPackage,
  repoPathsForContainerPath,
  scriptFileOf,
  sourceFileFor,
  SOURCE_EXTENSIONS,
  tsconfigDirs,
  type EntryCandidate,
} from './entries.js';
import { analyseFile, type FileJob, type FileResult } from './analyse.js';
import { emptyFacts, emptyFieldFacts, type CloseCall, type FileFacts } from './facts.js';
import { conventionEntries, enabledDetectors, FRONTEND_PACKAGES, SERVER_PACKAGES, WORKER_PACKAGES } from './frameworks/index.js';

const BUILTINS = new Set(builtinModules);

/** Names under which code keeps its HTTP server: their close() stops the server, not a connection. */
const SERVER_LIKE = /^(server|httpServer|httpsServer|app|application|fastify|instance|io|wss|srv)$/i;

/** Adapters that run an HTTP framework inside AWS Lambda. */
const LAMBDA_ADAPTERS = new Set(['serverless-http', '@vendia/serverless-express', '@codegenie/serverless-express', 'aws-serverless-express', '@fastify/aws-lambda']);

/** A service in the making: its package, its entries and the Dockerfiles that run it. */
interface Candidate {
  pkg: PackageJson | undefined;
  dir: string;
  entries: EntryCandidate[];
  dockerfiles: Dockerfile[];
  /** Browser code lives in it (a front-end package, or the client folder of a full-stack one). */
  frontend: boolean;
  /** It depends on a server framework (Express, Nest, Next…). */
  serverFramework: boolean;
  /** Set when the package runs as several services (one per image entry): the entry's name. */
  variant?: string;
}

/** Services, their production entries, module graphs and the facts read from their source. */
export async function discoverSources(model: DeploymentModel): Promise<void> {
  const packagesByDir = new Map(model.packages.map((p) => [p.dir, p]));
  const tsconfigCache = new Map<string, ReturnType<typeof tsconfigDirs>>();
  const depsCache = new Map<string, Set<string>>();
  /** Dependencies available to a package: its own and its project root's (hoisted in a workspace). */
  const depsOf = (pkg: PackageJson | undefined): Set<string> => {
    if (!pkg) return new Set();
    const cached = depsCache.get(pkg.path);
    if (cached) return cached;
    const deps = new Set(pkg.dependencies.keys());
    const root = packagesByDir.get(pkg.projectDir);
    if (root && root !== pkg) for (const d of root.dependencies.keys()) deps.add(d);
    depsCache.set(pkg.path, deps);
    return deps;
  };

  const devCache = new Map<string, string[]>();
  /** Packages a production install of this package leaves out. */
  const devOnlyPackages = (pkg: PackageJson | undefined): string[] => {
    if (!pkg) return [];
    const cached = devCache.get(pkg.path);
    if (cached) return cached;
    const root = packagesByDir.get(pkg.projectDir);
    const out: string[] = [];
    for (const p of root && root !== pkg ? [pkg, root] : [pkg]) {
      for (const dep of p.dependencies.values()) {
        if (dep.kind === 'devDependencies' && !pkg.dependencies.get(dep.name)?.kind.match(/^(dependencies|optionalDependencies|peerDependencies)$/)) out.push(dep.name);
      }
    }
    devCache.set(pkg.path, out);
    return out;
  };

  const candidates = findCandidates(model, packagesByDir, tsconfigCache, depsOf);
  if (candidates.length === 0) return;

  // Heavy native modules are loaded only when the repository has services to read.
  const [{ parseSync }, { ResolverFactory }] = await Promise.all([import('oxc-parser'), import('oxc-resolver')]);
  const resolver = new ResolverFactory({
    tsconfig: 'auto',
    conditionNames: ['node', 'import', 'require', 'default'],
    extensions: [...SOURCE_EXTENSIONS, '.json', '.node'],
    extensionAlias: { '.js': ['.ts', '.tsx', '.js', '.jsx'], '.mjs': ['.mts', '.mjs'], '.cjs': ['.cts', '.cjs'] },
    mainFields: ['main', 'module'],
    builtinModules: true,
  });

  const workspaceByName = new Map<string, PackageJson>();
  for (const p of model.packages) if (p.name) workspaceByName.set(p.name.value, p);

  const factsCache = new Map<string, FileFacts>();
  const jobFor = (file: string, browser: boolean): FileJob | undefined => {
    const text = model.files.read(file);
    if (text === undefined) return undefined;
    const pkg = owningPackage(packagesByDir, file);
    const detectorNames = enabledDetectors(depsOf(pkg)).map((d) => d.name);
    return { file, text, detectorNames, devPackages: devOnlyPackages(pkg), browser };
  };
  const store = (result: FileResult) => {
    if (result.problem) model.problems.push({ kind: 'parse-error', artifact: 'source file', message: result.problem, loc: { file: result.file, line: 1 } });
    factsCache.set((result.browser ? 'browser:' : '') + result.file, result.facts);
  };
  const factsOf = (file: string, browser: boolean): FileFacts => {
    const key = (browser ? 'browser:' : '') + file;
    const cached = factsCache.get(key);
    if (cached) return cached;
    const job = jobFor(file, browser);
    if (!job) {
      factsCache.set(key, emptyFacts());
      return factsCache.get(key)!;
    }
    store(analyseFile(parseSync, job));
    return factsCache.get(key)!;
  };

  const resolveCache = new Map<string, Resolved>();
  const resolveImport = (from: string, specifier: string): Resolved => {
    const key = `${posix.dirname(from)}\0${specifier}`;
    const cached = resolveCache.get(key);
    if (cached) return cached;
    const result = resolveUncached(from, specifier);
    resolveCache.set(key, result);
    return result;
  };
  // tsconfig `paths`/`baseUrl` can turn a bare specifier into a repository file: only then is the
  // native resolver needed for one; otherwise its package name is all there is to know.
  const pathAliases = model.files.paths.some((p) => /(^|\/)[tj]sconfig[^/]*\.json$/.test(p) && /"(paths|baseUrl)"\s*:/.test(model.files.read(p) ?? ''));
  const resolveUncached = (from: string, specifier: string): Resolved => {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/');
    if (bare && (specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]))) return { kind: 'builtin' };
    if (!bare) {
      const local = resolveRelative(model, from, specifier);
      if (local) return local;
    } else if (!pathAliases && !specifier.startsWith('#')) {
      return resolveBare(specifier);
    }
    const res = resolver.resolveFileSync(join(model.root, from), specifier);
    if (res.builtin) return { kind: 'builtin' };
    if (res.path) {
      const rel = relative(model.root, res.path).split(sep).join('/');
      if (!rel.startsWith('..') && !rel.split('/').includes('node_modules')) {
        const source = sourceFileFor(model, rel, owningPackage(packagesByDir, rel), tsconfigCache) ?? rel;
        return SOURCE_EXTENSIONS.some((e) => source.endsWith(e)) && !/\.d\.[cm]?ts$/.test(source) ? { kind: 'file', file: source } : { kind: 'asset' };
      }
    }
    if (!bare) return { kind: 'unresolved' };
    return resolveBare(specifier);
  };
  const resolveBare = (specifier: string): Resolved => {
    const name = packageNameOf(specifier);
    if (!name) return { kind: 'unresolved' };
    const workspace = workspaceByName.get(name);
    if (workspace) {
      const file = workspaceEntry(model, workspace, specifier.slice(name.length), tsconfigCache);
      return file ? { kind: 'file', file } : { kind: 'unresolved' };
    }
    return { kind: 'package', name };
  };

  for (const c of candidates) {
    const service = buildService(c, model, factsOf, resolveImport, packagesByDir);
    model.services.push(service);
  }
}

/**
 * A relative import resolved against the file index, the way Node and TypeScript do it: the file
 * itself, its TypeScript twin for a `.js` specifier, an added extension, or the folder's index.
 * Undefined when none exists (the native resolver then has the last word).
 */
function resolveRelative(model: DeploymentModel, from: string, specifier: string): Resolved | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\/$/, '');
  if (base.startsWith('..')) return undefined;
  const files = model.files;
  const isSource = (p: string) => SOURCE_EXTENSIONS.some((e) => p.endsWith(e)) && !/\.d\.[cm]?ts$/.test(p);
  if (files.has(base)) return isSource(base) ? { kind: 'file', file: base } : { kind: 'asset' };
  const twin = /\.(c|m)?jsx?$/.exec(base);
  if (twin) {
    const stem = base.slice(0, -twin[0].length);
    for (const ext of twin[1] === 'm' ? ['.mts'] : twin[1] === 'c' ? ['.cts'] : ['.ts', '.tsx']) if (files.has(stem + ext)) return { kind: 'file', file: stem + ext };
  }
  for (const ext of SOURCE_EXTENSIONS) if (files.has(base + ext)) return { kind: 'file', file: base + ext };
  for (const ext of SOURCE_EXTENSIONS) if (files.has(`${base}/index${ext}`)) return { kind: 'file', file: `${base}/index${ext}` };
  if (files.has(base + '.json')) return { kind: 'asset' };
  return undefined;
}

type Resolved = { kind: 'file'; file: string } | { kind: 'package'; name: string } | { kind: 'builtin' } | { kind: 'asset' } | { kind: 'unresolved' };

/** `@scope/name/sub` → `@scope/name`; undefined for what cannot be an npm package (`@/lib`, `~/x`, `#internal`). */
function packageNameOf(specifier: string): string | undefined {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name) ? name : undefined;
}

/** The source file behind a workspace package import (`@org/shared`, `@org/shared/worker`). */
function workspaceEntry(model: DeploymentModel, pkg: PackageJson, subpath: string, cache: Map<string, ReturnType<typeof tsconfigDirs>>): string | undefined {
  const text = model.files.read(pkg.path);
  let targets: string[] = [];
  try {
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const key = subpath ? `.${subpath}` : '.';
    const exportsField = json.exports;
    const pick = (v: unknown): string[] => {
      if (typeof v === 'string') return [v];
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        return ['source', 'node', 'import', 'require', 'default', 'types'].flatMap((k) => (k in o ? pick(o[k]) : []));
      }
      return [];
    };
    if (typeof exportsField === 'string' && !subpath) targets = [exportsField];
    else if (exportsField && typeof exportsField === 'object') {
      const e = exportsField as Record<string, unknown>;
      targets = key in e ? pick(e[key]) : !subpath && !Object.keys(e).some((k) => k.startsWith('.')) ? pick(e) : [];
      if (targets.length === 0 && subpath) {
        // Subpath patterns: "./*": "./dist/*.js", "./utils/*": { "import": "./dist/utils/*.mjs" }
        for (const [pattern, value] of Object.entries(e)) {
          const star = pattern.indexOf('*');
          if (star < 0) continue;
          const [before, after] = [pattern.slice(0, star), pattern.slice(star + 1)];
          if (!key.startsWith(before) || !key.endsWith(after) || key.length < before.length + after.length) continue;
          const matched = key.slice(before.length, key.length - after.length);
          targets = pick(value).map((t) => t.split('*').join(matched));
          break;
        }
      }
    }
    if (!subpath) for (const f of ['source', 'main', 'module']) if (typeof json[f] === 'string') targets.push(json[f] as string);
    if (subpath) targets.push(subpath.slice(1));
  } catch {
    // An unreadable package.json is reported by the packages discoverer.
  }
  targets.push(subpath ? `src${subpath}` : 'src/index.ts', 'index.ts', 'index.js');
  for (const t of targets) {
    const file = sourceFileFor(model, posix.normalize(posix.join(pkg.dir, t.replace(/\.d\.ts$/, '.js'))), pkg, cache);
    if (file && model.files.has(file)) return file;
  }
  return undefined;
}

function findCandidates(
  model: DeploymentModel,
  packagesByDir: Map<string, PackageJson>,
  tsconfigCache: Map<string, ReturnType<typeof tsconfigDirs>>,
  depsOf: (pkg: PackageJson | undefined) => Set<string>,
): Candidate[] {
  const byDir = new Map<string, Candidate>();
  const candidateFor = (pkg: PackageJson | undefined, dir: string): Candidate => {
    let c = byDir.get(dir);
    if (!c) {
      c = { pkg, dir, entries: [], dockerfiles: [], frontend: false, serverFramework: false };
      byDir.set(dir, c);
    }
    return c;
  };
  const addEntry = (c: Candidate, e: EntryCandidate) => {
    if (!c.entries.some((x) => x.file === e.file)) c.entries.push(e);
  };
  const packageDirs = [...packagesByDir.keys()];

  /** The entry a script of a package runs (`npm start` → `node dist/server.js` → src/server.ts). */
  const entryOfScript = (pkg: PackageJson, scriptName: string, depth = 0): string | undefined => {
    const script = pkg.scripts.get(scriptName);
    if (!script || depth > 3) return undefined;
    for (const cmd of splitShell(script.value)) {
      const target = scriptFileOf(cmd.argv);
      if (!target) continue;
      if ('file' in target) {
        const file = sourceFileFor(model, posix.join(pkg.dir, target.file), pkg, tsconfigCache);
        if (file && model.files.has(file)) return file;
      } else if ('script' in target) {
        const nested = entryOfScript(pkg, target.script, depth + 1);
        if (nested) return nested;
      } else {
        const main = ['src/main.ts', 'src/main.js'].map((f) => (pkg.dir ? `${pkg.dir}/${f}` : f)).find((f) => model.files.has(f));
        if (main) return main;
      }
    }
    return undefined;
  };

  // 1. What the containers run.
  for (const dockerfile of model.dockerfiles) {
    const command = containerCommand(dockerfile);
    if (!command) continue;
    const target = scriptFileOf(command.argv);
    if (!target) continue;
    let found: { file: string; pkg: PackageJson | undefined } | undefined;
    if ('file' in target) {
      for (const path of repoPathsForContainerPath(dockerfile, command.workdir, target.file, packageDirs)) {
        const pkg = owningPackage(packagesByDir, path);
        const file = sourceFileFor(model, path, pkg, tsconfigCache);
        if (file && model.files.has(file)) {
          found = { file, pkg: owningPackage(packagesByDir, file) };
          break;
        }
      }
    } else {
      // `npm start` / `nest start`: the package at the WORKDIR of the build context.
      const pkgs = [
        ...packageDirs.filter((d) => d && (command.workdir === `/${d}` || command.workdir.endsWith(`/${d}`))),
        ...dockerfile.contexts.map((c) => c.dir),
        dockerfile.dir,
      ]
        .map((d) => packagesByDir.get(d))
        .filter((p): p is PackageJson => !!p);
      for (const pkg of pkgs) {
        const file = 'script' in target ? entryOfScript(pkg, target.script) : entryOfScript(pkg, 'start');
        if (file) {
          found = { file, pkg };
          break;
        }
      }
    }
    if (!found) continue;
    const dir = found.pkg?.dir ?? posix.dirname(found.file);
    // One package, several images (an API and a worker from the same code): one service per entry.
    const primary = byDir.get(dir);
    const separate = primary && primary.entries.length > 0 && !primary.entries.some((e) => e.file === found.file);
    const c = separate ? candidateFor(found.pkg, `${dir}#${found.file}`) : candidateFor(found.pkg, dir);
    if (separate) {
      c.dir = dir;
      c.variant = posix.basename(found.file).replace(/\.[^.]+$/, '');
    }
    addEntry(c, { file: found.file, via: `${dockerfile.path} ${command.spec.form === 'exec' ? 'CMD' : 'CMD (shell form)'}`, loc: command.spec.loc });
    if (!c.dockerfiles.includes(dockerfile)) c.dockerfiles.push(dockerfile);
  }

  // 2. What the packages say they run, and the frameworks' conventions.
  const dependedOn = new Set<string>();
  for (const p of model.packages) for (const d of p.dependencies.keys()) dependedOn.add(d);
  for (const pkg of model.packages) {
    const deps = depsOf(pkg);
    const ownDeps = new Set(pkg.dependencies.keys());
    const isWorkspaceRoot = pkg.workspaces.length > 0 || model.projects.some((p) => p.dir === pkg.dir && p.members.length > 1);
    const hasServerDep = [...ownDeps].some((d) => SERVER_PACKAGES.has(d));
    const hasWorkerDep = [...ownDeps].some((d) => WORKER_PACKAGES.has(d));
    const hasFrontendDep = [...ownDeps].some((d) => FRONTEND_PACKAGES.has(d));
    const isLibrary = !!pkg.name && dependedOn.has(pkg.name.value);
    // A Lambda handler (serverless-http and friends) has no process to stop: not a container service.
    const isLambda = [...ownDeps].some((d) => LAMBDA_ADAPTERS.has(d));
    const existing = byDir.get(pkg.dir);
    if (isLambda && !existing) continue;
    if (hasFrontendDep && !hasServerDep && !existing) {
      candidateFor(pkg, pkg.dir).frontend = true;
      continue;
    }
    if (hasFrontendDep && hasServerDep) candidateFor(pkg, pkg.dir).frontend = true; // a full-stack package: its client code is read as browser code
    const startEntry = entryOfScript(pkg, 'start') ?? entryOfScript(pkg, 'start:prod');
    const wanted = existing || ((startEntry || hasServerDep || hasWorkerDep) && !isLibrary && !(isWorkspaceRoot && !startEntry));
    if (!wanted) continue;
    const c = candidateFor(pkg, pkg.dir);
    for (const other of byDir.values()) if (other.dir === pkg.dir) other.serverFramework = hasServerDep;
    // What the image runs wins over scripts.start: only a package no Dockerfile runs takes its entry from there.
    if (startEntry && c.dockerfiles.length === 0) addEntry(c, { file: startEntry, via: 'package.json scripts.start', loc: pkg.scripts.get('start')?.loc ?? pkg.scripts.get('start:prod')?.loc });
    if (c.entries.length === 0 && pkg.main) {
      const file = sourceFileFor(model, posix.join(pkg.dir, pkg.main.value), pkg, tsconfigCache);
      if (file && model.files.has(file)) addEntry(c, { file, via: 'package.json main', loc: pkg.main.loc });
    }
    if (c.entries.length === 0) {
      for (const rel of conventionEntries(deps)) {
        const file = pkg.dir ? `${pkg.dir}/${rel}` : rel;
        if (model.files.has(file)) {
          addEntry(c, { file, via: 'framework convention' });
          break;
        }
      }
    }
    if (c.entries.length === 0 && !hasServerDep && !hasWorkerDep && !c.dockerfiles.length) byDir.delete(pkg.dir);
  }
  // A Dockerfile whose command names no file (pm2-runtime ecosystem.config.js, a shell script) still
  // builds the package it sits in, or the package its build context is.
  const linked = new Set([...byDir.values()].flatMap((c) => c.dockerfiles));
  for (const dockerfile of model.dockerfiles) {
    if (linked.has(dockerfile)) continue;
    const dirs = [dockerfile.dir, ...dockerfile.contexts.map((c) => c.dir)];
    const owner = dirs.map((d) => byDir.get(d)).find((c) => !!c);
    if (owner) owner.dockerfiles.push(dockerfile);
  }
  return [...byDir.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}

function buildService(
  c: Candidate,
  model: DeploymentModel,
  factsOf: (file: string, browser: boolean) => FileFacts,
  resolveImport: (from: string, specifier: string) => Resolved,
  packagesByDir: Map<string, PackageJson>,
): Service {
  const service: Service = {
    name: (c.pkg?.name?.value ?? (c.dir ? posix.basename(c.dir) : posix.basename(model.root))) + (c.variant ? ` (${c.variant})` : ''),
    dir: c.dir,
    ...(c.pkg ? { package: c.pkg } : {}),
    kind: 'unknown',
    entries: c.entries.map((e) => ({ file: e.file, via: e.via, ...(e.loc ? { loc: e.loc } : {}) })),
    dockerfiles: c.dockerfiles,
    env: [],
    servers: [],
    routes: [],
    signalHandlers: [],
    shutdownTimeouts: [],
    connections: [],
    files: [],
    externalImports: [],
    tls: [],
    cors: [],
    logFiles: [],
    clientUrls: [],
    backgroundWork: [],
    ...emptyFieldFacts(),
  };

  // Breadth-first from the entries, so the chain kept for each module is a shortest one.
  const reached = new Map<string, { chain: ImportStep[]; dynamic: boolean }>();
  const queue: string[] = [];
  for (const e of c.entries) {
    if (!reached.has(e.file)) {
      reached.set(e.file, { chain: [], dynamic: false });
      queue.push(e.file);
    }
  }
  const external = new Map<string, ExternalImport>();
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    const here = reached.get(file)!;
    const facts = factsOf(file, false);
    for (const site of facts.imports) {
      if (site.devOnly) continue;
      const resolved = resolveImport(file, site.specifier);
      const step: ImportStep = { file, line: site.line, specifier: site.specifier, kind: site.kind };
      const dynamic = here.dynamic || site.kind === 'dynamic';
      if (resolved.kind === 'file') {
        const seen = reached.get(resolved.file);
        if (!seen) {
          reached.set(resolved.file, { chain: [...here.chain, step], dynamic });
          queue.push(resolved.file);
        } else if (seen.dynamic && !dynamic) {
          // A static path beats a dynamic one found first: the module is loaded at startup.
          seen.dynamic = false;
          seen.chain = [...here.chain, step];
        }
      } else if (resolved.kind === 'package') {
        const owner = owningPackage(packagesByDir, file);
        const key = `${resolved.name}\0${owner?.path ?? ''}`;
        const prev = external.get(key);
        if (!prev || (prev.viaDynamicImport && !dynamic)) {
          external.set(key, { packageName: resolved.name, ownerPackage: owner?.path ?? '', chain: [...here.chain, step], viaDynamicImport: dynamic });
        }
      }
    }
  }
  service.files = queue;
  service.externalImports = [...external.values()];

  const closes: CloseCall[] = [];
  for (const file of queue) {
    const f = factsOf(file, false);
    service.env.push(...f.env);
    // Copies: the port may be completed from this service's env defaults; the file's facts are shared.
    service.servers.push(...f.servers.map((x) => ({ ...x, ...(x.port ? { port: { ...x.port } } : {}) })));
    service.routes.push(...f.routes);
    service.signalHandlers.push(...f.signalHandlers);
    service.shutdownTimeouts.push(...f.shutdownTimeouts.map((x) => ({ ...x })));
    service.connections.push(...f.connections.map((x) => ({ ...x })));
    service.tls.push(...f.tls);
    service.cors.push(...f.cors);
    service.logFiles.push(...f.logFiles);
    service.backgroundWork.push(...f.backgroundWork);
    service.serverTimeouts.push(...f.serverTimeouts.map((x) => ({ ...x, value: { ...x.value } })));
    service.gateMiddleware.push(...f.gateMiddleware);
    service.trustProxy.push(...f.trustProxy);
    service.proxyDependentUses.push(...f.proxyDependentUses);
    service.realtimeServers.push(...f.realtimeServers);
    service.realtimeAdapters.push(...f.realtimeAdapters);
    service.sessionStores.push(...f.sessionStores);
    closes.push(...f.closes);
  }
  // A port or deadline read from a variable takes the default the code gives that variable elsewhere
  // (`PORT: z.coerce.number().default(3000)` in the config schema, `listen(config.PORT)` in the server).
  for (const value of [...service.servers.map((s) => s.port), ...service.shutdownTimeouts, ...service.serverTimeouts.map((t) => t.value)]) {
    if (!value || value.value !== undefined || !value.env) continue;
    const fallback = service.env.find((e) => e.name === value.env && e.defaultValue !== undefined && /^\d+(\.\d+)?$/.test(e.defaultValue));
    if (fallback) value.value = Number(fallback.defaultValue);
  }
  // `close()` of a connection wrapper closes nothing unless someone calls it: a call of that name on
  // something other than the HTTP server (whose own close() is a different thing), or from a signal handler.
  const connectionNames = new Set(service.connections.map((c) => c.name).filter((n): n is string => !!n && n !== 'this'));
  const otherReceiver = (object: string) => {
    const last = object.split('.').pop() ?? '';
    return object !== 'this' && !SERVER_LIKE.test(last) && !connectionNames.has(last); // `publishQueue.close()` closes the queue, not the wrapper
  };
  const wrapperCalled = (wrapper: string, except: CloseCall): boolean =>
    closes.some((o) => o !== except && o.method === wrapper && otherReceiver(o.object)) ||
    service.signalHandlers.some((h) => h.calls.some((c) => c.value === wrapper || (c.value.endsWith(`.${wrapper}`) && otherReceiver(c.value.slice(0, -wrapper.length - 1)))));
  for (const conn of service.connections) {
    const name = conn.name;
    const close = closes.find((cl) => {
      if (!conn.closeMethods.includes(cl.method)) return false;
      if (cl.wrapper && !wrapperCalled(cl.wrapper, cl)) return false;
      if (conn.kind === 'mongoose' && /^mongoose(\.connection)?$/.test(cl.object)) return true;
      if (name === 'this') return cl.loc.file === conn.loc.file && cl.object === 'this';
      // A client made by a factory (`return new Pool()`) has no name here: any close of its kind counts.
      if (!name) return true;
      const last = cl.object.split('.').pop();
      return last === name || cl.object === name || cl.object.includes(name);
    });
    if (close) conn.closedAt = close.loc;
  }

  if (c.frontend) {
    const inGraph = new Set(queue);
    for (const file of model.files.under(c.dir)) {
      if (inGraph.has(file) || !isBrowserSourceFile(model, file, c)) continue;
      service.clientUrls.push(...factsOf(file, true).clientUrls);
    }
  }

  if (service.servers.length > 0) service.kind = 'http';
  else if (service.entries.length > 0) service.kind = 'worker';
  else if (c.frontend && !c.serverFramework) service.kind = 'frontend';
  return service;
}

const TEST_OR_CONFIG = /(^|\/)(__tests__|__mocks__|tests?|e2e|cypress|playwright|stories|node_modules)\/|\.(test|spec|stories|config|d)\.[cm]?[jt]sx?$|(^|\/)(vite|vitest|jest|webpack|rollup|tailwind|postcss|eslint|next)\.config\./;

/** Browser code of a front-end or full-stack package: component files and files that use window/location/import.meta.env. */
function isBrowserSourceFile(model: DeploymentModel, file: string, c: Candidate): boolean {
  if (!/\.[cm]?[jt]sx?$/.test(file) || TEST_OR_CONFIG.test(file)) return false;
  // Another package nested inside this one owns its own files.
  if (c.pkg && owningDir(model, file) !== c.dir) return false;
  if (/\.[jt]sx$/.test(file)) return true;
  const text = model.files.read(file);
  return text !== undefined && /\bwindow\.|\blocation\.(host|hostname|protocol|port)\b|import\.meta\.env|\bdocument\./.test(text);
}

function owningDir(model: DeploymentModel, file: string): string {
  let dir = posix.dirname(file);
  for (;;) {
    const d = dir === '.' ? '' : dir;
    if (model.files.has(d ? `${d}/package.json` : 'package.json')) return d;
    if (d === '') return '';
    dir = posix.dirname(dir);
  }
}
