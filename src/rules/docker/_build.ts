import { posix } from 'node:path';
import picomatch from 'picomatch';
import { contextCopies, contextPath, stageCommands, type BuildContextRef, type DockerCommand, type Dockerfile, type EntrypointScript, type Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { PackageJson, Project } from '../../model/packages.js';
import { known } from '../../model/infra.js';
import { effectiveArgv, workspaceSelectors } from '../../model/shell.js';
import { projectFor } from '../../discover/packages.js';

export { contextCopies, contextPath, isGlob, isLiteralSource, stageCommands } from '../../model/docker.js';
/** Workspace names a command selects (pnpm --filter, yarn workspace, npm -w). */
export const filteredNames = workspaceSelectors;

/**
 * Facts about a Docker build shared by the docker/* rules: which context it uses, which stages
 * end up in the image, which package and project it builds. Computed once per Dockerfile.
 */
export interface BuildContext {
  dir: string;
  /** True when nothing (workflow, compose, script) says where it is built: the folder was inferred. */
  assumed: boolean;
  ref: BuildContextRef;
}

export interface BuildFacts {
  dockerfile: Dockerfile;
  contexts: BuildContext[];
  /** Stages the final stage needs (FROM chains and COPY --from), final stage included; in order. */
  reachable: Stage[];
  /** The package(s) the Dockerfile builds, best guess first. */
  packages: PackageJson[];
  project?: Project;
}

const cache = new WeakMap<Dockerfile, BuildFacts>();

export function buildFacts(model: DeploymentModel, dockerfile: Dockerfile): BuildFacts {
  let facts = cache.get(dockerfile);
  if (!facts) {
    const contexts = contextsOf(dockerfile);
    const packages = builtPackages(model, dockerfile, contexts[0]?.dir ?? dockerfile.dir);
    facts = {
      dockerfile,
      contexts,
      reachable: reachableStages(dockerfile),
      packages,
      project: projectFor(model.projects, packages[0]?.dir ?? contexts[0]?.dir ?? dockerfile.dir),
    };
    cache.set(dockerfile, facts);
  }
  return facts;
}

/**
 * The contexts a Dockerfile is built from: those a workflow, compose file or script names, else the
 * one the discoverer inferred (marked assumed, so messages say so).
 */
function contextsOf(dockerfile: Dockerfile): BuildContext[] {
  return dockerfile.contexts.map((ref) => ({ dir: ref.dir, assumed: ref.via === 'dockerfile-folder', ref }));
}

function reachableStages(dockerfile: Dockerfile): Stage[] {
  const { stages } = dockerfile;
  const seen = new Set<number>();
  const visit = (index: number) => {
    if (seen.has(index) || !stages[index]) return;
    seen.add(index);
    const stage = stages[index];
    if (stage.from.stageRef !== undefined) visit(stage.from.stageRef);
    for (const copy of stage.copies) if (copy.fromStage !== undefined) visit(copy.fromStage);
    // RUN --mount=from=<stage> reads that stage too.
    for (const run of stage.runs) {
      for (const mount of run.mounts) {
        const from = /(?:^|,)from=([^,]+)/.exec(mount)?.[1];
        const ref = from ? stages.findIndex((s) => s.name?.value.toLowerCase() === from.toLowerCase()) : -1;
        if (ref >= 0) visit(ref);
      }
    }
  };
  if (stages.length > 0) visit(stages.length - 1);
  return stages.filter((s) => seen.has(s.index));
}

/** The package a workspace selector names, by package name or folder. */
export function packageBySelector(model: DeploymentModel, selector: string, projectDir: string): PackageJson | undefined {
  const dir = posix.normalize(posix.join(projectDir || '.', selector.replace(/^\.\//, '')));
  const isPattern = /[*?]/.test(selector);
  const matchName = isPattern ? picomatch(selector) : (n: string) => n === selector;
  return model.packages.find((p) => (p.name && matchName(p.name.value)) || (!isPattern && p.dir === dir && selector.includes('/')));
}

/**
 * The package(s) a Dockerfile builds: those its commands select by workspace filter, else the
 * package whose folder holds the Dockerfile (or the nearest enclosing one inside the context).
 */
function builtPackages(model: DeploymentModel, dockerfile: Dockerfile, contextDir: string): PackageJson[] {
  const selected: PackageJson[] = [];
  const project = projectFor(model.projects, dockerfile.dir);
  for (const stage of dockerfile.stages) {
    for (const command of stageCommands(stage)) {
      for (const name of filteredNames(command.argv)) {
        const pkg = packageBySelector(model, name, project?.dir ?? contextDir);
        if (pkg && !selected.includes(pkg)) selected.push(pkg);
      }
    }
  }
  const byDir = packagesByDir(model);
  let enclosing: PackageJson | undefined;
  for (let dir = dockerfile.dir; ; dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir)) {
    enclosing = byDir.get(dir);
    if (enclosing || dir === '') break;
  }
  // The last filtered package is the one built on top of the others (shared libraries first).
  const ordered = [...selected].reverse();
  if (enclosing && !ordered.includes(enclosing)) {
    // A Dockerfile inside a member's folder builds that member, even when it also builds its libraries.
    if (enclosing.dir !== (project?.dir ?? '') || ordered.length === 0) ordered.unshift(enclosing);
    else ordered.push(enclosing);
  }
  return ordered;
}

const byDirCache = new WeakMap<PackageJson[], Map<string, PackageJson>>();

/** Packages by folder, built once per model. */
export function packagesByDir(model: DeploymentModel): Map<string, PackageJson> {
  let map = byDirCache.get(model.packages);
  if (!map) byDirCache.set(model.packages, (map = new Map(model.packages.map((p) => [p.dir, p]))));
  return map;
}

/** "node:20-alpine" style, for messages. */
export function imageText(stage: Stage): string {
  const image = stage.from;
  return image.raw;
}

/** Base image families without curl (and, for slim/distroless, without wget). */
export function imageTools(stage: Stage): { curl: boolean; wget: boolean; shell: boolean } | undefined {
  const image = stage.rootImage;
  if (image.unresolved) return undefined;
  const ref = `${image.name}:${image.tag ?? ''}`.toLowerCase();
  if (/distroless|chainguard|cgr\.dev/.test(ref)) return { curl: false, wget: false, shell: /:debug/.test(ref) };
  if (/alpine/.test(ref)) return { curl: false, wget: true, shell: true };
  if (/slim/.test(ref)) return { curl: false, wget: false, shell: true };
  // The full node images are built on buildpack-deps, which ships curl and wget.
  if (image.name === 'node' || image.name === 'buildpack-deps') return { curl: true, wget: true, shell: true };
  if (image.name === 'debian' || image.name === 'ubuntu') return { curl: false, wget: false, shell: true };
  return undefined;
}

/** The stage and the stages it is built FROM, nearest first. */
export function stageChain(dockerfile: Dockerfile, stage: Stage): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage; s && !chain.includes(s); s = s.from.stageRef !== undefined ? dockerfile.stages[s.from.stageRef] : undefined) {
    chain.push(s);
  }
  return chain;
}

/** The entrypoint script a command runs, when it was copied from the context and its text is known. */
export function scriptFor(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage, command: string): EntrypointScript | undefined {
  const name = posix.basename(command);
  const facts = buildFacts(model, dockerfile);
  for (const context of facts.contexts) {
    for (const copy of contextCopies(stage)) {
      for (const source of copy.sources) {
        const path = contextPath(context.dir, source.value);
        if (path === undefined) continue;
        const direct = dockerfile.buildInputs.scripts.get(path);
        if (direct && posix.basename(path) === name) return direct;
        // A folder copy (COPY scripts/ /usr/local/bin/) holding the script.
        for (const [scriptPath, script] of dockerfile.buildInputs.scripts) {
          if (posix.basename(scriptPath) === name && (path === '' || scriptPath.startsWith(path + '/'))) return script;
        }
      }
    }
  }
  return undefined;
}

/** ENTRYPOINT ["./docker-entrypoint.sh"] style: a script that sets up and then starts the CMD. */
export function isEntrypointScript(program: string): boolean {
  return /\.(sh|bash)$/.test(program) || /entrypoint/i.test(posix.basename(program));
}

/** The script ends by exec'ing its arguments (`exec "$@"`): the CMD becomes the process. */
export function forwardsArguments(script: EntrypointScript): boolean {
  return script.execs.some((e) => e.argv[0] === '$@' || e.argv[0] === '${@}');
}

/** node flags that take the next word as their value. */
const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print', '--env-file', '--title', '--inspect-port']);

/** The script file a node command line runs: `node --enable-source-maps dist/index.js` → dist/index.js. */
export function nodeEntry(argv: string[]): string | undefined {
  const program = effectiveArgv(argv);
  const name = posix.basename(program[0] ?? '');
  if (name !== 'node' && name !== 'nodejs') return undefined;
  for (let i = 1; i < program.length; i++) {
    const word = program[i];
    if (word === '-e' || word === '--eval' || word === '-p' || word === '--print') return undefined;
    if (NODE_VALUE_FLAGS.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    return word;
  }
  return undefined;
}


/** The value of a command-line flag, as `--flag value` or `--flag=value`. */
export function flagValue(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    for (const name of names) {
      if (argv[i] === name) return argv[i + 1];
      if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    }
  }
  return undefined;
}

const runtimePackagesCache = new WeakMap<Dockerfile, PackageJson[]>();

/**
 * The packages whose production dependencies the image runs: the built package(s) and the workspace
 * packages they depend on (`@acme/db` holding the Prisma schema), transitively.
 */
export function runtimePackages(model: DeploymentModel, dockerfile: Dockerfile): PackageJson[] {
  let list = runtimePackagesCache.get(dockerfile);
  if (list) return list;
  list = [];
  const byName = new Map(model.packages.filter((p) => p.name).map((p) => [p.name!.value, p]));
  const queue = [...buildFacts(model, dockerfile).packages];
  while (queue.length > 0 && list.length < 200) {
    const pkg = queue.shift()!;
    if (list.includes(pkg)) continue;
    list.push(pkg);
    for (const dependency of pkg.dependencies.values()) {
      if (dependency.kind !== 'dependencies') continue;
      const member = byName.get(dependency.name);
      if (member && !list.includes(member)) queue.push(member);
    }
  }
  runtimePackagesCache.set(dockerfile, list);
  return list;
}

export type Arch = 'x64' | 'arm64';

/**
 * The CPU the final image runs on: FROM --platform, else the runtimePlatform of the task definitions
 * that run this service. Both when nothing in the repository says (ECS defaults to X86_64, but the
 * task may be defined elsewhere).
 */
export function runtimeArchs(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): { archs: Arch[]; evidence: string } {
  const platform = stage.from.platform?.value ?? stage.rootImage.platform?.value;
  if (platform && !platform.includes('$')) {
    return { archs: [/arm64|aarch64/.test(platform) ? 'arm64' : 'x64'], evidence: ` on ${platform} (FROM --platform at ${stage.from.loc.file}:${stage.from.loc.line})` };
  }
  const services = model.services.filter((s) => s.dockerfiles.includes(dockerfile));
  const archs = new Set<Arch>();
  const places: string[] = [];
  for (const task of model.infra.taskDefinitions) {
    if (!task.containers.some((c) => c.link && services.includes(c.link.service))) continue;
    const cpu = task.runtimePlatform ? known(task.runtimePlatform.cpuArchitecture) : 'X86_64';
    if (cpu === undefined) return { archs: ['x64', 'arm64'], evidence: '' };
    archs.add(cpu.toUpperCase() === 'ARM64' ? 'arm64' : 'x64');
    const loc = task.runtimePlatform?.loc ?? task.loc;
    places.push(`${cpu.toUpperCase()}${task.runtimePlatform ? '' : ' by default'} in ${loc.file}:${loc.line}`);
  }
  if (archs.size === 0) return { archs: ['x64', 'arm64'], evidence: '' };
  return { archs: [...archs], evidence: ` on ${places.join(', ')}` };
}

/** Shell keywords that open a branch body: `then npm ci`, `else yarn install`, `do …`. */
const BRANCH_KEYWORDS = new Set(['then', 'else', 'do', '{', '(']);

/** The command without the shell keyword that opens its branch (`then npm ci` → `npm ci`). */
export function branchArgv(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length && BRANCH_KEYWORDS.has(argv[i])) i++;
  return effectiveArgv(argv.slice(i));
}

/** A `[ -f <file> ]` test a command runs under: the file must exist (or, in a later branch, must not). */
export interface FileGuard {
  file: string;
  exists: boolean;
}

/** The file a shell test checks: `[ -f yarn.lock ]`, `test -e package-lock.json`, `[ ! -f x ]`. */
function fileTest(argv: string[]): FileGuard | undefined {
  let words = argv[0] === 'if' || argv[0] === 'elif' ? argv.slice(1) : argv;
  if (words[0] === '[' || words[0] === '[[') words = words.slice(1, words[words.length - 1] === ']' || words[words.length - 1] === ']]' ? -1 : undefined);
  else if (words[0] === 'test') words = words.slice(1);
  else return undefined;
  const negated = words[0] === '!';
  if (negated) words = words.slice(1);
  if (words.length !== 2 || !['-f', '-e', '-s'].includes(words[0])) return undefined;
  return { file: words[1], exists: !negated };
}

/**
 * For each command of a RUN, the file tests of the if/elif/else branches it runs in: the body of
 * `elif [ -f package-lock.json ]` runs only when package-lock.json exists and yarn.lock (the first
 * branch's test) does not. Commands outside any branch, or under a test that is not a file test, get none.
 */
export function fileGuards(commands: DockerCommand[]): Map<DockerCommand, FileGuard[]> {
  const guards = new Map<DockerCommand, FileGuard[]>();
  interface Frame { earlier: (FileGuard | undefined)[]; current: FileGuard | undefined; inBody: boolean }
  const stack: Frame[] = [];
  const active = (): FileGuard[] => {
    const out: FileGuard[] = [];
    for (const frame of stack) {
      if (!frame.inBody) continue;
      // The branch runs when its own test holds and every earlier test of the same if failed.
      for (const g of frame.earlier) if (g) out.push({ file: g.file, exists: !g.exists });
      if (frame.current) out.push(frame.current);
    }
    return out;
  };
  for (const command of commands) {
    const word = command.argv[0];
    if (word === 'if') {
      stack.push({ earlier: [], current: fileTest(command.argv), inBody: false });
      continue;
    }
    const frame = stack[stack.length - 1];
    if (word === 'elif' && frame) {
      frame.earlier.push(frame.current);
      frame.current = fileTest(command.argv);
      frame.inBody = false;
      continue;
    }
    if (word === 'else' && frame) {
      frame.earlier.push(frame.current);
      frame.current = undefined;
      frame.inBody = true;
    } else if (word === 'then' && frame) frame.inBody = true;
    if (word === 'fi') {
      stack.pop();
      continue;
    }
    guards.set(command, active());
  }
  return guards;
}

/**
 * The group key of an install line: docker/unfrozen-install and docker/package-manager-mismatch
 * report the same `npm i` under it, so one command line is one finding.
 */
export function installGroupKey(file: string, line: number): string {
  return `docker install ${file}:${line}`;
}
