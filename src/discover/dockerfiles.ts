import { existsSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { createRequire } from 'node:module';
import type { Ignore as DockerignoreMatcher } from '@balena/dockerignore';
import type { DeploymentModel } from '../model/index.js';
import type { Located, Loc } from '../model/location.js';
import type {
  BaseImage,
  CommandSpec,
  CopyInstruction,
  DockerBuildInputs,
  DockerCommand,
  Dockerfile,
  DockerIgnore,
  EntrypointScript,
  EnvEntry,
  Stage,
  TsconfigFacts,
  VariableInEffect,
} from '../model/docker.js';
import { imageOsOf } from '../model/docker.js';
import { effectiveArgv, shellWords, splitShell, workspaceSelectors, type ShellCommand } from '../model/shell.js';
import { contextCopies, contextPath, isGlob, isLiteralSource, stageCommands } from '../model/docker.js';
import { projectFor } from './packages.js';
import picomatch from 'picomatch';
import { isRecord, parseJsonDocument } from './json.js';

// The package is CommonJS whose typings claim an ES default export; require() gives the factory itself.
const dockerignore: (options?: { ignorecase?: boolean }) => DockerignoreMatcher = createRequire(import.meta.url)('@balena/dockerignore');

const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/**
 * Pieces of a Dockerfile that a script joins to another before building (`cat Dockerfile
 * preview/Dockerfile.append > Dockerfile.generated`): their instructions follow another file's FROM,
 * so they are not Dockerfiles on their own.
 */
const DOCKERFILE_FRAGMENT = /[.\-_](append|prepend|fragment|partial|part|snippet|include|inc|header|footer)$/i;

/** Dockerfile, Dockerfile.api, Dockerfile-prod, api.Dockerfile, api.dockerfile, Containerfile. */
export function isDockerfileName(name: string): boolean {
  if (name.endsWith('.dockerignore') || /\.(md|txt|sh|ya?ml|json)$/i.test(name)) return false;
  if (DOCKERFILE_FRAGMENT.test(name)) return false;
  return (
    name === 'Dockerfile' ||
    name === 'dockerfile' ||
    name === 'Containerfile' ||
    name.startsWith('Dockerfile.') ||
    name.startsWith('Dockerfile-') ||
    name.startsWith('Dockerfile_') ||
    name.endsWith('.Dockerfile') ||
    name.endsWith('.dockerfile')
  );
}

export function discoverDockerfiles(model: DeploymentModel): void {
  const buildInputs: DockerBuildInputs = { scripts: new Map(), tsconfigs: new Map(), cacheDirs: [] };
  for (const path of model.files.paths) {
    const name = posix.basename(path);
    if (!isDockerfileName(name)) continue;
    // Dockerfile.md and friends are documentation, not build files.
    if (/\.(md|txt|json|ya?ml|sh|bak|orig)$/i.test(name) && !name.endsWith('.Dockerfile')) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const dockerfile = parseDockerfile(text, path, buildInputs);
    for (const err of dockerfile.syntaxErrors) {
      model.problems.push({ kind: 'parse-error', artifact: 'Dockerfile', message: `${path}: ${err.message}`, loc: err.loc });
    }
    model.dockerfiles.push(dockerfile);
  }
  for (const path of [...model.files.named('.dockerignore'), ...model.files.paths.filter((p) => p.endsWith('.dockerignore') && !p.endsWith('/.dockerignore') && p !== '.dockerignore')]) {
    const text = model.files.read(path);
    if (text !== undefined) model.dockerignores.set(path, parseDockerignore(text, path));
  }
  for (const dockerfile of model.dockerfiles) {
    dockerfile.contexts = [{ dir: inferContextDir(model, dockerfile), via: 'dockerfile-folder' }];
  }
  if (model.dockerfiles.length > 0) {
    readNxContainerTargets(model);
    readBuildInputs(model, buildInputs);
  }
}

/** Nx executors that run `docker build` for a project: the context defaults to the workspace root, the Dockerfile to the project's folder. */
const NX_CONTAINER_EXECUTORS = new Set(['@nx-tools/nx-container:build', '@nx-tools/nx-docker:build', '@nx/docker:build']);

/**
 * Build contexts of Dockerfiles that an Nx target builds (`"package:container": { "executor":
 * "@nx-tools/nx-container:build" }`): CI runs the target, which builds `<project>/Dockerfile` (or
 * `options.file`) with the workspace root (or `options.context`) as the context.
 */
function readNxContainerTargets(model: DeploymentModel): void {
  for (const path of model.files.named('project.json')) {
    const text = model.files.read(path);
    if (text === undefined) continue;
    const doc = parseJsonDocument(text, path);
    if (!isRecord(doc.value) || !isRecord(doc.value.targets)) continue;
    const projectDir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    // Nx runs executors from the workspace root: the folder of nx.json above the project.
    let workspaceDir = '';
    for (let dir = projectDir; ; dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir)) {
      if (model.files.exists(dir ? `${dir}/nx.json` : 'nx.json')) {
        workspaceDir = dir;
        break;
      }
      if (dir === '') break;
    }
    for (const [name, target] of Object.entries(doc.value.targets)) {
      if (!isRecord(target) || typeof target.executor !== 'string' || !NX_CONTAINER_EXECUTORS.has(target.executor)) continue;
      const options = isRecord(target.options) ? target.options : {};
      const contextDir = normalizeRepoPath(posix.join(workspaceDir || '.', typeof options.context === 'string' ? options.context : '.'));
      const file = typeof options.file === 'string' ? normalizeRepoPath(posix.join(workspaceDir || '.', options.file)) : posix.join(projectDir || '.', 'Dockerfile').replace(/^\.\//, '');
      const dockerfile = model.dockerfiles.find((d) => d.path === file);
      if (!dockerfile) continue;
      const line = text.slice(0, Math.max(0, text.indexOf(`"${name}"`))).split('\n').length;
      dockerfile.contexts = dockerfile.contexts.filter((c) => c.via !== 'dockerfile-folder');
      if (!dockerfile.contexts.some((c) => c.dir === contextDir)) dockerfile.contexts.push({ dir: contextDir, source: { file: path, line }, via: 'script' });
    }
  }
}

/**
 * The context a Dockerfile is most likely built from when nothing names one: of the Dockerfile's
 * folder and its parents, the one where most of its COPY sources exist (a Dockerfile in
 * services/api that copies services/api/package.json is built from the root). The workflow and
 * compose discoverers replace it with the context they really use.
 */
export function inferContextDir(model: DeploymentModel, dockerfile: Dockerfile): string {
  const all = dockerfile.stages.flatMap((s) => contextCopies(s).flatMap((c) => c.sources.map((x) => x.value))).filter((s) => isLiteralSource(s) && s !== '.' && s !== './');
  const sources = all.filter((s) => !isGlob(s));
  // `COPY package*.json ./`: a glob counts for the folder where it matches a file.
  const globs = all.filter((s) => isGlob(s)).map((s) => s.replace(/^\.?\/+/, '')).map((s) => ({ nested: s.includes('/'), isMatch: picomatch(s, { dot: true }) }));
  const candidates: string[] = [];
  for (let dir = dockerfile.dir; ; dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir)) {
    candidates.push(dir);
    if (dir === '') break;
  }
  let best = dockerfile.dir;
  let bestScore = -1;
  for (const dir of candidates) {
    let score = 0;
    for (const source of sources) {
      const path = contextPath(dir, source);
      if (path !== undefined && model.files.exists(path)) score++;
    }
    const files = globs.length ? pathsUnder(model.files.paths, dir) : [];
    for (const glob of globs) {
      if (files.some((f) => {
        const rel = dir ? f.slice(dir.length + 1) : f;
        return (glob.nested || !rel.includes('/')) && glob.isMatch(rel);
      })) score++;
    }
    if (score > bestScore) {
      best = dir;
      bestScore = score;
    }
  }
  // No path to go by: a Dockerfile that selects workspace packages (pnpm --filter, pnpm deploy,
  // npm -w) inside a member's folder is built from the workspace root.
  if (bestScore <= 0) {
    const project = projectFor(model.projects, dockerfile.dir);
    const selects = dockerfile.stages.some((s) => stageCommands(s).some((c) => workspaceSelectors(c.argv).length > 0));
    if (project && project.dir !== dockerfile.dir && selects && candidates.includes(project.dir)) best = project.dir;
  }
  return best;
}


/**
 * Reads the repository files Docker rules need facts from: the shell scripts a CMD/ENTRYPOINT
 * runs (does it `exec` the server, so SIGTERM reaches it?) and the tsconfigs (where `tsc` writes).
 */
function readBuildInputs(model: DeploymentModel, inputs: DockerBuildInputs): void {
  const scriptNames = new Set<string>();
  for (const dockerfile of model.dockerfiles) {
    for (const stage of dockerfile.stages) {
      for (const command of [stage.entrypoint, stage.cmd]) {
        for (const word of command?.argv ?? []) {
          if (/\.(sh|bash)$/.test(word) || /entrypoint/i.test(posix.basename(word))) scriptNames.add(posix.basename(word));
        }
      }
    }
  }
  for (const name of scriptNames) {
    for (const path of model.files.named(name)) {
      const text = model.files.read(path);
      if (text !== undefined) inputs.scripts.set(path, readEntrypointScript(text, path));
    }
  }
  const raw = new Map<string, { outDir?: string; rootDir?: string; include?: string[]; files?: string[]; composite?: boolean; extends: string[] }>();
  for (const path of model.files.paths) {
    const name = posix.basename(path);
    if (!name.startsWith('tsconfig') || !name.endsWith('.json')) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const doc = parseJsonDocument(text, path, { allowComments: true });
    if (!isRecord(doc.value)) continue;
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const options = isRecord(doc.value.compilerOptions) ? doc.value.compilerOptions : {};
    // Relative paths in a tsconfig resolve against the file that declares them, except `${configDir}`
    // (TypeScript 5.5+), which stands for the folder of the tsconfig being compiled.
    const pathOption = (value: unknown): string | undefined =>
      typeof value !== 'string' ? undefined : value.includes('${configDir}') ? value : normalizeRepoPath(posix.join(dir, value));
    const outDir = typeof options.outDir === 'string' ? options.outDir : undefined;
    const patterns = (value: unknown): string[] | undefined =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map((v) => normalizeRepoPath(posix.join(dir, v))) : undefined;
    const ext = doc.value.extends;
    const extendsList = (Array.isArray(ext) ? ext : [ext]).filter((e): e is string => typeof e === 'string' && e.startsWith('.'));
    raw.set(path, {
      outDir: pathOption(outDir),
      rootDir: pathOption(options.rootDir),
      include: patterns(doc.value.include),
      files: patterns(doc.value.files),
      composite: typeof options.composite === 'boolean' ? options.composite : undefined,
      extends: extendsList.map((e) => posix.normalize(posix.join(dir, e.endsWith('.json') ? e : `${e}.json`))),
    });
  }
  type RawTsconfig = NonNullable<ReturnType<typeof raw.get>>;
  const inherited = <K extends keyof RawTsconfig>(path: string, key: K, seen: Set<string>): RawTsconfig[K] | undefined => {
    const entry = raw.get(path);
    if (!entry || seen.has(path)) return undefined;
    seen.add(path);
    if (entry[key] !== undefined) return entry[key];
    // With several bases, the last one that sets an option wins.
    for (const base of [...entry.extends].reverse()) {
      const value = inherited(base, key, seen);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const atConfig = (value: string | undefined, path: string) =>
    value?.includes('${configDir}') ? normalizeRepoPath(value.replace('${configDir}', posix.dirname(path))) : value;
  for (const path of raw.keys()) {
    const outDir = atConfig(inherited(path, 'outDir', new Set()), path);
    let sourceRoot: string | undefined;
    if (outDir !== undefined) {
      const rootDir = atConfig(inherited(path, 'rootDir', new Set()), path);
      const configDir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      sourceRoot = rootDir ?? (inherited(path, 'composite', new Set()) ? configDir : commonSourceDir(model, configDir, outDir, inherited(path, 'include', new Set()), inherited(path, 'files', new Set())));
    }
    const facts: TsconfigFacts = { path, outDir, sourceRoot };
    inputs.tsconfigs.set(path, facts);
  }
  // Where caches appear: the root, every package and every Dockerfile folder.
  const probeDirs = new Set<string>(['', ...model.packages.map((p) => p.dir), ...model.dockerfiles.map((d) => d.dir)]);
  for (const dir of probeDirs) {
    let names: Set<string>;
    try {
      names = new Set(readdirSync(join(model.root, dir)));
    } catch {
      continue;
    }
    for (const entry of CACHE_ENTRIES) {
      const [first, second] = entry.split('/');
      if (!names.has(first)) continue;
      const rel = dir ? `${dir}/${entry}` : entry;
      if (!second || existsSync(join(model.root, rel))) inputs.cacheDirs.push(rel);
    }
  }
  inputs.cacheDirs.sort();
  inputs.npmrcs = new Map();
  for (const path of model.files.named('.npmrc')) {
    const text = model.files.read(path);
    if (text === undefined) continue;
    const facts: { omitDev?: Located<string>; includeDev?: Loc } = {};
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line.startsWith('#') || line.startsWith(';')) return;
      const eq = line.indexOf('=');
      if (eq < 0) return;
      const key = line.slice(0, eq).trim().toLowerCase();
      const value = line.slice(eq + 1).trim().replace(/^["']|["']$/g, '').toLowerCase();
      const loc = { file: path, line: i + 1 };
      if ((key === 'production' && value === 'true') || ((key === 'omit' || key === 'omit[]') && value.split(/[\s,]+/).includes('dev'))) facts.omitDev = { value: line, loc };
      if ((key === 'include' || key === 'include[]') && value.split(/[\s,]+/).includes('dev')) facts.includeDev = loc;
      if (key === 'production' && value === 'false') facts.includeDev = loc;
    });
    if (facts.omitDev || facts.includeDev) inputs.npmrcs.set(path, facts);
  }
  inputs.viteSsrNoExternal = readViteSsrNoExternal(model);
}

type AstNode = { type?: string; [key: string]: unknown };

/**
 * `ssr: { noExternal: … }` in the vite.config of each package: Vite's SSR build then inlines those
 * dependencies (workspace packages included) into the server bundle.
 */
function readViteSsrNoExternal(model: DeploymentModel): Map<string, { all: boolean; names: string[]; patterns: string[]; loc: Loc }> {
  const found = new Map<string, { all: boolean; names: string[]; patterns: string[]; loc: Loc }>();
  const configs = model.files.paths.filter((p) => /(^|\/)vite\.config\.[cm]?[jt]s$/.test(p));
  if (configs.length === 0) return found;
  let parseSync: (file: string, text: string, options: object) => { program: AstNode };
  try {
    parseSync = createRequire(import.meta.url)('oxc-parser').parseSync;
  } catch {
    return found;
  }
  for (const path of configs) {
    const text = model.files.read(path);
    if (text === undefined || !text.includes('noExternal')) continue;
    let program: AstNode;
    try {
      program = parseSync(path, text, { astType: 'ts', sourceType: 'module' }).program;
    } catch {
      continue;
    }
    const value = { all: false, names: [] as string[], patterns: [] as string[] };
    let at: number | undefined;
    const read = (node: AstNode | undefined) => {
      if (!node) return;
      if (node.type === 'Literal' && node.value === true) value.all = true;
      else if (node.type === 'Literal' && typeof node.value === 'string') value.names.push(node.value);
      else if (node.type === 'Literal' && isRecord(node.regex)) {
        const pattern = String(node.regex.pattern);
        if (pattern === '.*' || pattern === '.+' || pattern === '') value.all = true;
        else value.patterns.push(pattern);
      } else if (node.type === 'ArrayExpression') for (const element of (node.elements as AstNode[]) ?? []) read(element);
      // `process.env.NODE_ENV === 'production' ? [/.*/] : []`: the production build takes the bundling branch.
      else if (node.type === 'ConditionalExpression') {
        read(node.consequent as AstNode);
        read(node.alternate as AstNode);
      }
    };
    const walk = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      const n = node as AstNode;
      const key = n.key as AstNode | undefined;
      if (n.type === 'Property' && key && (key.name === 'noExternal' || key.value === 'noExternal')) {
        read(n.value as AstNode);
        at = typeof n.start === 'number' ? n.start : at;
      }
      for (const [k, child] of Object.entries(n)) if (k !== 'parent' && child && typeof child === 'object') walk(child);
    };
    walk(program);
    if (at === undefined || (!value.all && value.names.length === 0 && value.patterns.length === 0)) continue;
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    found.set(dir, { ...value, loc: { file: path, line: text.slice(0, at).split('\n').length } });
  }
  return found;
}

const TS_INPUT = /\.(ts|tsx|mts|cts)$/;

/**
 * Files under a folder, from the index's sorted path list: the paths sharing a prefix are one
 * contiguous run, found by binary search instead of a scan of the whole repository.
 */
export function pathsUnder(paths: readonly string[], dir: string): string[] {
  if (dir === '') return paths.slice();
  const prefix = dir + '/';
  let lo = 0;
  let hi = paths.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (paths[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < paths.length && paths[end].startsWith(prefix)) end++;
  return paths.slice(lo, end);
}

/**
 * The folder tsc takes as rootDir when none is set: the deepest folder that holds every input
 * (include/files, default everything under the tsconfig's folder), declaration files aside.
 */
function commonSourceDir(model: DeploymentModel, configDir: string, outDir: string, include: string[] | undefined, files: string[] | undefined): string | undefined {
  // Without include, everything under the tsconfig's folder is an input: no matcher needed.
  const isIncluded = include
    ? picomatch(include.map((p) => (/[*?]/.test(posix.basename(p)) || posix.extname(p) ? p : `${p}/**/*`)), { dot: false })
    : () => true;
  const inputs = pathsUnder(model.files.paths, configDir).filter((f) => TS_INPUT.test(f) && !f.endsWith('.d.ts') && !(outDir && f.startsWith(outDir + '/')) && isIncluded(f));
  inputs.push(...(files ?? []).filter((f) => TS_INPUT.test(f) && !f.endsWith('.d.ts')));
  if (inputs.length === 0) return undefined;
  let common = posix.dirname(inputs[0]) === '.' ? '' : posix.dirname(inputs[0]);
  for (const input of inputs) {
    while (common !== '' && input !== common && !input.startsWith(common + '/')) common = posix.dirname(common) === '.' ? '' : posix.dirname(common);
  }
  return common;
}

function normalizeRepoPath(path: string): string {
  const p = posix.normalize(path).replace(/\/$/, '');
  return p === '.' ? '' : p;
}

/** Caches and reports that tools leave in a working tree and that have no place in an image. */
const CACHE_ENTRIES = ['.turbo', '.next/cache', '.ruff_cache', '.eslintcache', 'coverage', '.nyc_output', '.parcel-cache', '.pytest_cache', '.mypy_cache', '.cache'];

function readEntrypointScript(text: string, path: string): EntrypointScript {
  const commands = splitShell(text);
  const execs = commands
    .filter((c) => c.argv[0] === 'exec' && c.argv.length > 1)
    .map((c) => ({ argv: c.argv.slice(1), loc: { file: path, line: c.lineOffset + 1 } }));
  const last = commands[commands.length - 1];
  return {
    path,
    commands: commands.map((c) => ({ argv: c.argv, loc: { file: path, line: c.lineOffset + 1 } })),
    execs,
    lastCommand: last && last.argv[0] !== 'exec' ? { argv: last.argv, loc: { file: path, line: last.lineOffset + 1 } } : undefined,
  };
}

export function parseDockerignore(text: string, path: string): DockerIgnore {
  const patterns: Located<string>[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line && !line.startsWith('#')) patterns.push({ value: line, loc: { file: path, line: i + 1 } });
  });
  const matcher = dockerignore({ ignorecase: false }).add(patterns.map((p) => p.value));
  // Several Dockerfiles share a context: each path is matched once.
  const verdicts = new Map<string, boolean>();
  return {
    path,
    patterns,
    ignores: (pathInContext: string) => {
      const p = pathInContext.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      if (p === '' || p === '.') return false;
      let verdict = verdicts.get(p);
      if (verdict === undefined) verdicts.set(p, (verdict = matcher.ignores(p)));
      return verdict;
    },
  };
}

export function parseDockerfile(text: string, path: string, buildInputs: DockerBuildInputs = { scripts: new Map(), tsconfigs: new Map(), cacheDirs: [] }): Dockerfile {
  const ast = DockerfileParser.parse(text);
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  const result: Dockerfile = { path, dir, stages: [], contexts: [{ dir, via: 'dockerfile-folder' }], globalArgs: [], syntaxErrors: [], buildInputs };
  const loc = (ins: Instruction): Loc => ({ file: path, line: ins.getRange().start.line + 1 });
  const lines = text.split('\n');
  const args = new Map<string, string>();
  let stage: Stage | undefined;
  let workdir = '/';
  // ARGs declared in the current stage (they end with it; ENV is inherited by stages built FROM it).
  let stageArgs = new Map<string, VariableInEffect>();
  const instructions = ast.getInstructions();
  for (const ins of instructions) {
    const keyword = ins.getKeyword().toUpperCase();
    const at = loc(ins);
    if (!KEYWORDS.has(keyword)) {
      result.syntaxErrors.push({ message: `unknown instruction "${ins.getKeyword()}" at line ${at.line}; docker build stops here`, loc: at });
      continue;
    }
    const raw = ins.getRawArgumentsContent() ?? '';
    const textLine = COMMAND_KEYWORDS.has(keyword) ? commandTextLine(lines, at.line) : at.line;
    if (keyword === 'FROM') {
      const from = parseFrom(ins, raw, at, args, result.stages);
      if (!from) {
        result.syntaxErrors.push({ message: `FROM without an image at line ${at.line}`, loc: at });
        continue;
      }
      if (stage) stage.endLine = at.line - 1;
      const nameArg = fromStageName(raw);
      stage = {
        index: result.stages.length,
        name: nameArg ? { value: nameArg, loc: at } : undefined,
        from,
        rootImage: from.stageRef !== undefined ? result.stages[from.stageRef].rootImage : from,
        copies: [],
        runs: [],
        env: [],
        args: [],
        expose: [],
        os: imageOsOf(from.stageRef !== undefined ? result.stages[from.stageRef].rootImage : from),
        osPackages: [],
        runtimeEnv: new Map(),
        startLine: at.line,
        endLine: at.line,
      };
      stageArgs = new Map();
      // A stage built FROM another stage inherits its environment, user and commands.
      if (from.stageRef !== undefined) {
        const parent = result.stages[from.stageRef];
        stage.env = [...parent.env];
        stage.user = parent.user;
        stage.workdir = parent.workdir;
        stage.cmd = parent.cmd;
        stage.entrypoint = parent.entrypoint;
        stage.healthcheck = parent.healthcheck;
        stage.expose = [...parent.expose];
        stage.osPackages = [...parent.osPackages];
        stage.runtimeEnv = new Map(parent.runtimeEnv);
        workdir = parent.workdir?.value ?? '/';
      } else workdir = '/';
      result.stages.push(stage);
      continue;
    }
    if (!stage) {
      if (keyword === 'ARG') {
        for (const entry of parseAssignments(raw, at)) {
          result.globalArgs.push(entry);
          args.set(entry.name, entry.value);
        }
      } else {
        result.syntaxErrors.push({ message: `${keyword} at line ${at.line} comes before the first FROM; only ARG may`, loc: at });
      }
      continue;
    }
    stage.endLine = ins.getRange().end.line + 1;
    switch (keyword) {
      case 'RUN': {
        const flags = flagsOf(ins);
        const command = commandFromText(stripFlags(raw).trim(), at, textLine);
        const commands = commandsOf(command);
        stage.runs.push({
          command,
          commands,
          mounts: flags.filter((f) => f.name === 'mount').map((f) => f.value ?? ''),
          workdir,
          environment: new Map([...stageArgs, ...stage.runtimeEnv]),
          loc: at,
        });
        for (const c of commands) stage.osPackages.push(...osPackagesOf(c));
        break;
      }
      case 'COPY':
      case 'ADD': {
        const copy = parseCopy(ins, keyword, raw, at, workdir, result.stages);
        if (copy) stage.copies.push(copy);
        else result.syntaxErrors.push({ message: `${keyword} at line ${at.line} needs a source and a destination`, loc: at });
        break;
      }
      case 'ENV': {
        const entries = parseAssignments(raw, at);
        stage.env.push(...entries);
        // All assignments of one ENV line see the variables as they were before it.
        const before = new Map([...stageArgs, ...stage.runtimeEnv]);
        for (const e of entries) stage.runtimeEnv.set(e.name, { name: e.name, value: expandVariables(e.value, before), source: 'ENV', loc: at });
        break;
      }
      case 'ARG': {
        const entries = parseAssignments(raw, at);
        stage.args.push(...entries);
        for (const e of entries) {
          // `ARG X` inside a stage takes the default of a global `ARG X=…`; `--build-arg` may replace either.
          const hasDefault = raw.includes(`${e.name}=`);
          const value = hasDefault ? expandVariables(e.value, new Map([...stageArgs, ...stage.runtimeEnv])) : args.get(e.name) || undefined;
          stageArgs.set(e.name, { name: e.name, value, source: 'ARG', loc: at });
        }
        break;
      }
      case 'USER':
        stage.user = { value: raw.trim(), loc: at };
        break;
      case 'WORKDIR': {
        const value = raw.trim().replace(/^["']|["']$/g, '');
        workdir = posix.resolve(workdir, value);
        stage.workdir = { value: workdir, loc: at };
        break;
      }
      case 'CMD':
        stage.cmd = commandFromText(stripFlags(raw).trim(), at, textLine);
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = commandFromText(stripFlags(raw).trim(), at, textLine);
        break;
      case 'EXPOSE':
        for (const port of raw.split(/\s+/).filter(Boolean)) stage.expose.push({ value: port, loc: at });
        break;
      case 'HEALTHCHECK': {
        const body = stripFlags(raw).trim();
        if (/^NONE$/i.test(body)) stage.healthcheck = { none: true, loc: at };
        else {
          const cmdText = body.replace(/^CMD\s+/i, '');
          stage.healthcheck = { none: false, command: commandFromText(cmdText, at, textLine), loc: at };
        }
        break;
      }
      default:
        break;
    }
  }
  if (result.stages.length === 0 && result.syntaxErrors.length === 0) {
    result.syntaxErrors.push({ message: 'no FROM instruction: docker build cannot start', loc: { file: path, line: 1 } });
  }
  return result;
}

const COMMAND_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK']);

/**
 * 1-based line where an instruction's command text begins: after the keyword and any flags
 * (`RUN --mount=… \` puts the command on the next line), skipping comment lines Docker drops.
 */
function commandTextLine(lines: string[], keywordLine: number): number {
  for (let i = keywordLine - 1; i < lines.length; i++) {
    let rest = lines[i];
    if (i === keywordLine - 1) rest = rest.replace(/^\s*\S+/, '');
    else if (/^\s*#/.test(rest)) continue;
    rest = rest.replace(/^(\s*--[\w-]+(=("[^"]*"|'[^']*'|\S*))?)+/, '').replace(/\\\s*$/, '').trim();
    if (rest !== '') return i + 1;
  }
  return keywordLine;
}

function fromStageName(raw: string): string | undefined {
  const words = stripFlags(raw).trim().split(/\s+/);
  return words.length >= 3 && words[1].toUpperCase() === 'AS' ? words[2] : undefined;
}

function parseFrom(ins: Instruction, raw: string, at: Loc, args: Map<string, string>, stages: Stage[]): BaseImage | undefined {
  const words = stripFlags(raw).trim().split(/\s+/).filter(Boolean);
  const written = words[0];
  if (!written) return undefined;
  const platformFlag = flagsOf(ins).find((f) => f.name === 'platform');
  const platform = platformFlag?.value ? { value: platformFlag.value, loc: at } : undefined;
  const stageRef = stages.findIndex((s) => s.name?.value.toLowerCase() === written.toLowerCase());
  if (stageRef >= 0) return { raw: written, name: written, stageRef, unresolved: false, platform, loc: at };
  const expanded = written.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (whole, a: string, def: string | undefined, b: string) => {
    const name = a ?? b;
    return args.get(name) || def || whole;
  });
  const unresolved = /\$/.test(expanded);
  return { ...splitImage(expanded), raw: written, unresolved, platform, loc: at };
}

/** "registry:5000/org/node:20-alpine@sha256:…" into its parts. */
export function splitImage(image: string): { name: string; registry?: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  const parts = rest.split('/');
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift();
  }
  let name = parts.join('/');
  if (name.startsWith('library/')) name = name.slice('library/'.length);
  return { name, registry, tag, digest };
}

function flagsOf(ins: Instruction): { name: string; value: string | null }[] {
  const withFlags = ins as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  return withFlags.getFlags ? withFlags.getFlags().map((f) => ({ name: f.getName(), value: f.getValue() })) : [];
}

/** Removes leading `--flag[=value]` words. */
function stripFlags(raw: string): string {
  return raw.replace(/^(\s*--[\w-]+(=("[^"]*"|'[^']*'|\S*))?)+/, '');
}

function parseCopy(ins: Instruction, keyword: 'COPY' | 'ADD', raw: string, at: Loc, workdir: string, stages: Stage[]): CopyInstruction | undefined {
  const body = stripFlags(raw).trim();
  const flags = flagsOf(ins);
  const fromFlag = flags.find((f) => f.name === 'from');
  let items: string[] | undefined;
  let heredoc = false;
  if (body.startsWith('[')) {
    try {
      const parsed = JSON.parse(body.replace(/\\\n/g, ''));
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) items = parsed;
    } catch {
      items = undefined;
    }
  }
  if (!items) {
    if (body.startsWith('<<')) {
      heredoc = true;
      const firstLine = body.split('\n')[0];
      items = shellWords(firstLine).filter((w) => !w.startsWith('<<'));
      items.unshift('<<heredoc');
    } else items = shellWords(body.split('\n').join(' '));
  }
  if (items.length < 2) return undefined;
  const dest = items[items.length - 1];
  const sources = items.slice(0, -1).filter((s) => s !== '<<heredoc');
  const from = fromFlag?.value ? { value: fromFlag.value, loc: at } : undefined;
  const fromStage = from ? stages.findIndex((s) => s.name?.value.toLowerCase() === from.value.toLowerCase() || String(s.index) === from.value) : -1;
  return {
    keyword,
    sources: sources.map((s) => ({ value: s, loc: at })),
    dest: { value: dest, loc: at },
    from,
    fromStage: fromStage >= 0 ? fromStage : undefined,
    workdir,
    heredoc,
    loc: at,
  };
}

function parseAssignments(raw: string, at: Loc): EnvEntry[] {
  const words = shellWords(raw.replace(/\\\n/g, ' '));
  // `ENV KEY value with spaces` (legacy form) vs `ENV A=1 B=2`.
  if (words.length >= 2 && !words[0].includes('=')) {
    return [{ name: words[0], value: words.slice(1).join(' '), loc: at }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? { name: w, value: '', loc: at } : { name: w.slice(0, eq), value: w.slice(eq + 1), loc: at };
  });
}

/** The shell split of a shell-form command, kept so a RUN's text is split once. */
const splitCache = new WeakMap<CommandSpec, ShellCommand[]>();

/** The simple commands of a RUN/CMD, each with the Dockerfile line it is written on. */
export function commandsOf(command: CommandSpec): DockerCommand[] {
  if (command.form === 'exec') return [{ argv: command.argv, loc: command.loc }];
  return (splitCache.get(command) ?? splitShell(command.text)).map((c) => ({
    argv: c.argv,
    next: c.next,
    loc: { file: command.loc.file, line: command.textLine + c.lineOffset },
  }));
}

/** Exec form when the text is a JSON array of strings, as Docker decides; shell form otherwise. */
export function commandFromText(body: string, at: Loc, textLine = at.line): CommandSpec {
  if (body.startsWith('[')) {
    try {
      const parsed = JSON.parse(body.replace(/\\\r?\n/g, ''));
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) {
        return { form: 'exec', argv: parsed, text: parsed.join(' '), textLine, loc: at };
      }
    } catch {
      // Not valid JSON: Docker runs it with /bin/sh -c, exactly like shell form.
    }
  }
  let text = body;
  let line = textLine;
  if (body.startsWith('<<')) {
    // RUN <<EOF … EOF: the heredoc body is the script.
    const lines = body.split('\n');
    const delimiter = /^<<-?\s*["']?(\w+)["']?/.exec(lines[0])?.[1] ?? 'EOF';
    const end = lines.findIndex((l, i) => i > 0 && l.trim() === delimiter);
    text = lines.slice(1, end < 0 ? undefined : end).join('\n');
    line = textLine + 1;
  }
  const split = splitShell(text);
  const spec: CommandSpec = { form: 'shell', argv: split.flatMap((c) => c.argv), text, textLine: line, loc: at };
  splitCache.set(spec, split);
  return spec;
}

/**
 * `$X`, `${X}`, `${X:-default}` expanded with the variables in effect; undefined when a variable it
 * uses has no known value (a build argument without default), since `--build-arg` decides then.
 */
export function expandVariables(text: string, vars: Map<string, VariableInEffect>): string | undefined {
  let unknown = false;
  const out = text.replace(/\$\{(\w+)(?::?([-+])([^}]*))?\}|\$(\w+)/g, (_whole, braced: string | undefined, op: string | undefined, word: string | undefined, plain: string | undefined) => {
    const value = vars.get((braced ?? plain)!)?.value;
    if (op === '-') return value || word || '';
    if (op === '+') return value ? word ?? '' : '';
    if (value === undefined) unknown = true;
    return value ?? '';
  });
  return unknown ? undefined : out;
}

/** OS package managers and the verb that installs. */
const OS_INSTALLERS: Record<string, string[]> = { apk: ['add'], 'apt-get': ['install'], apt: ['install'], yum: ['install'], dnf: ['install'], microdnf: ['install'], tdnf: ['install'] };

/** Packages a command installs with the OS package manager: `apk add --no-cache openssl curl` → openssl, curl. */
export function osPackagesOf(command: DockerCommand): Located<string>[] {
  const argv = effectiveArgv(command.argv);
  const program = posix.basename(argv[0] ?? '');
  const verbs = OS_INSTALLERS[program];
  if (!verbs) return [];
  const words = argv.slice(1);
  const verbIndex = words.findIndex((w) => !w.startsWith('-'));
  if (verbIndex < 0 || !verbs.includes(words[verbIndex])) return [];
  const out: Located<string>[] = [];
  for (let i = verbIndex + 1; i < words.length; i++) {
    const w = words[i];
    // apk's options that take a value: --repository URL, -X URL, --virtual NAME (a group name, not a package).
    if (['-X', '--repository', '-t', '--virtual', '-o', '--option', '--root', '-p'].includes(w)) {
      i++;
      continue;
    }
    if (w.startsWith('-') || w.includes('$')) continue;
    out.push({ value: w.replace(/[=~].*$/, ''), loc: command.loc });
  }
  return out;
}
