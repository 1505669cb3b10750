import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import picomatch from 'picomatch';
import { parseDocument, isSeq, isScalar, LineCounter } from 'yaml';
import type { DeploymentModel } from '../model/index.js';
import type { Located } from '../model/location.js';
import type {
  Dependency,
  DependencyKind,
  Lockfile,
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
      lockfiles.push({ path, manager, dir: dirOf(path), ...(format ? { format } : {}) });
    }
  }
  const pnpmWorkspaces = new Map<string, { path: string; packages: Located<string>[] }>();
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
  for (const kind of DEPENDENCY_KINDS) {
    const deps = json[kind];
    if (!isRecord(deps)) continue;
    for (const [name, range] of Object.entries(deps)) {
      if (typeof range !== 'string') continue;
      // A package listed in both keeps its runtime kind: that is what production installs.
      if (dependencies.has(name) && kind !== 'dependencies') continue;
      dependencies.set(name, { name, range, kind, loc: doc.locOf([kind, name]) });
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
  };
}

function readPnpmWorkspace(model: DeploymentModel, path: string): { path: string; packages: Located<string>[] } | undefined {
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
  return { path, packages };
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
  pnpmWorkspaces: Map<string, { path: string; packages: Located<string>[] }>,
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

/** The project a folder belongs to: the deepest project whose folder encloses it. */
export function projectFor(projects: Project[], dir: string): Project | undefined {
  let best: Project | undefined;
  for (const project of projects) {
    const inside = project.dir === '' || dir === project.dir || dir.startsWith(project.dir + '/');
    if (inside && (!best || project.dir.length > best.dir.length)) best = project;
  }
  return best;
}
