import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import { contextCopies, finalStage, type Dockerfile } from '../../model/docker.js';
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
import { isRecord, parseJsonDocument } from '../json.js';
import { parse as parseYaml } from 'yaml';
import { emptyFacts, emptyFieldFacts, type CloseCall, type FileFacts } from './facts.js';
import { conventionEntries, enabledDetectors, FRONTEND_PACKAGES, SERVER_PACKAGES, WORKER_PACKAGES } from './frameworks/index.js';

const BUILTINS = new Set(builtinModules);

/** Names under which code keeps its HTTP server: their close() stops the server, not a connection. */
const SERVER_LIKE = /^(server|httpServer|httpsServer|app|application|fastify|instance|io|wss|srv)$/i;

/** Nest lifecycle hooks: Nest calls them when the application closes (on SIGTERM with enableShutdownHooks()). */
const NEST_SHUTDOWN_HOOK = /^(onModuleDestroy|beforeApplicationShutdown|onApplicationShutdown)$/;

/** Libraries a command-line program is built on: argument parsers and interactive prompts. */
const CLI_PACKAGES = new Set(['commander', 'yargs', 'cac', 'meow', 'sade', 'citty', 'clipanion', '@oclif/core', 'vorpal', 'caporal', '@caporal/core']);
const PROMPT_PACKAGES = new Set(['inquirer', '@inquirer/prompts', 'prompts', 'enquirer', '@clack/prompts', 'readline-sync']);

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
  const packagesByDir = new Map(model.packages.filter((p) => !isTemplatePackage(model, p)).map((p) => [p.dir, p]));
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

  const installedCache = new Map<string, string[]>();
  /** Packages a production install of this package provides: its and its root's dependencies, optional and peer dependencies. */
  const installedPackages = (pkg: PackageJson | undefined): string[] | undefined => {
    if (!pkg) return undefined;
    const cached = installedCache.get(pkg.path);
    if (cached) return cached;
    const root = packagesByDir.get(pkg.projectDir);
    const out = new Set<string>();
    for (const p of root && root !== pkg ? [pkg, root] : [pkg]) {
      // A name in both dependencies and devDependencies keeps its runtime kind in the model.
      for (const dep of p.dependencies.values()) if (dep.kind !== 'devDependencies') out.add(dep.name);
    }
    installedCache.set(pkg.path, [...out]);
    return installedCache.get(pkg.path);
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
    const installed = installedPackages(pkg);
    return { file, text, detectorNames, devPackages: devOnlyPackages(pkg), ...(installed ? { installedPackages: installed } : {}), browser };
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
    } else if (specifier.startsWith('#')) {
      const mapped = subpathImport(from, specifier);
      if (mapped) return mapped;
    } else if (!pathAliases) {
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
    // `src/generated/prisma/client` under tsconfig `baseUrl: "./"`, `@/lib/x` under `paths`: a file of the
    // repository that does not exist yet (generated at build time), not an npm package.
    if (pathAlias(from, specifier)) return { kind: 'unresolved' };
    return resolveBare(specifier);
  };

  /**
   * `#src/routes/init.js` through the package.json `imports` of the importing file's package
   * (`"#src/*": "./build/*"`), back to the source file the build output comes from.
   */
  const subpathImport = (from: string, specifier: string): Resolved | undefined => {
    const pkg = owningPackage(packagesByDir, from);
    if (!pkg) return undefined;
    const imports = packageJsonField(model, pkg, 'imports');
    if (!isObject(imports)) return undefined;
    for (const [pattern, value] of Object.entries(imports)) {
      const star = pattern.indexOf('*');
      let matched: string | undefined;
      if (star < 0) matched = pattern === specifier ? '' : undefined;
      else if (specifier.startsWith(pattern.slice(0, star)) && specifier.endsWith(pattern.slice(star + 1))) {
        matched = specifier.slice(star, specifier.length - (pattern.length - star - 1));
      }
      if (matched === undefined) continue;
      for (const target of exportTargets(value)) {
        if (!target.startsWith('./')) continue;
        const file = sourceFileFor(model, posix.normalize(posix.join(pkg.dir, target.split('*').join(matched))), pkg, tsconfigCache);
        if (file && model.files.has(file)) return SOURCE_EXTENSIONS.some((e) => file.endsWith(e)) ? { kind: 'file', file } : { kind: 'asset' };
      }
      return { kind: 'unresolved' };
    }
    return undefined;
  };

  const aliasCache = new Map<string, { baseDirs: string[]; prefixes: string[] }>();
  const pathAlias = (from: string, specifier: string): boolean => {
    const pkg = owningPackage(packagesByDir, from);
    const dirs = [...new Set([pkg?.dir ?? '', pkg?.projectDir ?? ''])];
    const first = specifier.split('/')[0];
    const declared = (name: string) => [pkg, pkg ? packagesByDir.get(pkg.projectDir) : undefined].some((p) => p?.dependencies.has(name));
    for (const dir of dirs) {
      let aliases = aliasCache.get(dir);
      if (!aliases) {
        aliases = tsconfigAliases(model, dir);
        aliasCache.set(dir, aliases);
      }
      if (aliases.prefixes.some((p) => specifier === p || specifier.startsWith(p.endsWith('/') ? p : p + '/'))) return true;
      if (declared(packageNameOf(specifier) ?? first)) continue;
      if (aliases.baseDirs.some((base) => model.files.under(base ? `${base}/${first}` : first).length > 0)) return true;
    }
    return false;
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

  /**
   * Why an entry found from package.json is a command-line program rather than a service: the
   * package's `bin`, a `#!/usr/bin/env node` file built on an argument parser, an interactive
   * program, or a developer script under scripts/ or tools/. What an image runs is a service whatever it is.
   */
  const commandLine = (c: Candidate, entry: EntryCandidate): string | undefined => {
    if (/Dockerfile|CMD/.test(entry.via)) return undefined;
    const pkg = c.pkg;
    if (pkg?.bin.some((b) => sourceFileFor(model, posix.join(pkg.dir, b.value), pkg, tsconfigCache) === entry.file)) return `the "bin" of ${pkg.path}`;
    const rel = pkg?.dir ? entry.file.slice(pkg.dir.length + 1) : entry.file;
    if (/^(scripts?|tools)\//.test(rel)) return 'a developer script';
    const imports = factsOf(entry.file, false).imports.map((i) => packageNameOf(i.specifier) ?? '');
    const prompt = imports.find((i) => PROMPT_PACKAGES.has(i));
    if (prompt) return `an interactive program (${prompt})`;
    const parser = imports.find((i) => CLI_PACKAGES.has(i));
    if (parser && model.files.read(entry.file)?.startsWith('#!')) return `a #! program built on ${parser}`;
    return undefined;
  };

  for (const c of candidates) {
    const kept = c.entries.filter((e) => !commandLine(c, e));
    // A package whose only entries are command-line tools and that no Dockerfile builds runs on a developer's machine.
    if (kept.length === 0 && c.entries.length > 0 && c.dockerfiles.length === 0) continue;
    c.entries = kept;
    const service = buildService(c, model, factsOf, resolveImport, packagesByDir, installedPackages);
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

/**
 * Where a lockfile installs a package within reach of a file: the node_modules entry Node's
 * resolution finds first walking up from the file (npm), or any descriptor of the package when yarn
 * links with node-modules (Yarn 1, or `nodeLinker: node-modules`), which hoists it to the root.
 * pnpm links only what a package declares, and Plug'n'Play refuses undeclared imports: none there.
 */
function installedThrough(model: DeploymentModel, file: string, name: string): ExternalImport['installedThrough'] {
  const projects = model.projects.filter((p) => p.dir === '' || file.startsWith(p.dir + '/')).sort((a, b) => b.dir.length - a.dir.length);
  for (const project of projects) {
    for (const lock of project.lockfiles) {
      const contents = lock.contents();
      if (!contents) continue;
      if (lock.manager === 'npm' && contents.nodes) {
        const rel = lock.dir ? file.slice(lock.dir.length + 1) : file;
        const parts = posix.dirname(rel) === '.' ? [] : posix.dirname(rel).split('/');
        for (let k = parts.length; k >= 0; k--) {
          const base = parts.slice(0, k).join('/');
          const entry = `${base ? base + '/' : ''}node_modules/${name}`;
          const node = contents.nodes.get(entry);
          if (node && !node.link) return { lockfile: lock.path, entry, loc: node.loc, ...(node.dev ? { dev: true } : {}) };
        }
      } else if (lock.manager === 'yarn' && contents.descriptors && yarnNodeModulesLinker(model, project.dir, contents.version)) {
        for (const [descriptor, loc] of contents.descriptors) {
          if (descriptor.startsWith(`${name}@`)) return { lockfile: lock.path, entry: descriptor, loc };
        }
      }
    }
  }
  return undefined;
}

/** Yarn 1 always installs into node_modules; Yarn 2+ only with `nodeLinker: node-modules` in .yarnrc.yml (Plug'n'Play by default). */
function yarnNodeModulesLinker(model: DeploymentModel, dir: string, version: string | undefined): boolean {
  if (version === '1') return true;
  const path = dir ? `${dir}/.yarnrc.yml` : '.yarnrc.yml';
  const text = model.files.read(path);
  if (text === undefined) return false;
  try {
    const config = parseYaml(text) as unknown;
    return isObject(config) && config.nodeLinker === 'node-modules';
  } catch {
    return false;
  }
}

const packageJsonTexts = new WeakMap<DeploymentModel, Map<string, Record<string, unknown>>>();

/** A package.json as plain JSON (fields the package model does not keep: `imports`, `peerDependencies` next to devDependencies). */
function packageJsonOf(model: DeploymentModel, pkg: PackageJson): Record<string, unknown> {
  let cache = packageJsonTexts.get(model);
  if (!cache) packageJsonTexts.set(model, (cache = new Map()));
  let json = cache.get(pkg.path);
  if (!json) {
    try {
      const parsed = JSON.parse(model.files.read(pkg.path) ?? '{}') as unknown;
      json = isObject(parsed) ? parsed : {};
    } catch {
      json = {}; // an unreadable package.json is reported by the packages discoverer
    }
    cache.set(pkg.path, json);
  }
  return json;
}

function packageJsonField(model: DeploymentModel, pkg: PackageJson, field: string): unknown {
  return packageJsonOf(model, pkg)[field];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** The paths an `exports`/`imports` value can stand for, in the order Node tries the conditions it knows. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (isObject(value)) return ['source', 'node', 'import', 'require', 'default'].flatMap((k) => (k in value ? exportTargets(value[k]) : []));
  return [];
}

/**
 * A package.json inside the source folder of another package, that no workspace lists: a file a
 * code generator copies into what it generates (`src/admin/package-json/package.json`, named
 * "admin-template"), not the boundary of the files around it.
 */
function isTemplatePackage(model: DeploymentModel, pkg: PackageJson): boolean {
  if (!pkg.dir) return false;
  if (model.projects.some((p) => p.members.includes(pkg))) return false;
  const segments = pkg.dir.split('/');
  // A package at the repository root is left out: `src/lambda/package.json` beside a root package.json is often its own deployable.
  for (let k = 1; k < segments.length; k++) {
    if (segments[k] !== 'src') continue;
    const outer = segments.slice(0, k).join('/');
    if (model.packages.some((p) => p !== pkg && p.dir === outer)) return true;
  }
  return false;
}

/** tsconfig `baseUrl` folders and `paths` prefixes of a package folder (its tsconfig files and the ones they extend in the repository). */
function tsconfigAliases(model: DeploymentModel, dir: string): { baseDirs: string[]; prefixes: string[] } {
  const baseDirs = new Set<string>();
  const prefixes = new Set<string>();
  const read = (path: string, depth: number): void => {
    if (depth > 3 || !model.files.has(path)) return;
    const doc = parseJsonDocument(model.files.read(path) ?? '', path, { allowComments: true });
    if (!isRecord(doc.value)) return;
    const here = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const options = isRecord(doc.value.compilerOptions) ? doc.value.compilerOptions : {};
    if (typeof options.baseUrl === 'string') baseDirs.add(posix.normalize(posix.join(here, options.baseUrl)).replace(/\/$/, '').replace(/^\.$/, ''));
    if (isRecord(options.paths)) for (const key of Object.keys(options.paths)) prefixes.add(key.replace(/\*$/, '').replace(/\/$/, ''));
    if (typeof doc.value.extends === 'string' && doc.value.extends.startsWith('.')) read(posix.normalize(posix.join(here, doc.value.extends.endsWith('.json') ? doc.value.extends : `${doc.value.extends}.json`)), depth + 1);
  };
  for (const name of ['tsconfig.json', 'tsconfig.build.json', 'tsconfig.app.json', 'tsconfig.base.json']) read(dir ? `${dir}/${name}` : name, 0);
  return { baseDirs: [...baseDirs], prefixes: [...prefixes].filter(Boolean) };
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
  const entryOfScript = (start: PackageJson, scriptName: string, depth = 0): string | undefined => scriptEntry(start, scriptName, depth)?.file;
  /** The entry a script runs and the package it runs in (another one after `cd packages/core`). */
  const scriptEntry = (start: PackageJson, scriptName: string, depth = 0): { file: string; pkg: PackageJson } | undefined => {
    const script = start.scripts.get(scriptName);
    if (!script || depth > 3) return undefined;
    // `cd packages/core && npm start`: what follows runs in (and with the scripts of) that package.
    let pkg = start;
    for (const cmd of splitShell(script.value)) {
      if (cmd.argv[0] === 'cd' && cmd.argv[1]) {
        const moved = packagesByDir.get(posix.normalize(posix.join(pkg.dir, cmd.argv[1])).replace(/^\.$/, '').replace(/\/$/, ''));
        if (moved) pkg = moved;
        continue;
      }
      const target = scriptFileOf(cmd.argv);
      if (!target) continue;
      if ('file' in target) {
        // `node .`: the package's main.
        const path = target.file === '.' || target.file === './' ? (pkg.main ? posix.join(pkg.dir, pkg.main.value) : undefined) : posix.join(pkg.dir, target.file);
        const file = path ? sourceFileFor(model, path, pkg, tsconfigCache) : undefined;
        if (file && model.files.has(file)) return { file, pkg };
      } else if ('script' in target) {
        const nested = scriptEntry(pkg, target.script, depth + 1);
        if (nested) return nested;
      } else {
        const main = ['src/main.ts', 'src/main.js'].map((f) => (pkg.dir ? `${pkg.dir}/${f}` : f)).find((f) => model.files.has(f));
        if (main) return { file: main, pkg };
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
      // `COPY app/package*.json ./` then `CMD ["npm", "start"]`: the package the final stage copies into its WORKDIR.
      const stage = finalStage(dockerfile);
      const copied = (stage ? contextCopies(stage) : []).flatMap((copy) =>
        copy.sources
          .map((src) => src.value.replace(/\/?package(\*|-lock)?\.json$/, '').replace(/\/$/, ''))
          .filter((src) => src && src !== '.' && !/[*?[]/.test(src))
          .flatMap((src) => dockerfile.contexts.map((c) => posix.normalize(posix.join(c.dir, src)))),
      );
      const pkgs = [
        ...packageDirs.filter((d) => d && (command.workdir === `/${d}` || command.workdir.endsWith(`/${d}`))),
        ...dockerfile.contexts.map((c) => c.dir),
        dockerfile.dir,
        ...copied,
      ]
        .map((d) => packagesByDir.get(d))
        .filter((p): p is PackageJson => !!p);
      for (const pkg of pkgs) {
        // A root script that changes into a package (`cd packages/core && npm start`) runs that package.
        const started = 'script' in target ? scriptEntry(pkg, target.script) : scriptEntry(pkg, 'start');
        if (started) {
          found = started;
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
  // A template package.json (generated code's, inside another package's src/) is no package to run.
  for (const pkg of packagesByDir.values()) {
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
  installedOf: (pkg: PackageJson | undefined) => string[] | undefined,
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
        const optional = !!site.optional;
        const metadataOnly = !!site.metadataOnly;
        // A required import beats an optional one, a value import one named only in decorator metadata, and a static path a dynamic one.
        const weaker = (p: ExternalImport) => (p.optional ? 2 : 0) + (p.metadataOnly ? 1 : 0);
        const strength = (optional ? 2 : 0) + (metadataOnly ? 1 : 0);
        if (!prev || weaker(prev) > strength || (weaker(prev) === strength && prev.viaDynamicImport && !dynamic)) {
          const peers = owner ? packageJsonField(model, owner, 'peerDependencies') : undefined;
          const declared = owner && installedOf(owner)?.includes(resolved.name);
          const locked = declared ? undefined : installedThrough(model, file, resolved.name);
          external.set(key, {
            packageName: resolved.name,
            ownerPackage: owner?.path ?? '',
            chain: [...here.chain, step],
            viaDynamicImport: dynamic,
            ...(optional ? { optional } : {}),
            ...(metadataOnly ? { metadataOnly } : {}),
            ...(isObject(peers) && resolved.name in peers ? { peerOfOwner: true } : {}),
            ...(locked ? { installedThrough: locked } : {}),
          });
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
    // `onApplicationShutdown() { await this.shutdown(); }`: Nest runs the hook, the hook runs the wrapper of the same class.
    closes.some((o) => o !== except && o.method === wrapper && o.object === 'this' && o.loc.file === except.loc.file && NEST_SHUTDOWN_HOOK.test(o.caller ?? '')) ||
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
