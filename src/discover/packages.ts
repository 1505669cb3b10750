import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import jsonc from 'jsonc-parser';
import picomatch from 'picomatch';
import { parseDocument, isMap, isSeq, isScalar, LineCounter, Lexer as YamlLexer, Parser as YamlParser, CST, parse as parseYaml } from 'yaml';
import { contextCopies, contextPath, isGlob, isLiteralSource, type Dockerfile, type Stage } from '../model/docker.js';
import type { DeploymentModel } from '../model/index.js';
import { LineMap, type Loc, type Located } from '../model/location.js';
import { classifyInstall, type InstallCommand } from '../model/shell.js';
import type {
  Dependency,
  DependencyKind,
  LockedDependency,
  LockedNode,
  Lockfile,
  LockfileContents,
  LockfileImporter,
  NodeVersionFile,
  PackageJson,
  PackageManager,
  Project,
} from '../model/packages.js';
import { isRecord, parseJsonDocument } from './json.js';

const LOCKFILES: Record<string, PackageManager> = {
  'package-lock.json': 'npm',
  'npm-shrinkwrap.json': 'npm',
  'pnpm-lock.yaml': 'pnpm',
  'yarn.lock': 'yarn',
  'bun.lockb': 'bun',
  'bun.lock': 'bun',
};

const DEPENDENCY_KINDS: DependencyKind[] = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** Every package.json, the projects they form (workspaces), their lockfiles and package manager. */
export function discoverPackages(model: DeploymentModel): void {
  const { files } = model;
  for (const path of files.named('package.json')) {
    const pkg = readPackageJson(model, path);
    if (pkg) model.packages.push(pkg);
  }
  for (const dir of files.dirs) {
    if (posix.basename(dir) !== 'package.json') continue;
    model.problems.push({
      kind: 'unreadable',
      artifact: 'package.json',
      message: `${dir} is a folder, not a file: npm cannot read this package's manifest`,
      loc: { file: dir, line: 1 },
    });
  }
  const lockfiles: Lockfile[] = [];
  for (const [name, manager] of Object.entries(LOCKFILES)) {
    for (const path of files.named(name)) {
      const format = manager === 'pnpm' || manager === 'yarn' ? lockfileFormat(model, path) : undefined;
      const dir = dirOf(path);
      let read: { contents?: LockfileContents } | undefined;
      const contents = (): LockfileContents | undefined => {
        read ??= { contents: readLockfileContents(model, path, manager, dir, format?.value) };
        return read.contents;
      };
      lockfiles.push({ path, manager, dir, ...(format ? { format } : {}), contents });
    }
  }
  const pnpmWorkspaces = new Map<string, NonNullable<Project['pnpmWorkspace']>>();
  for (const path of files.named('pnpm-workspace.yaml')) {
    const parsed = readPnpmWorkspace(model, path);
    if (parsed) pnpmWorkspaces.set(dirOf(path), parsed);
  }
  model.projects = buildProjects(model.packages, lockfiles, pnpmWorkspaces);
  for (const project of model.projects) {
    if (project.lockfiles.length > 0) continue;
    const ignored = Object.keys(LOCKFILES)
      .map((name) => (project.dir ? `${project.dir}/${name}` : name))
      .filter((path) => files.isGitignored(path) && existsSync(join(model.root, path)));
    if (ignored.length > 0) project.gitignoredLockfiles = ignored;
  }
  model.nodeVersionFiles = readNodeVersionFiles(model);
}

/**
 * The format version a lockfile declares in its first lines. Lockfiles often exceed the 1 MiB read
 * limit, so only their head is read; the header lines are plain text in every version.
 */
function lockfileFormat(model: DeploymentModel, path: string): Located<string> | undefined {
  const head = model.files.readHead(path, 2048);
  if (head === undefined) return undefined;
  const lines = head.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i];
    const at = (value: string): Located<string> => ({ value, loc: { file: path, line: i + 1 } });
    const pnpm = /^lockfileVersion:\s*['"]?([\d.]+)['"]?\s*$/.exec(line);
    if (pnpm) return at(pnpm[1]);
    if (/^# yarn lockfile v1\s*$/.test(line)) return at('1');
    // Yarn 2+: "__metadata:" then an indented "version: 8".
    const berry = /^\s+version:\s*['"]?(\d+)['"]?\s*$/.exec(line);
    if (berry && lines[i - 1]?.startsWith('__metadata:')) return at(berry[1]);
  }
  return undefined;
}

function dirOf(path: string): string {
  const d = posix.dirname(path);
  return d === '.' ? '' : d;
}

function readPackageJson(model: DeploymentModel, path: string): PackageJson | undefined {
  const text = model.files.read(path);
  if (text === undefined) return undefined;
  const doc = parseJsonDocument(text, path);
  if (doc.errors.length > 0 || !isRecord(doc.value)) {
    const first = doc.errors[0];
    model.problems.push({
      kind: 'parse-error',
      artifact: 'package.json',
      message: first ? `${path} is not valid JSON: ${first.message}` : `${path} does not hold a JSON object`,
      loc: first?.loc ?? { file: path, line: 1 },
    });
    return undefined;
  }
  const json = doc.value;
  const str = (key: string): Located<string> | undefined =>
    typeof json[key] === 'string' ? { value: json[key] as string, loc: doc.locOf([key]) } : undefined;
  const scripts = new Map<string, Located<string>>();
  if (isRecord(json.scripts)) {
    for (const [name, value] of Object.entries(json.scripts)) {
      if (typeof value === 'string') scripts.set(name, { value, loc: doc.locOf(['scripts', name]) });
    }
  }
  const dependencies = new Map<string, Dependency>();
  const alsoInDevDependencies = new Map<string, Dependency>();
  for (const kind of DEPENDENCY_KINDS) {
    const deps = json[kind];
    if (!isRecord(deps)) continue;
    for (const [name, range] of Object.entries(deps)) {
      if (typeof range !== 'string') continue;
      const dependency: Dependency = { name, range, kind, loc: doc.locOf([kind, name]) };
      if (kind === 'devDependencies' && dependencies.has(name) && dependencies.get(name)!.kind !== 'peerDependencies') alsoInDevDependencies.set(name, dependency);
      // A package listed in both keeps its runtime kind: that is what production installs.
      if (dependencies.has(name) && kind !== 'dependencies') continue;
      dependencies.set(name, dependency);
    }
  }
  const workspaces: Located<string>[] = [];
  const ws = Array.isArray(json.workspaces)
    ? { list: json.workspaces, path: ['workspaces'] }
    : isRecord(json.workspaces) && Array.isArray(json.workspaces.packages)
      ? { list: json.workspaces.packages as unknown[], path: ['workspaces', 'packages'] }
      : undefined;
  if (ws) {
    ws.list.forEach((glob, i) => {
      if (typeof glob === 'string') workspaces.push({ value: glob, loc: doc.locOf([...ws.path, i]) });
    });
  }
  const bin: Located<string>[] = [];
  if (typeof json.bin === 'string') bin.push({ value: json.bin, loc: doc.locOf(['bin']) });
  else if (isRecord(json.bin)) {
    for (const [name, value] of Object.entries(json.bin)) {
      if (typeof value === 'string') bin.push({ value, loc: doc.locOf(['bin', name]) });
    }
  }
  const overriddenNames = new Set<string>();
  const addOverrides = (value: unknown): void => {
    if (!isRecord(value)) return;
    for (const [key, nested] of Object.entries(value)) {
      const name = overriddenName(key);
      if (name) overriddenNames.add(name);
      if (key !== '.') addOverrides(nested);
    }
  };
  addOverrides(json.overrides);
  addOverrides(json.resolutions);
  if (isRecord(json.pnpm)) addOverrides(json.pnpm.overrides);
  // pnpm merges yarn-style `resolutions` under its own `pnpm.overrides`.
  const pnpmOverrides = new Map<string, string>();
  for (const source of [json.resolutions, isRecord(json.pnpm) ? json.pnpm.overrides : undefined]) {
    if (!isRecord(source)) continue;
    for (const [selector, spec] of Object.entries(source)) if (typeof spec === 'string') pnpmOverrides.set(selector, spec);
  }
  const engines = isRecord(json.engines) && typeof json.engines.node === 'string'
    ? { node: { value: json.engines.node, loc: doc.locOf(['engines', 'node']) } }
    : {};
  const voltaNode = isRecord(json.volta) && typeof json.volta.node === 'string'
    ? { value: json.volta.node, loc: doc.locOf(['volta', 'node']) }
    : undefined;
  return {
    path,
    dir: dirOf(path),
    name: str('name'),
    voltaNode,
    version: typeof json.version === 'string' ? json.version : undefined,
    main: str('main'),
    bin,
    isModule: json.type === 'module',
    engines,
    packageManager: str('packageManager'),
    scripts,
    dependencies,
    workspaces,
    projectDir: dirOf(path),
    overriddenNames,
    pnpmOverrides,
    alsoInDevDependencies,
  };
}

function readPnpmWorkspace(model: DeploymentModel, path: string): NonNullable<Project['pnpmWorkspace']> | undefined {
  const text = model.files.read(path);
  if (text === undefined) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    model.problems.push({
      kind: 'parse-error',
      artifact: 'pnpm-workspace.yaml',
      message: `${path} is not valid YAML: ${err.message.split('\n')[0]}`,
      loc: { file: path, line: pos.line, column: pos.col },
    });
    return { path, packages: [] };
  }
  const packages: Located<string>[] = [];
  const seq = doc.get('packages', true);
  if (isSeq(seq)) {
    for (const item of seq.items) {
      if (isScalar(item) && typeof item.value === 'string') {
        const pos = lineCounter.linePos(item.range?.[0] ?? 0);
        packages.push({ value: item.value, loc: { file: path, line: pos.line, column: pos.col } });
      }
    }
  }
  const overrides = new Map<string, string>();
  const overridesNode = doc.get('overrides', true);
  if (isMap(overridesNode)) {
    for (const item of overridesNode.items) {
      const key = isScalar(item.key) ? item.key.value : undefined;
      const value = isScalar(item.value) ? item.value.value : undefined;
      if (typeof key === 'string' && (typeof value === 'string' || typeof value === 'number')) overrides.set(key, String(value));
    }
  }
  return { path, packages, ...(overrides.size ? { overrides } : {}) };
}

function parseManager(value: string): PackageManager | undefined {
  const name = value.split('@')[0];
  return name === 'npm' || name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : undefined;
}

/**
 * Groups packages into projects: a package whose folder matches the workspace globs of an
 * enclosing root belongs to that root; every other package is a project of its own.
 */
function buildProjects(
  packages: PackageJson[],
  lockfiles: Lockfile[],
  pnpmWorkspaces: Map<string, NonNullable<Project['pnpmWorkspace']>>,
): Project[] {
  const roots = packages.filter((p) => p.workspaces.length > 0 || pnpmWorkspaces.has(p.dir));
  const memberOf = new Map<string, PackageJson>();
  for (const root of roots) {
    // An empty glob matches nothing (and picomatch refuses it).
    const globs = [...root.workspaces.map((w) => w.value), ...(pnpmWorkspaces.get(root.dir)?.packages.map((p) => p.value) ?? [])]
      .map((g) => g.trim())
      .filter((g) => g !== '' && g !== '!');
    const include = globs.filter((g) => !g.startsWith('!')).map((g) => posix.join(root.dir, g.replace(/\/$/, '')));
    const exclude = globs.filter((g) => g.startsWith('!')).map((g) => posix.join(root.dir, g.slice(1).replace(/\/$/, '')));
    if (include.length === 0) continue;
    const isIncluded = picomatch(include);
    const isExcluded = exclude.length ? picomatch(exclude) : () => false;
    for (const pkg of packages) {
      if (pkg === root || memberOf.has(pkg.dir)) continue;
      if (isIncluded(pkg.dir) && !isExcluded(pkg.dir)) memberOf.set(pkg.dir, root);
    }
  }
  const projects: Project[] = [];
  for (const pkg of packages) {
    if (memberOf.has(pkg.dir)) continue;
    const members = packages.filter((p) => memberOf.get(p.dir) === pkg);
    for (const m of members) m.projectDir = pkg.dir;
    const declared = pkg.packageManager ? parseManager(pkg.packageManager.value) : undefined;
    const projectLockfiles = lockfiles.filter((l) => l.dir === pkg.dir);
    const pnpmWorkspace = pnpmWorkspaces.get(pkg.dir);
    const lockManagers = [...new Set(projectLockfiles.map((l) => l.manager))];
    const manager =
      declared ?? (lockManagers.length === 1 ? lockManagers[0] : undefined) ?? (pnpmWorkspace ? 'pnpm' : undefined);
    projects.push({
      dir: pkg.dir,
      rootPackage: pkg,
      members,
      declaredManager: declared && pkg.packageManager ? { value: declared, loc: pkg.packageManager.loc } : undefined,
      pnpmWorkspace,
      lockfiles: projectLockfiles,
      manager,
    });
  }
  return projects;
}

function readNodeVersionFiles(model: DeploymentModel): NodeVersionFile[] {
  const out: NodeVersionFile[] = [];
  const kinds: [string, NodeVersionFile['kind']][] = [['.nvmrc', 'nvmrc'], ['.node-version', 'node-version'], ['.tool-versions', 'tool-versions']];
  for (const [name, kind] of kinds) {
    for (const path of model.files.named(name)) {
      const text = model.files.read(path);
      if (text === undefined) continue;
      const lines = text.split('\n');
      if (kind === 'tool-versions') {
        // asdf/mise: "nodejs 20.11.1" (several versions may follow: the first one is used).
        const index = lines.findIndex((l) => /^\s*(nodejs|node)\s+\S/.test(l));
        if (index < 0) continue;
        const version = lines[index].trim().split(/\s+/)[1];
        out.push({ path, kind, version: { value: version, loc: { file: path, line: index + 1 } } });
        continue;
      }
      const index = lines.findIndex((l) => l.trim() && !l.trim().startsWith('#'));
      if (index < 0) continue;
      // An inline comment is allowed after the version in .nvmrc.
      out.push({ path, kind, version: { value: lines[index].replace(/#.*$/, '').trim(), loc: { file: path, line: index + 1 } } });
    }
  }
  for (const pkg of model.packages) {
    if (pkg.voltaNode) out.push({ path: pkg.path, kind: 'volta', version: pkg.voltaNode });
  }
  return out;
}

/** An install of a project's dependencies that the repository runs: a Dockerfile RUN or a workflow step. */
export interface ProjectInstall {
  command: InstallCommand;
  /** The line of the install command (in the Dockerfile, the workflow, or the composite action it uses). */
  loc: Loc;
  /** The Dockerfile whose build runs it; undefined for a workflow step. */
  dockerfile?: Dockerfile;
}

/**
 * The installs that read a project's package.json and lockfile: RUN lines of Dockerfiles that copy the
 * project's manifest from their build context (or that sit in the project's folder and install what is
 * built there, such as a package.json a build step copied to dist/), and workflow steps that run in
 * the project's folder (`working-directory:`, a `cd` before the install, `--prefix`, `--dir`, `-C`,
 * `--cwd`). A folder no install reads — a GitHub Action that ships its ncc bundle, a generator's
 * template, a library only a root workspace lockfile installs — is not one whose lockfile changes
 * what CI tests or what an image ships.
 */
export function projectInstalls(model: DeploymentModel, project: Project): ProjectInstall[] {
  const out: ProjectInstall[] = [];
  const seen = new Set<string>();
  const add = (install: ProjectInstall) => {
    const key = `${install.loc.file}:${install.loc.line}:${install.command.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(install);
  };
  const isInstall = (install: InstallCommand | undefined): install is InstallCommand => !!install && !install.global && !install.addsPackages;
  const manifests = new Set(model.packages.map((p) => p.path));
  for (const dockerfile of model.dockerfiles) {
    // A nested project's own Dockerfile installs what is built there, even from a copy under dist/.
    const own = project.dir !== '' && projectFor(model.projects, dockerfile.dir) === project;
    for (const stage of dockerfile.stages) {
      for (const run of stage.runs) {
        let workdir = run.workdir;
        for (const command of run.commands) {
          if (command.argv[0] === 'cd' && command.argv[1] && !/[$~`]/.test(command.argv[1])) {
            workdir = posix.resolve(workdir, command.argv[1]);
            continue;
          }
          const install = classifyInstall(command.argv);
          if (!isInstall(install)) continue;
          const reads = own || manifestsAt(dockerfile, stage, run.loc.line, workdir).some((path) =>
            manifests.has(path) && projectFor(model.projects, dirOf(path)) === project);
          if (reads) add({ command: install, loc: command.loc, dockerfile });
        }
      }
    }
  }
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        if (step.run) {
          let cwd = step.cwd;
          for (const command of step.commands) {
            if (command.argv[0] === 'cd') {
              cwd = cwd === undefined ? undefined : relativeFolder(cwd, command.argv[1]);
              continue;
            }
            const install = classifyInstall(command.argv);
            if (!isInstall(install) || cwd === undefined) continue;
            const target = installFolder(command.argv, cwd);
            if (target !== undefined && projectFor(model.projects, target) === project) add({ command: install, loc: command.loc });
          }
        } else if (step.uses?.value.startsWith('./')) {
          // A local composite action's installs run in the repository root unless the action moves.
          for (const { command, loc } of step.installs) {
            if (isInstall(command) && projectFor(model.projects, '') === project) add({ command, loc });
          }
        }
      }
    }
  }
  return out;
}

/**
 * The repository paths of the package.json files that a stage's COPY/ADD instructions (before the
 * RUN at `line`, in the stage or the stages it is built FROM) place at `<workdir>/package.json`, the
 * file an install running in `workdir` reads: `COPY . .`, `COPY package*.json ./`,
 * `COPY services/api/ /app/`.
 */
function manifestsAt(dockerfile: Dockerfile, stage: Stage, line: number, workdir: string): string[] {
  const target = posix.join(workdir, 'package.json');
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage; s && !chain.includes(s); s = s.from.stageRef !== undefined ? dockerfile.stages[s.from.stageRef] : undefined) chain.push(s);
  const out: string[] = [];
  for (const context of dockerfile.contexts) {
    for (const s of chain) {
      for (const copy of contextCopies(s)) {
        if (s === stage && copy.loc.line > line) continue;
        const dest = posix.resolve(copy.workdir, copy.dest.value);
        const intoFolder = copy.dest.value.endsWith('/') || copy.dest.value === '.' || copy.sources.length > 1;
        for (const { value } of copy.sources) {
          if (!isLiteralSource(value)) continue;
          const base = posix.basename(value);
          if (base === 'package.json' || (isGlob(base) && picomatch(base)('package.json'))) {
            if (isGlob(posix.dirname(value))) continue;
            const landing = intoFolder ? posix.join(dest, 'package.json') : dest;
            const path = landing === target ? contextPath(context.dir, posix.join(posix.dirname(value), 'package.json')) : undefined;
            if (path !== undefined) out.push(path);
          } else if (!isGlob(value) && (workdir === dest || workdir.startsWith(dest === '/' ? '/' : dest + '/'))) {
            // A folder copied to (or above) the install's folder: its package.json is the one below it.
            const path = contextPath(context.dir, posix.join(value, posix.relative(dest, workdir), 'package.json'));
            if (path !== undefined) out.push(path);
          }
        }
      }
    }
  }
  return out;
}

/** The folder `cd <to>` moves to from `from`; undefined when it leaves the repository or depends on a variable. */
function relativeFolder(from: string, to: string | undefined): string | undefined {
  if (!to || to.startsWith('/') || /[$~`]/.test(to) || to === '-') return undefined;
  const joined = posix.normalize(posix.join(from || '.', to));
  if (joined === '..' || joined.startsWith('../')) return undefined;
  return joined === '.' ? '' : joined.replace(/\/$/, '');
}

/** The folder an install runs in: its `--prefix` (npm), `--dir`/`-C` (pnpm) or `--cwd` (yarn), else the shell's folder. */
function installFolder(argv: string[], cwd: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const [flag, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    if (!['--prefix', '--dir', '-C', '--cwd'].includes(flag)) continue;
    return relativeFolder(cwd, inline ?? argv[i + 1]);
  }
  return cwd;
}

/** The project a folder belongs to: the deepest project whose folder encloses it. */
export function projectFor(projects: Project[], dir: string): Project | undefined {
  let best: Project | undefined;
  for (const project of projects) {
    const inside = project.dir === '' || dir === project.dir || dir.startsWith(project.dir + '/');
    if (inside && (!best || project.dir.length > best.dir.length)) best = project;
  }
  return best;
}

/**
 * Lockfiles are read up to this size: a 200-service pnpm monorepo's lockfile is a few MiB; beyond
 * this the file is not something a rule can usefully compare.
 */
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** What a lockfile records per importer; only the parts compared with package.json are parsed. */
function readLockfileContents(
  model: DeploymentModel,
  path: string,
  manager: PackageManager,
  dir: string,
  format: string | undefined,
): LockfileContents | undefined {
  if (manager === 'bun') return undefined;
  const text = model.files.readLarge(path, MAX_LOCKFILE_BYTES);
  if (text === undefined) return undefined;
  try {
    if (manager === 'npm') return readNpmLockfile(text, path, dir);
    if (manager === 'pnpm') return readPnpmLockfile(text, path, dir);
    if (format === '1') return readYarnClassicLockfile(text, path);
    if (format !== undefined) return readYarnBerryLockfile(text, path, dir);
  } catch {
    // A reader that meets a shape it does not know gives no facts rather than wrong ones.
  }
  return undefined;
}

/** Repo-relative folder of an importer key ('.', 'services/api', '../shared') of a lockfile in `dir`. */
function importerDir(lockDir: string, key: string): string {
  const joined = posix.normalize(posix.join(lockDir || '.', key));
  return joined === '.' ? '' : joined;
}

/**
 * package-lock.json / npm-shrinkwrap.json. A JSON visitor collects only the importer entries
 * (`packages[""]`, `packages["services/api"]`) with their declared ranges and the `version`/`link` of
 * each installed package, with lines; no tree of the whole (often multi-MiB) document is built.
 */
function readNpmLockfile(text: string, path: string, dir: string): LockfileContents {
  const importers = new Map<string, LockfileImporter>();
  const nodes = new Map<string, LockedNode>();
  const legacyNodes = new Map<string, LockedNode>();
  let version: string | undefined;
  let error: LockfileContents['error'];
  // Keys of the containers around the current value ('$' for the document, '#' for array elements).
  const stack: string[] = [];
  let key: string | undefined;
  let keyLine = 0;
  const isImporterKey = (k: string) => !k.startsWith('node_modules/') && !k.includes('/node_modules/');
  const loc = (line0: number): Loc => ({ file: path, line: line0 + 1 });
  jsonc.visit(text, {
    onObjectBegin() {
      stack.push(stack.length === 0 ? '$' : key ?? '#');
      key = undefined;
      if (stack.length === 3 && stack[1] === 'packages') {
        const entry = stack[2];
        nodes.set(entry, { link: false, loc: loc(keyLine) });
        if (isImporterKey(entry)) {
          importers.set(importerDir(dir, entry), { dir: importerDir(dir, entry), key: entry, loc: loc(keyLine), dependencies: new Map() });
        }
      } else if (stack.length === 3 && stack[1] === 'dependencies') {
        // Lockfile v1 (npm 6): top-level "dependencies" are the packages in node_modules. Lockfile v2
        // repeats them there for npm 6 (workspace links as "file:" versions): "packages" wins.
        legacyNodes.set(`node_modules/${stack[2]}`, { link: false, loc: loc(keyLine) });
      }
    },
    onObjectEnd() {
      stack.pop();
      key = undefined;
    },
    onArrayBegin() {
      stack.push(key ?? '#');
      key = undefined;
    },
    onArrayEnd() {
      stack.pop();
      key = undefined;
    },
    onObjectProperty(property, _offset, _length, startLine) {
      key = property;
      keyLine = startLine;
    },
    onLiteralValue(value) {
      const k = key;
      key = undefined;
      const depth = stack.length;
      // "os": ["linux"], "cpu": ["x64"], "libc": ["glibc"] of an installed package.
      if (k === undefined && depth === 4 && stack[1] === 'packages' && typeof value === 'string') {
        const platform = stack[3];
        const node = nodes.get(stack[2]);
        if (node && (platform === 'os' || platform === 'cpu' || platform === 'libc')) (node[platform] ??= []).push(value);
      }
      if (k === undefined) return;
      if (depth === 1 && k === 'lockfileVersion') version = String(value);
      if (depth === 3 && (stack[1] === 'packages' || stack[1] === 'dependencies')) {
        const node = stack[1] === 'packages' ? nodes.get(stack[2]) : legacyNodes.get(`node_modules/${stack[2]}`);
        if (node && k === 'version' && typeof value === 'string') node.version = value;
        if (node && k === 'link' && value === true) node.link = true;
        if (node && value === true && (k === 'hasInstallScript' || k === 'optional' || k === 'dev')) node[k] = true;
      }
      if (depth === 4 && stack[1] === 'packages' && typeof value === 'string' && (DEPENDENCY_KINDS as string[]).includes(stack[3])) {
        const importer = importers.get(importerDir(dir, stack[2]));
        if (importer && isImporterKey(stack[2])) {
          importer.dependencies.set(k, { name: k, specifier: value, kind: stack[3] as DependencyKind, loc: loc(keyLine) });
        }
      }
    },
    onError(code, _offset, _length, startLine) {
      error ??= {
        message: /^(<{7}|={7}|>{7})/m.test(text) ? 'it holds unresolved merge conflict markers' : `it is not valid JSON (${jsonc.printParseErrorCode(code)})`,
        loc: loc(startLine),
      };
    },
  });
  return { version, importers, nodes: nodes.size > 0 ? nodes : legacyNodes, overriddenNames: new Set(), ...(error ? { error } : {}) };
}

/** Top-level sections of a YAML document written in block style: key → [start, end) offsets and first line. */
interface Section {
  start: number;
  end: number;
  line: number;
}

/**
 * The top-level keys of a block-style YAML document, found from the lines that start in column 0
 * (in block style only a new top-level key, a comment or a document marker can). Package managers
 * write their lockfiles this way; the sections are then parsed with the YAML parser, so that a
 * multi-MiB `packages:`/`snapshots:` section that no rule needs is never parsed.
 */
function topLevelSections(text: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: { name: string; section: Section } | undefined;
  let line = 1;
  for (let pos = 0; pos < text.length; line++) {
    const next = text.indexOf('\n', pos);
    const end = next < 0 ? text.length : next + 1;
    const c = text[pos];
    if (c !== ' ' && c !== '\t' && c !== '#' && c !== '\n' && c !== '\r') {
      if (current) current.section.end = pos;
      current = undefined;
      if (text.startsWith('---', pos)) {
        // A second document (pnpm 10 writes the config-dependency lockfile first): the last one is the project's.
        sections.clear();
      } else {
        const colon = text.indexOf(':', pos);
        if (colon > pos && colon < end) {
          const name = text.slice(pos, colon).replace(/^['"]|['"]$/g, '');
          current = { name, section: { start: pos, end: text.length, line } };
          sections.set(name, current.section);
        }
      }
    }
    pos = end;
  }
  return sections;
}

/** A parsed YAML node with the line of its key: maps become Map, scalars strings. */
interface YamlNode {
  value: string | Map<string, YamlNode> | undefined;
  /** Line of the key (or of the section, for a section's value). */
  line: number;
}

/** Converts a CST node (block map or scalar) into plain values with lines; other shapes give undefined. */
function cstToNode(token: CST.Token | undefined, line: number, lineOf: (offset: number) => number): YamlNode {
  if (!token) return { value: undefined, line };
  if (token.type === 'block-map') {
    const map = new Map<string, YamlNode>();
    for (const item of token.items) {
      if (!item.key) continue;
      const key = CST.resolveAsScalar(item.key as CST.FlowScalar);
      if (!key) continue;
      map.set(String(key.value), cstToNode(item.value, lineOf(item.key.offset), lineOf));
    }
    return { value: map, line };
  }
  // `{}`: pnpm writes an importer without dependencies this way.
  if (token.type === 'flow-collection' && token.start.source === '{' && token.items.length === 0) return { value: new Map(), line };
  if (token.type === 'scalar' || token.type === 'single-quoted-scalar' || token.type === 'double-quoted-scalar' || token.type === 'block-scalar') {
    return { value: CST.resolveAsScalar(token)?.value, line };
  }
  return { value: undefined, line };
}

/** One top-level section of a YAML text, parsed with the YAML parser's CST (no document is composed). */
function parseSection(text: string, section: Section): YamlNode | undefined {
  const source = text.slice(section.start, section.end);
  const fast = readBlockMappings(source, section.line);
  if (fast !== null) return fast;
  for (const token of new YamlParser().parse(source)) {
    if (token.type !== 'document' || token.value?.type !== 'block-map') continue;
    const item = token.value.items[0];
    if (!item?.key) return undefined;
    const lines = new LineMap(source);
    return cstToNode(item.value, section.line, (offset) => section.line + lines.line(offset) - 1);
  }
  return undefined;
}

/**
 * The value of a one-key YAML section made only of block mappings whose lines are `key:`,
 * `key: scalar` or `key: {}` (how package managers write the parts of lockfiles compared here),
 * read from the YAML lexer's tokens: several times faster than building the CST of the importers of
 * a big monorepo. Any other shape (sequences, anchors, tags, block or multi-line scalars, non-empty
 * flow collections, uneven indentation) gives null, and the caller uses the full parser instead.
 */
function readBlockMappings(source: string, firstLine: number): YamlNode | null {
  const map = readBlockMappingDocument(source, firstLine);
  const section = map?.size === 1 ? [...map.values()][0] : undefined;
  return section ? { value: section.value, line: firstLine } : null;
}

/** The top-level mapping of a YAML text of the shape `readBlockMappings` takes; null for any other shape. */
function readBlockMappingDocument(source: string, firstLine: number): Map<string, YamlNode> | null {
  interface Frame {
    /** Indentation of the key that owns this node (-1 for the virtual root). */
    indent: number;
    node: YamlNode;
    /** Indentation of the node's own keys, once the first is seen. */
    childIndent?: number;
  }
  const top: YamlNode = { value: new Map(), line: firstLine };
  const frames: Frame[] = [{ indent: -1, node: top }];
  let line = firstLine;
  let indent = 0;
  let atLineStart = true;
  let plainNext = false;
  // Significant tokens of the current line: scalars as { text }, punctuation as { punct }.
  let parts: ({ text: string } | { punct: string })[] = [];

  const endLine = (): boolean => {
    const lineParts = parts;
    parts = [];
    if (lineParts.length === 0) return true;
    const [k, colon, ...rest] = lineParts;
    if (!k || !('text' in k) || !colon || !('punct' in colon) || colon.punct !== ':') return false;
    let value: YamlNode['value'] | 'open';
    if (rest.length === 0) value = 'open';
    else if (rest.length === 1 && 'text' in rest[0]) value = rest[0].text;
    else if (rest.length === 2 && 'punct' in rest[0] && rest[0].punct === '{' && 'punct' in rest[1] && rest[1].punct === '}') value = new Map();
    else return false;
    while (frames[frames.length - 1].indent >= indent) frames.pop();
    const parent = frames[frames.length - 1];
    if (parent.childIndent === undefined) parent.childIndent = indent;
    else if (parent.childIndent !== indent) return false;
    if (parent.node.value === undefined) parent.node.value = new Map();
    if (!(parent.node.value instanceof Map)) return false;
    const node: YamlNode = { value: value === 'open' ? undefined : value, line };
    parent.node.value.set(k.text, node);
    if (value === 'open') frames.push({ indent, node });
    return true;
  };

  for (const token of new YamlLexer().lex(source)) {
    if (token === '\x1f') {
      plainNext = true;
      continue;
    }
    const type = plainNext ? 'plain' : CST.tokenType(token);
    plainNext = false;
    if (type === 'newline') {
      if (!endLine()) return null;
      line++;
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (type === 'space') {
      if (atLineStart) indent = token.length;
      continue;
    }
    atLineStart = false;
    if (type === 'comment' || type === 'doc-mode') continue;
    if (token.includes('\n')) return null;
    if (type === 'plain') parts.push({ text: token.trimEnd() });
    else if (type === 'single-quoted-scalar') parts.push({ text: token.slice(1, -1).replace(/''/g, "'") });
    else if (type === 'double-quoted-scalar') {
      const resolved = CST.resolveAsScalar({ type, offset: 0, indent: 0, source: token });
      if (!resolved) return null;
      parts.push({ text: String(resolved.value) });
    } else if (type === 'map-value-ind' || type === 'flow-map-start' || type === 'flow-map-end') parts.push({ punct: token });
    else return null;
  }
  if (!endLine()) return null;
  return top.value as Map<string, YamlNode>;
}

function mapOf(node: YamlNode | undefined): Map<string, YamlNode> | undefined {
  return node?.value instanceof Map ? node.value : undefined;
}

function stringOf(node: YamlNode | undefined): string | undefined {
  return typeof node?.value === 'string' ? node.value : node?.value === undefined || node.value instanceof Map ? undefined : String(node.value);
}

const PNPM_IMPORTER_KINDS: DependencyKind[] = ['dependencies', 'devDependencies', 'optionalDependencies'];

/**
 * pnpm-lock.yaml: the importers with their specifiers (lockfile 6 and 9: `importers.<dir>.<kind>.<name>.specifier`;
 * lockfile 5: `importers.<dir>.specifiers`; a single project keeps them at the top level), the
 * settings and overrides. `packages:` and `snapshots:`, most of the file, are not parsed.
 */
function readPnpmLockfile(text: string, path: string, dir: string): LockfileContents {
  const sections = topLevelSections(text);
  const importers = new Map<string, LockfileImporter>();
  const section = (name: string): YamlNode | undefined => {
    const s = sections.get(name);
    return s ? parseSection(text, s) : undefined;
  };
  const readImporter = (key: string, entry: Map<string, YamlNode | undefined>, line: number): void => {
    const dependencies = new Map<string, LockedDependency>();
    const specifiers = mapOf(entry.get('specifiers'));
    for (const kind of PNPM_IMPORTER_KINDS) {
      for (const [name, node] of mapOf(entry.get(kind)) ?? []) {
        const place = specifiers ? specifiers.get(name) : mapOf(node)?.get('specifier');
        const specifier = stringOf(place);
        if (specifier === undefined) continue;
        dependencies.set(name, { name, specifier, kind, loc: { file: path, line: place!.line } });
      }
    }
    importers.set(importerDir(dir, key), { dir: importerDir(dir, key), key, loc: { file: path, line }, dependencies });
  };
  const importerSection = sections.has('importers') ? section('importers') : undefined;
  if (importerSection) {
    for (const [key, node] of mapOf(importerSection) ?? []) {
      const entry = mapOf(node);
      if (entry) readImporter(key, entry, node.line);
    }
  } else {
    // A single project (lockfile 5 and 6): the importer's fields are top-level sections.
    const entry = new Map(['specifiers', ...PNPM_IMPORTER_KINDS].map((name) => [name, sections.has(name) ? section(name) : undefined]));
    if ([...entry.values()].some(Boolean)) readImporter('.', entry, 1);
  }
  const settings = mapOf(section('settings'));
  const flag = (name: string): boolean | undefined => {
    const v = stringOf(settings?.get(name));
    return v === 'true' ? true : v === 'false' ? false : undefined;
  };
  const overriddenNames = new Set<string>();
  const overrides = new Map<string, string>();
  for (const [key, node] of mapOf(section('overrides')) ?? []) {
    const name = overriddenName(key);
    if (name) overriddenNames.add(name);
    const spec = stringOf(node);
    if (spec !== undefined) overrides.set(key, spec);
  }
  const version = stringOf(section('lockfileVersion'));
  const autoInstallPeers = flag('autoInstallPeers');
  const excludeLinks = flag('excludeLinksFromLockfile');
  return {
    version,
    importers,
    overriddenNames,
    ...(overrides.size ? { overrides } : {}),
    ...(autoInstallPeers !== undefined ? { autoInstallPeers } : {}),
    ...(excludeLinks !== undefined ? { excludeLinks } : {}),
  };
}

/**
 * The package an override key replaces: "foo", "foo@1", "parent>foo", "@s/foo@<2", "foo@>=1 <2", and
 * yarn's "**" + "/foo". A `>` separates parent and child only after a name or version character (pnpm's
 * rule), so the `>` of a range such as `foo@>=1` is not one.
 */
function overriddenName(key: string): string | undefined {
  const last = key.split(/(?<=[^ |@])>|\/\*\*\//).pop()!.replace(/^\*\*\//, '');
  const name = last.startsWith('@') ? '@' + last.slice(1).split('@')[0] : last.split('@')[0];
  return name || undefined;
}

/**
 * The entry keys of a yarn.lock (lines in column 0 other than comments), each paired with its line.
 * Entry bodies are indented in both Yarn formats and are not needed to know which descriptors exist.
 */
function yarnKeyLines(text: string): { key: string; line: number; start: number; end: number }[] {
  const keys: { key: string; line: number; start: number; end: number }[] = [];
  let line = 1;
  for (let pos = 0; pos < text.length; line++) {
    const next = text.indexOf('\n', pos);
    const end = next < 0 ? text.length : next + 1;
    const c = text[pos];
    if (c !== ' ' && c !== '\t' && c !== '#' && c !== '\n' && c !== '\r') {
      if (keys.length) keys[keys.length - 1].end = pos;
      keys.push({ key: text.slice(pos, end).trimEnd(), line, start: pos, end: text.length });
    }
    pos = end;
  }
  return keys;
}

const requireCjs = createRequire(import.meta.url);

/**
 * Yarn 1 yarn.lock: the descriptors (`express@^4.18.2`) it resolves. The entry keys are parsed with
 * Yarn's own lockfile parser, each given its line as body, so the (large) entry bodies are skipped.
 */
function readYarnClassicLockfile(text: string, path: string): LockfileContents | undefined {
  const keys = yarnKeyLines(text);
  if (keys.some((k) => /^(<{7}|={7}|>{7})/.test(k.key))) return undefined;
  const { parse } = requireCjs('@yarnpkg/lockfile') as typeof import('@yarnpkg/lockfile');
  const keyText = keys.map((k) => `${k.key}\n  line ${k.line}\n`).join('');
  const parsed = parse(keyText);
  if (parsed.type !== 'success') return undefined;
  const descriptors = new Map<string, Loc>();
  for (const [descriptor, entry] of Object.entries(parsed.object as Record<string, { line?: number }>)) {
    descriptors.set(descriptor, { file: path, line: entry.line ?? 1 });
  }
  return { version: '1', importers: new Map(), descriptors, overriddenNames: new Set() };
}

/**
 * Yarn 2+ yarn.lock (YAML): the descriptors of every entry key (`"express@npm:^4.18.2, express@npm:^4.19.0"`)
 * and, for each workspace entry (`"api@workspace:services/api"`), the dependencies it records.
 */
function readYarnBerryLockfile(text: string, path: string, dir: string): LockfileContents | undefined {
  const keys = yarnKeyLines(text);
  if (keys.some((k) => /^(<{7}|={7}|>{7})/.test(k.key))) return undefined;
  // Each key line becomes `key: <line>`, a YAML mapping from the entry key to where it is written.
  const keyText = keys.map((k) => `${k.key} ${k.line}`).join('\n');
  const fast = readBlockMappingDocument(keyText, 1);
  const keyDoc: Record<string, unknown> | null = fast
    ? Object.fromEntries([...fast].map(([key, node]) => [key, Number(node.value)]))
    : (parseYaml(keyText) as Record<string, unknown> | null);
  if (!keyDoc || typeof keyDoc !== 'object') return undefined;
  const descriptors = new Map<string, Loc>();
  const importers = new Map<string, LockfileImporter>();
  const starts = new Map(keys.map((k) => [k.line, k]));
  for (const [entryKey, line] of Object.entries(keyDoc)) {
    if (entryKey === '__metadata' || typeof line !== 'number' || !Number.isInteger(line)) continue;
    for (const descriptor of entryKey.split(',').map((d) => d.trim())) {
      descriptors.set(descriptor, { file: path, line });
      const workspace = /^(@?[^@]+)@workspace:(.+)$/.exec(descriptor);
      const keyLine = starts.get(line);
      if (!workspace || !keyLine) continue;
      const entry = parseSection(text, { start: keyLine.start, end: keyLine.end, line });
      const dependencies = new Map<string, LockedDependency>();
      for (const [name, node] of mapOf(mapOf(entry)?.get('dependencies')) ?? []) {
        const specifier = stringOf(node);
        if (specifier !== undefined) dependencies.set(name, { name, specifier, loc: { file: path, line: node.line } });
      }
      const folder = importerDir(dir, workspace[2]);
      importers.set(folder, { dir: folder, key: workspace[2], loc: { file: path, line }, dependencies });
    }
  }
  const metadata = keys.find((k) => k.key === '__metadata:');
  const version = metadata ? stringOf(mapOf(parseSection(text, { start: metadata.start, end: metadata.end, line: metadata.line }))?.get('version')) : undefined;
  return { version, importers, descriptors, overriddenNames: new Set() };
}
