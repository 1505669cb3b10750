import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { CopyInstruction, DockerCommand, Dockerfile, RunInstruction, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { PackageJson } from '../../model/packages.js';
import { classifyInstall, effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { pathsUnder } from '../../discover/dockerfiles.js';
import { branchArgv, buildFacts, contextPath, fileGuards, filteredNames, flagValue, isGlob, packageBySelector, packagesByDir, stageChain, type FileGuard } from './_build.js';
import { dockerignoreFor } from '../../model/docker.js';

/**
 * What is in an image at a path, worked out from the Dockerfile without building it: context
 * copies are checked against the file index (and .dockerignore), `COPY --from` follows the other
 * stage, RUN build commands produce their output folders (tsc outDir, package scripts). Anything
 * the analysis cannot follow (an unknown script, an external image) answers "unknown", and rules
 * stay silent on "unknown".
 */
export type Presence = 'yes' | 'no' | 'unknown';

/** Images whose filesystem holds nothing of the application (so a missing app file is really missing). */
const PLAIN_BASES = /^(node|alpine|debian|ubuntu|busybox|amazonlinux|buildpack-deps|.*distroless\/.*|.*chainguard\/.*|.*\/node|.*\/nodejs[-\w]*|.*\/alpine|.*\/debian)$/;

/** Programs that never write application files. */
const HARMLESS = new Set([
  'apk', 'apt-get', 'apt', 'yum', 'dnf', 'microdnf', 'addgroup', 'adduser', 'useradd', 'groupadd', 'usermod',
  'chown', 'chmod', 'chgrp', 'mkdir', 'rm', 'rmdir', 'set', 'export', 'true', 'false', 'test', '[', 'which', 'ls',
  'corepack', 'sed', 'find', 'ldconfig', 'update-ca-certificates', 'sleep', 'exit', 'pip', 'pip3', 'cat', 'echo',
  'printf', 'touch', 'npm', 'pnpm', 'yarn', 'env', 'id', 'whoami', 'du', 'df', 'tree',
  'rimraf', 'dpkg', 'locale-gen', 'cd', 'source', '.', 'date', 'uname', 'grep', 'wget', 'curl', 'tar', 'gzip',
]);

const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);
/** Package-manager subcommands that only manage the cache, config or installed tree. */
const PACKAGE_MANAGER_CHORES = new Set(['prune', 'cache', 'config', 'set', 'audit', 'fetch', 'info', 'ls', 'list', 'why', 'dedupe', 'rebuild', 'store', 'outdated', 'version', 'doctor', 'ping', 'whoami', 'login', 'logout', 'pkg', 'link', 'global', 'remove', 'rm', 'uninstall', 'up', 'upgrade', 'update', 'add', 'install', 'i', 'ci', 'plugin', 'policies', '']);

/** Tools a build script runs that write nothing the runtime loads from the app folder. */
const QUIET_TOOLS = new Set(['rimraf', 'rm', 'echo', 'prisma', 'eslint', 'prettier', 'tsc-alias', 'true', 'del-cli', 'jest', 'vitest', 'mocha', 'husky', 'mkdir']);

/** Programs whose output folder toolOutput knows (or knows it cannot tell). */
const BUILD_TOOLS = new Set(['tsc', 'nest', 'esbuild', 'tsup', 'ncc', 'vite', 'next', 'webpack', 'rollup', 'swc', 'babel', 'parcel', 'turbo', 'nx', 'lerna', 'bun']);

/** Build tools and the folder they write when nothing says otherwise; exact = the folder is certain. */
interface BuildOutput {
  dirs: string[];
  /** False when the build may write other places too. */
  exact: boolean;
  /** tsc output folders whose files mirror a source folder: dist/index.js exists only if src/index.ts does. */
  compiled?: { outDir: string; sourceRoot: string; tsconfig: string }[];
}

const UNKNOWN_OUTPUT: BuildOutput = { dirs: [], exact: false };

function under(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

function rel(path: string, dir: string): string {
  if (path === dir) return '';
  return dir === '/' ? path.slice(1) : path.slice(dir.length + 1);
}

function joinRepo(dir: string, relPath: string): string {
  const p = posix.normalize(posix.join(dir || '.', relPath || '.'));
  return p === '.' ? '' : p.replace(/\/$/, '');
}

function combine(values: Presence[]): Presence {
  if (values.includes('yes')) return 'yes';
  if (values.includes('unknown')) return 'unknown';
  return 'no';
}

type Operation = { kind: 'copy'; copy: CopyInstruction } | { kind: 'run'; run: RunInstruction };

export class ImageAnalysis {
  private readonly memo = new Map<string, Presence>();
  /** Why a compiled path is absent, for messages: where tsc really writes that source. */
  private readonly notes = new Map<string, string>();
  private readonly active = new Set<string>();

  constructor(
    private readonly model: DeploymentModel,
    readonly dockerfile: Dockerfile,
    readonly contextDir: string,
  ) {}

  /** Is `absPath` (a file or folder) present in the stage when it is finished? */
  has(stage: Stage, absPath: string): Presence {
    const key = `${stage.index}\0${absPath}`;
    const cached = this.memo.get(key);
    if (cached) return cached;
    if (this.active.has(key)) return 'unknown';
    this.active.add(key);
    const result = this.compute(stage, absPath);
    this.active.delete(key);
    this.memo.set(key, result);
    return result;
  }

  /** What the analysis learnt about a path it found absent (e.g. where tsc writes the source instead). */
  noteFor(absPath: string): string | undefined {
    return this.notes.get(absPath);
  }

  /** Is a compiled file in tsc's output? Only if its source sits at the mirrored place under the source root. */
  private compiledPresence(compiled: { outDir: string; sourceRoot: string; tsconfig: string }, absPath: string): Presence {
    if (!/\.[cm]?js$/.test(absPath)) return 'yes';
    const stem = rel(absPath, compiled.outDir).replace(/\.[cm]?js$/, '');
    const extensions = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx'];
    if (extensions.some((e) => this.model.files.has(joinRepo(compiled.sourceRoot, stem + e)))) return 'yes';
    // Say where the same file name does compile to: the usual cause is a rootDir that is not src/.
    const name = posix.basename(stem);
    const elsewhere = pathsUnder(this.model.files.paths, compiled.sourceRoot).find((f) => extensions.some((e) => f.endsWith(`/${name}${e}`)) && !f.endsWith('.d.ts'));
    if (elsewhere) {
      const out = posix.join(compiled.outDir, elsewhere.slice(compiled.sourceRoot ? compiled.sourceRoot.length + 1 : 0).replace(/\.(ts|tsx|mts|cts|jsx)$/, '.js'));
      this.notes.set(absPath, `tsc (${compiled.tsconfig}) mirrors ${compiled.sourceRoot ? `${compiled.sourceRoot}/` : 'the repository root'} into ${compiled.outDir}, so ${elsewhere} becomes ${out}`);
    }
    return 'no';
  }

  /** Where the evidence for a path in a stage comes from, for messages: the COPY or RUN that provides it. */
  providerOf(stage: Stage, absPath: string): Loc | undefined {
    for (const op of this.operations(stage).reverse()) {
      const p = op.kind === 'copy' ? this.fromCopy(op.copy, absPath) : this.fromRun(stage, op.run, absPath);
      if (p === 'yes') return op.kind === 'copy' ? op.copy.loc : op.run.loc;
    }
    return undefined;
  }

  /** The repository folder a folder of the image comes from (the package a RUN in it builds). */
  repoDirAt(stage: Stage, absDir: string, depth = 0): string | undefined {
    if (depth > 8) return undefined;
    for (const op of this.operations(stage).reverse()) {
      if (op.kind !== 'copy') continue;
      const copy = op.copy;
      const dest = this.destOf(copy);
      for (const source of copy.sources) {
        if (copy.fromStage !== undefined) {
          const from = this.dockerfile.stages[copy.fromStage];
          if (under(absDir, dest.abs) && from) {
            const found = this.repoDirAt(from, posix.join(posix.resolve('/', source.value), rel(absDir, dest.abs)), depth + 1);
            if (found !== undefined) return found;
          }
          continue;
        }
        if (copy.from) continue;
        const rp = contextPath(this.contextDir, source.value);
        if (rp === undefined || isGlob(source.value)) continue;
        if (this.isContextDir(rp)) {
          if (under(absDir, dest.abs)) return joinRepo(rp, rel(absDir, dest.abs));
        } else if (this.model.files.has(rp) && posix.basename(rp) === 'package.json') {
          // COPY services/api/package.json ./ : the folder stands for the package.
          const target = dest.isDir ? posix.join(dest.abs, 'package.json') : dest.abs;
          if (posix.dirname(target) === absDir) return posix.dirname(rp) === '.' ? '' : posix.dirname(rp);
        }
      }
    }
    // pnpm deploy --filter api /out: the folder is a copy of that package.
    for (const run of stage.runs) {
      for (const command of run.commands) {
        const argv = effectiveArgv(command.argv);
        if (argv[0] !== 'pnpm' || !argv.includes('deploy')) continue;
        const [selector] = filteredNames(argv);
        const target = argv.slice(1).filter((w, i, all) => !w.startsWith('-') && w !== 'deploy' && !['--filter', '-F'].includes(all[i - 1] ?? '')).pop();
        if (!selector || !target || !under(absDir, posix.resolve(run.workdir, target))) continue;
        const pkg = packageBySelector(this.model, selector, '');
        if (pkg) return joinRepo(pkg.dir, rel(absDir, posix.resolve(run.workdir, target)));
      }
    }
    const parent = stage.from.stageRef !== undefined ? this.dockerfile.stages[stage.from.stageRef] : undefined;
    return parent ? this.repoDirAt(parent, absDir, depth + 1) : undefined;
  }

  /** The image folder a repository folder was copied to in a stage (inverse of repoDirAt). */
  imageDirOf(stage: Stage, repoDir: string): string | undefined {
    for (const s of this.chain(stage)) {
      for (const copy of [...s.copies].reverse()) {
        if (copy.fromStage !== undefined) {
          // COPY --from=build /app/packages/shared ./packages/shared: follow it back to the repository.
          const from = this.dockerfile.stages[copy.fromStage];
          const dest = this.destOf(copy);
          for (const source of copy.sources) {
            if (!from || isGlob(source.value) || source.value.includes('$')) continue;
            const repo = this.repoDirAt(from, posix.resolve('/', source.value));
            if (repo === undefined) continue;
            if (repo === '' || repoDir === repo || repoDir.startsWith(repo + '/')) return posix.join(dest.abs, repo === '' ? repoDir : repoDir.slice(repo.length + 1));
          }
          continue;
        }
        if (copy.from) continue;
        const dest = this.destOf(copy);
        for (const source of copy.sources) {
          const rp = contextPath(this.contextDir, source.value);
          // COPY shared/package.json shared/: the package's folder is where its manifest went.
          if (rp === `${repoDir}/package.json` || (repoDir === '' && rp === 'package.json')) return dest.isDir ? dest.abs : posix.dirname(dest.abs);
          if (rp === undefined || !this.isContextDir(rp)) continue;
          if (rp === '' || repoDir === rp || repoDir.startsWith(rp + '/')) return posix.join(dest.abs, rp === '' ? repoDir : repoDir.slice(rp.length + 1));
        }
      }
    }
    return undefined;
  }

  /** Repository paths copied (directly or through other stages) into the image at or under `absDir`. */
  reposUnder(stage: Stage, absDir = '/', depth = 0): string[] {
    if (depth > 8) return [];
    const found: string[] = [];
    for (const copy of stage.copies) {
      const dest = this.destOf(copy);
      for (const source of copy.sources) {
        if (copy.fromStage !== undefined) {
          const from = this.dockerfile.stages[copy.fromStage];
          const src = posix.resolve('/', source.value);
          if (!from) continue;
          if (under(absDir, dest.abs)) found.push(...this.reposUnder(from, posix.join(src, rel(absDir, dest.abs)), depth + 1));
          else if (under(dest.abs, absDir)) found.push(...this.reposUnder(from, src, depth + 1));
          continue;
        }
        if (copy.from || copy.heredoc) continue;
        const rp = contextPath(this.contextDir, source.value);
        if (rp === undefined) continue;
        const target = this.isContextDir(rp) || dest.isDir === false ? dest.abs : posix.join(dest.abs, posix.basename(rp));
        if (under(target, absDir)) found.push(rp);
        else if (this.isContextDir(rp) && under(absDir, target)) found.push(joinRepo(rp, rel(absDir, target)));
      }
    }
    const parent = stage.from.stageRef !== undefined ? this.dockerfile.stages[stage.from.stageRef] : undefined;
    if (parent) found.push(...this.reposUnder(parent, absDir, depth + 1));
    return found;
  }

  /** Every simple command of the stage and the stages it is built FROM, with the folder it runs in. */
  commandsWithCwd(stage: Stage): { command: DockerCommand; cwd: string; stage: Stage }[] {
    const out: { command: DockerCommand; cwd: string; stage: Stage }[] = [];
    for (const s of this.chain(stage).reverse()) {
      for (const run of s.runs) {
        let cwd = run.workdir;
        for (const command of run.commands) {
          const argv = effectiveArgv(command.argv);
          if (argv[0] === 'cd' && argv[1]) cwd = posix.resolve(cwd, argv[1]);
          else out.push({ command, cwd, stage: s });
        }
      }
    }
    return out;
  }

  /**
   * Whether everything at or under `absPath` in the stage comes straight from the build context:
   * no RUN writes there (an install's node_modules, a build's output, a command we cannot follow in
   * that folder) and no COPY --from lands there. `COPY --from=builder /app/src ./src` then carries
   * only repository files, and the builder's install never reaches the image.
   */
  contextOnly(stage: Stage, absPath: string): boolean {
    const overlaps = (dir: string) => under(dir, absPath) || under(absPath, dir);
    for (const s of this.chain(stage)) {
      for (const copy of s.copies) {
        if (copy.fromStage === undefined && !copy.from) continue;
        if (overlaps(this.destOf(copy).abs)) return false;
      }
      for (const run of s.runs) {
        let cwd = run.workdir;
        for (const command of run.commands) {
          const argv = branchArgv(command.argv);
          const program = posix.basename(argv[0] ?? '');
          if (!program || program === 'if' || program === 'elif' || program === 'fi') continue;
          if (program === 'cd' && argv[1]) {
            cwd = posix.resolve(cwd, argv[1]);
            continue;
          }
          const install = classifyInstall(argv);
          if (install) {
            if (!install.global && overlaps(posix.join(cwd, 'node_modules'))) return false;
            continue;
          }
          const output = this.outputOf(s, argv, cwd);
          if (output) {
            if (!output.exact ? overlaps(cwd) : output.dirs.some(overlaps)) return false;
            continue;
          }
          if (['cp', 'mv', 'ln', 'rsync', 'touch', 'mkdir', 'tar', 'unzip', 'curl', 'wget', 'git'].includes(program)) {
            const words = argv.slice(1).filter((w) => !w.startsWith('-'));
            const dest = words[words.length - 1];
            if (!dest || dest.includes('$') || overlaps(posix.resolve(cwd, dest))) return false;
            continue;
          }
          // A command we cannot follow may write anywhere in its working folder.
          if (!HARMLESS.has(program) && overlaps(cwd)) return false;
        }
      }
    }
    return true;
  }

  /**
   * Whether a command can run, given the `[ -f <lockfile> ]` branches around it and what the stage
   * holds: in `if [ -f yarn.lock ] … elif [ -f package-lock.json ]; then npm ci`, with only
   * package-lock.json copied in, the yarn and pnpm branches never run.
   */
  canRun(stage: Stage, guards: FileGuard[], workdir: string, line: number): boolean {
    for (const guard of guards) {
      if (guard.file.includes('$')) continue;
      // What the stage holds when the RUN starts: the install itself may write the file (yarn writes yarn.lock).
      const presence = this.compute(stage, posix.resolve(workdir, guard.file), line);
      if (presence === 'unknown') continue;
      if ((presence === 'yes') !== guard.exists) return false;
    }
    return true;
  }

  private chain(stage: Stage): Stage[] {
    return stageChain(this.dockerfile, stage);
  }

  private operations(stage: Stage): Operation[] {
    const ops: Operation[] = [
      ...stage.copies.map((copy) => ({ kind: 'copy' as const, copy })),
      ...stage.runs.map((run) => ({ kind: 'run' as const, run })),
    ];
    const line = (op: Operation) => (op.kind === 'copy' ? op.copy.loc.line : op.run.loc.line);
    return ops.sort((a, b) => line(a) - line(b));
  }

  private compute(stage: Stage, absPath: string, beforeLine = Infinity): Presence {
    const results: Presence[] = [];
    // Latest first: the instruction that provides a path is usually near the end of the stage.
    for (const op of this.operations(stage).filter((o) => (o.kind === 'copy' ? o.copy.loc.line : o.run.loc.line) < beforeLine).reverse()) {
      const p = op.kind === 'copy' ? this.fromCopy(op.copy, absPath) : this.fromRun(stage, op.run, absPath);
      if (p === 'yes') return 'yes';
      results.push(p);
    }
    if (stage.from.stageRef !== undefined) results.push(this.has(this.dockerfile.stages[stage.from.stageRef], absPath));
    else if (stage.from.unresolved || !PLAIN_BASES.test(stage.from.name)) results.push('unknown');
    return combine(results);
  }

  private destOf(copy: CopyInstruction): { abs: string; isDir: boolean } {
    const dest = copy.dest.value;
    const abs = posix.resolve(copy.workdir, dest.replace(/\$\{?\w+\}?/g, 'ARG'));
    const isDir = dest.endsWith('/') || dest === '.' || copy.sources.length > 1;
    return { abs, isDir };
  }

  private isContextDir(repoPath: string): boolean {
    return repoPath === this.contextDir || repoPath === '' || this.model.files.isDir(repoPath);
  }

  private contextFile(repoPath: string): Presence {
    const ignore = dockerignoreFor(this.model, this.dockerfile, this.contextDir);
    const inContext = this.contextDir ? repoPath.slice(this.contextDir.length + 1) : repoPath;
    if (ignore?.ignores(inContext)) return 'no';
    if (this.model.files.exists(repoPath)) return 'yes';
    // Build output (dist/) and other git-ignored paths exist only where they were produced: a CI
    // job may build before `docker build`. Without proof either way, say unknown.
    if (this.model.files.isGitignored(repoPath)) return 'unknown';
    return 'no';
  }

  private fromCopy(copy: CopyInstruction, absPath: string): Presence {
    if (copy.heredoc) {
      return this.destOf(copy).abs === absPath ? 'yes' : 'no';
    }
    const dest = this.destOf(copy);
    if (under(dest.abs, absPath) && dest.abs !== absPath) return 'yes'; // a parent folder of what was copied
    const results: Presence[] = [];
    for (const source of copy.sources) {
      const value = source.value;
      if (value.includes('$')) {
        results.push(under(absPath, dest.abs) ? 'unknown' : 'no');
        continue;
      }
      if (copy.fromStage !== undefined) {
        const from = this.dockerfile.stages[copy.fromStage];
        const src = posix.resolve('/', value);
        if (isGlob(value)) {
          results.push(under(absPath, dest.abs) ? 'unknown' : 'no');
          continue;
        }
        const candidates: Presence[] = [];
        // The source may be a folder (its content lands in dest) or a file (it lands at dest or dest/name).
        if (under(absPath, dest.abs)) candidates.push(this.has(from, posix.join(src, rel(absPath, dest.abs))));
        const fileTarget = dest.isDir ? posix.join(dest.abs, posix.basename(src)) : dest.abs;
        if (absPath === fileTarget) candidates.push(this.has(from, src));
        results.push(combine(candidates));
        continue;
      }
      if (copy.from) {
        results.push(under(absPath, dest.abs) ? 'unknown' : 'no');
        continue;
      }
      if (/^(https?:\/\/|git@)/.test(value)) {
        results.push(under(absPath, dest.abs) ? 'unknown' : 'no');
        continue;
      }
      const rp = contextPath(this.contextDir, value);
      if (rp === undefined) continue;
      if (isGlob(value)) {
        const isMatch = picomatch(rp, { dot: true });
        const fileTarget = posix.join(dest.abs, posix.basename(absPath));
        if (posix.dirname(absPath) === dest.abs.replace(/\/$/, '') && isMatch(joinRepo(posix.dirname(rp), posix.basename(absPath)))) {
          results.push(this.contextFile(joinRepo(posix.dirname(rp), posix.basename(fileTarget))));
        }
        continue;
      }
      if (this.isContextDir(rp)) {
        if (under(absPath, dest.abs)) results.push(this.contextFile(joinRepo(rp, rel(absPath, dest.abs))));
        continue;
      }
      const fileTarget = dest.isDir ? posix.join(dest.abs, posix.basename(rp)) : dest.abs;
      if (absPath === fileTarget) results.push(this.contextFile(rp));
      else if (under(absPath, fileTarget) && this.model.files.isGitignored(rp)) results.push('unknown'); // a git-ignored folder (dist/) copied whole
      // `COPY ./dist/packages/api .`: a git-ignored folder a CI step builds before `docker build`
      // (nx, turbo); a folder's content lands in dest, so any file under dest may come from it.
      else if (under(absPath, dest.abs) && !this.model.files.exists(rp) && this.model.files.isGitignored(rp)) results.push('unknown');
    }
    return combine(results);
  }

  private fromRun(stage: Stage, run: RunInstruction, absPath: string): Presence {
    const results: Presence[] = [];
    let cwd = run.workdir;
    for (const command of run.commands) {
      const argv = branchArgv(command.argv);
      const program = posix.basename(argv[0] ?? '');
      if (program === 'cd' && argv[1]) {
        cwd = posix.resolve(cwd, argv[1]);
        continue;
      }
      // `if [ -f yarn.lock ]`, `fi`: tests and branch ends write nothing.
      if (program === '' || program === 'if' || program === 'elif' || program === 'fi' || program === '[' || program === 'test') continue;
      const output = this.outputOf(stage, argv, cwd);
      if (output) {
        const compiled = output.compiled?.find((c) => under(absPath, c.outDir));
        if (compiled) {
          const presence = this.compiledPresence(compiled, absPath);
          if (presence === 'yes') return 'yes';
          if (!output.exact) results.push('unknown');
          continue;
        }
        if (output.dirs.some((d) => under(absPath, d))) return 'yes';
        if (!output.exact) results.push('unknown');
        continue;
      }
      if (program === 'cp' || program === 'mv' || program === 'ln' || program === 'rsync' || program === 'touch' || program === 'mkdir') {
        const words = argv.slice(1).filter((w) => !w.startsWith('-'));
        const dest = words[words.length - 1];
        if (dest && !dest.includes('$') && under(absPath, posix.resolve(cwd, dest))) results.push('unknown');
        continue;
      }
      const redirect = argv.findIndex((w) => w === '>' || w === '>>');
      if (redirect >= 0 && argv[redirect + 1] && posix.resolve(cwd, argv[redirect + 1]) === absPath) return 'yes';
      if (program === 'npx' && QUIET_TOOLS.has(posix.basename(argv[1] ?? ''))) continue;
      // A package-manager command that is neither an install nor a script we could follow
      // (yarn workspaces foreach, npm exec, pnpm -r exec …) may build anything.
      const verb = argv.slice(1).find((w) => !w.startsWith('-')) ?? '';
      const focus = verb === 'workspaces' && argv.includes('focus');
      if (PACKAGE_MANAGERS.has(program) && !focus && !PACKAGE_MANAGER_CHORES.has(verb)) {
        results.push('unknown');
        continue;
      }
      if (!HARMLESS.has(program)) results.push('unknown');
    }
    return combine(results);
  }

  /**
   * What a command builds, when it is a build: `tsc`, `nest build`, a package script (`npm run build`,
   * `pnpm --filter api build`, `yarn build`). Undefined for commands that are not builds.
   */
  outputOf(stage: Stage, argv: string[], cwd: string): BuildOutput | undefined {
    const program = posix.basename(argv[0] ?? '');
    if (program === 'npx' || (program === 'pnpm' && (argv[1] === 'exec' || argv[1] === 'dlx')) || (program === 'yarn' && argv[1] === 'exec')) {
      const rest = argv.slice(program === 'npx' ? 1 : 2).filter((w, i, all) => !(w.startsWith('-') && i === 0 && all.length > 1 && w !== '--'));
      return this.outputOf(stage, rest, cwd);
    }
    if (program === 'pnpm' && argv[1] === 'deploy') {
      const target = argv.slice(2).filter((w) => !w.startsWith('-') && !filteredNames(argv).includes(w)).pop();
      return target ? { dirs: [posix.resolve(cwd, target)], exact: true } : UNKNOWN_OUTPUT;
    }
    const install = classifyInstall(argv);
    if (install) return { dirs: [posix.join(cwd, 'node_modules')], exact: true };
    // yarn workspace @acme/api build (or … run build): a script of that workspace.
    const yarnWorkspace = program === 'yarn' && argv[1] === 'workspace' && argv[2] && argv[3]
      ? { manager: 'yarn' as const, script: argv[3] === 'run' ? argv[4] ?? '' : argv[3], ifPresent: false }
      : undefined;
    const script = yarnWorkspace ?? scriptInvoked(argv);
    if (!script && !BUILD_TOOLS.has(program)) return undefined;
    const repoDir = this.repoDirAt(stage, cwd);
    const pkg = repoDir !== undefined ? packagesByDir(this.model).get(repoDir) : undefined;
    const tool = this.toolOutput(argv, repoDir, cwd);
    if (tool) return tool;
    if (!script) return undefined;
    const selectors = yarnWorkspace ? [argv[2]] : filteredNames(argv);
    if (selectors.length > 0 || argv.includes('-r') || argv.includes('--recursive') || argv.includes('--workspaces') || argv.includes('-ws')) {
      const outputs: BuildOutput = { dirs: [], exact: selectors.length > 0 };
      for (const selector of selectors) {
        const target = packageBySelector(this.model, selector, pkg?.projectDir ?? repoDir ?? '');
        const imageDir = target ? this.imageDirOf(stage, target.dir) : undefined;
        if (!target || imageDir === undefined) return UNKNOWN_OUTPUT;
        const out = this.scriptOutput(target, script.script, target.dir, imageDir, 0);
        outputs.dirs.push(...out.dirs);
        outputs.exact &&= out.exact;
        if (out.compiled) (outputs.compiled ??= []).push(...out.compiled);
      }
      return outputs;
    }
    if (!pkg || repoDir === undefined) return UNKNOWN_OUTPUT;
    return this.scriptOutput(pkg, script.script, repoDir, cwd, 0);
  }

  private scriptOutput(pkg: PackageJson, name: string, repoDir: string, imageDir: string, depth: number): BuildOutput {
    const body = pkg.scripts.get(name)?.value;
    if (!body || depth > 5) return UNKNOWN_OUTPUT;
    const result: BuildOutput = { dirs: [], exact: true };
    const addAll = (out: BuildOutput) => {
      result.dirs.push(...out.dirs);
      result.exact &&= out.exact;
      if (out.compiled) (result.compiled ??= []).push(...out.compiled);
    };
    // npm runs pre<name> and post<name> around the script.
    for (const hook of [`pre${name}`, `post${name}`]) if (pkg.scripts.has(hook)) addAll(this.scriptOutput(pkg, hook, repoDir, imageDir, depth + 1));
    for (const command of splitShell(body)) {
      const argv = effectiveArgv(command.argv);
      const program = posix.basename(argv[0] ?? '');
      const tool = this.toolOutput(program === 'npx' ? argv.slice(1) : argv, repoDir, imageDir);
      if (tool) {
        addAll(tool);
        continue;
      }
      const nested = scriptInvoked(argv);
      if (nested && filteredNames(argv).length === 0 && !argv.includes('-r')) {
        addAll(this.scriptOutput(pkg, nested.script, repoDir, imageDir, depth + 1));
        continue;
      }
      if (program === 'cp' || program === 'copyfiles' || program === 'cpx' || program === 'mkdir') {
        const words = argv.slice(1).filter((w) => !w.startsWith('-'));
        const dest = words[words.length - 1];
        if (dest) result.dirs.push(posix.resolve(imageDir, dest));
        continue;
      }
      if (QUIET_TOOLS.has(program === 'npx' ? posix.basename(argv[1] ?? '') : program)) continue;
      result.exact = false;
    }
    return result;
  }

  /** Output folders of a compiler/bundler command line, relative to the package it runs in. */
  private toolOutput(argv: string[], repoDir: string | undefined, imageDir: string): BuildOutput | undefined {
    const program = posix.basename(argv[0] ?? '');
    const flag = (...names: string[]): string | undefined => flagValue(argv.slice(1), ...names);
    const inImage = (dir: string) => posix.resolve(imageDir, dir);
    if (program === 'tsc' || (program === 'nest' && argv[1] === 'build')) {
      if (argv.includes('--noEmit') || argv.includes('--version')) return { dirs: [], exact: true };
      const outDir = flag('--outDir');
      if (outDir && (repoDir === undefined || program === 'nest')) return { dirs: [inImage(outDir)], exact: true };
      if (repoDir === undefined) return UNKNOWN_OUTPUT;
      const project = flag('-p', '--project') ?? (argv.includes('-b') || argv.includes('--build') ? argv.slice(2).find((w) => !w.startsWith('-')) : undefined);
      const candidates = project
        ? [joinRepo(repoDir, project), joinRepo(repoDir, `${project}/tsconfig.json`)]
        : program === 'nest'
          ? [joinRepo(repoDir, 'tsconfig.build.json'), joinRepo(repoDir, 'tsconfig.json')]
          : [joinRepo(repoDir, 'tsconfig.json')];
      const tsconfig = candidates.map((c) => this.dockerfile.buildInputs.tsconfigs.get(c)).find(Boolean);
      const repoOut = outDir ? joinRepo(repoDir, outDir) : tsconfig?.outDir;
      if (repoOut !== undefined) {
        const relOut = repoDir ? (repoOut === repoDir ? '' : repoOut.startsWith(repoDir + '/') ? repoOut.slice(repoDir.length + 1) : undefined) : repoOut;
        if (relOut === undefined) return UNKNOWN_OUTPUT;
        const imageOut = inImage(relOut || '.');
        // tsc -b builds referenced projects too, each with its own layout: only the folder is known.
        const build = argv.includes('-b') || argv.includes('--build');
        const compiled = tsconfig?.sourceRoot !== undefined && program === 'tsc' && !build
          ? [{ outDir: imageOut, sourceRoot: tsconfig.sourceRoot, tsconfig: tsconfig.path }]
          : undefined;
        return { dirs: [imageOut], exact: true, compiled };
      }
      // Nest defaults to dist; tsc without outDir writes next to the sources.
      return program === 'nest' ? { dirs: [inImage('dist')], exact: false } : UNKNOWN_OUTPUT;
    }
    if (program === 'esbuild') {
      const outfile = flag('--outfile');
      if (outfile) return { dirs: [inImage(outfile)], exact: true };
      const outdir = flag('--outdir');
      return outdir ? { dirs: [inImage(outdir)], exact: true } : UNKNOWN_OUTPUT;
    }
    if (program === 'tsup') return { dirs: [inImage(flag('-d', '--out-dir') ?? 'dist')], exact: false };
    if (program === 'ncc' && argv[1] === 'build') return { dirs: [inImage(flag('-o', '--out') ?? 'dist')], exact: true };
    if (program === 'vite' && argv[1] === 'build') return { dirs: [inImage(flag('--outDir') ?? 'dist')], exact: false };
    if (program === 'next' && argv[1] === 'build') return { dirs: [inImage('.next')], exact: false };
    if (['webpack', 'rollup', 'swc', 'babel', 'parcel', 'turbo', 'nx', 'lerna', 'bun'].includes(program)) return UNKNOWN_OUTPUT;
    return undefined;
  }
}

const analyses = new WeakMap<Dockerfile, Map<string, ImageAnalysis>>();

export function imageAnalysis(model: DeploymentModel, dockerfile: Dockerfile, contextDir: string): ImageAnalysis {
  let byContext = analyses.get(dockerfile);
  if (!byContext) analyses.set(dockerfile, (byContext = new Map()));
  let analysis = byContext.get(contextDir);
  if (!analysis) byContext.set(contextDir, (analysis = new ImageAnalysis(model, dockerfile, contextDir)));
  return analysis;
}

/**
 * The stages whose commands' results end up in the image: the final stage and the stages it is
 * built FROM, and every stage (with its own FROM chain) from which they copy something a command
 * produced. A builder from which the final stage copies only repository files
 * (`COPY --from=builder /app/src ./src`) is not one of them: its install is thrown away.
 */
export function shippedStages(model: DeploymentModel, dockerfile: Dockerfile): Set<Stage> {
  const final = dockerfile.stages[dockerfile.stages.length - 1];
  const shipped = new Set<Stage>();
  if (!final) return shipped;
  const analysis = imageAnalysis(model, dockerfile, buildFacts(model, dockerfile).contexts[0]?.dir ?? dockerfile.dir);
  const queue = [...stageChain(dockerfile, final)];
  for (const s of queue) shipped.add(s);
  while (queue.length > 0) {
    const stage = queue.shift()!;
    for (const copy of stage.copies) {
      if (copy.fromStage === undefined) continue;
      const from = dockerfile.stages[copy.fromStage];
      if (!from || shipped.has(from)) continue;
      // A glob (`/app/package*.json`) is probed as the file it names without the wildcard.
      const produced = copy.sources.some((source) => source.value.includes('$') || !analysis.contextOnly(from, posix.resolve('/', source.value.replace(/\*|\?|\[[^\]]*\]/g, ''))));
      if (!produced) continue;
      for (const s of stageChain(dockerfile, from)) {
        if (shipped.has(s)) continue;
        shipped.add(s);
        queue.push(s);
      }
    }
  }
  return shipped;
}

/**
 * The commands of a stage that can run, with the argv they run (branch keywords dropped): commands in
 * an if/elif branch whose `[ -f <lockfile> ]` test cannot hold for what the stage holds are left out.
 */
export function liveCommands(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): { command: DockerCommand; argv: string[]; run: RunInstruction }[] {
  const analysis = imageAnalysis(model, dockerfile, buildFacts(model, dockerfile).contexts[0]?.dir ?? dockerfile.dir);
  const out: { command: DockerCommand; argv: string[]; run: RunInstruction }[] = [];
  for (const run of stage.runs) {
    const guards = fileGuards(run.commands);
    for (const command of run.commands) {
      const guard = guards.get(command);
      if (!guard) continue;
      if (guard.length > 0 && !analysis.canRun(stage, guard, run.workdir, run.loc.line)) continue;
      out.push({ command, argv: branchArgv(command.argv), run });
    }
  }
  return out;
}
