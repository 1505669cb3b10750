import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import type { CommandSpec, Dockerfile } from '../../model/docker.js';
import { finalStage } from '../../model/docker.js';
import type { Loc } from '../../model/location.js';
import type { PackageJson } from '../../model/packages.js';
import { effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { isRecord, parseJsonDocument } from '../json.js';

/**
 * Production entries: where `node` starts. Read from the Dockerfile's CMD (a `dist/x.js` maps back
 * to its `src/x.ts` through tsconfig `outDir`/`rootDir` or the build script), package.json
 * `scripts.start`, `main`, `bin`, then framework conventions.
 */

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

export interface EntryCandidate {
  file: string;
  via: string;
  loc?: Loc;
}

interface TsconfigDirs {
  outDir?: string;
  rootDir?: string;
}

/** Reads outDir/rootDir of the tsconfig files of a package folder (relative to the repository). */
export function tsconfigDirs(model: DeploymentModel, dir: string, cache: Map<string, TsconfigDirs[]>): TsconfigDirs[] {
  const cached = cache.get(dir);
  if (cached) return cached;
  const out: TsconfigDirs[] = [];
  for (const name of ['tsconfig.build.json', 'tsconfig.json', 'tsconfig.app.json']) {
    const path = dir ? `${dir}/${name}` : name;
    if (!model.files.has(path)) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const doc = parseJsonDocument(text, path, { allowComments: true });
    const options = isRecord(doc.value) && isRecord(doc.value.compilerOptions) ? doc.value.compilerOptions : {};
    const rel = (v: unknown) => (typeof v === 'string' ? posix.normalize(posix.join(dir, v)).replace(/\/$/, '').replace(/^\.$/, '') : undefined);
    const dirs: TsconfigDirs = {};
    const outDir = rel(options.outDir);
    const rootDir = rel(options.rootDir);
    if (outDir !== undefined) dirs.outDir = outDir;
    if (rootDir !== undefined) dirs.rootDir = rootDir;
    out.push(dirs);
  }
  cache.set(dir, out);
  return out;
}

/** The source file a path of the repository stands for: itself, or its TypeScript source when it is build output. */
export function sourceFileFor(
  model: DeploymentModel,
  path: string,
  pkg: PackageJson | undefined,
  tsconfigCache: Map<string, TsconfigDirs[]>,
): string | undefined {
  const files = model.files;
  const withExtensions = (base: string): string | undefined => {
    if (files.has(base) && SOURCE_EXTENSIONS.some((e) => base.endsWith(e)) && !/\.d\.[cm]?ts$/.test(base)) return base;
    // `node ./bin/www` (express-generator): a script without an extension.
    if (files.has(base) && posix.extname(base) === '') return base;
    const stem = base.replace(/\.(c|m)?jsx?$/, '');
    for (const ext of SOURCE_EXTENSIONS) if (files.has(stem + ext)) return stem + ext;
    for (const ext of SOURCE_EXTENSIONS) if (files.has(`${stem}/index${ext}`)) return `${stem}/index${ext}`;
    return undefined;
  };
  const normalized = posix.normalize(path).replace(/^\.\//, '');
  const direct = withExtensions(normalized);
  if (direct && !/(^|\/)(dist|build|out)\//.test(direct)) return direct;
  const dir = pkg?.dir ?? '';
  for (const ts of tsconfigDirs(model, dir, tsconfigCache)) {
    if (ts.outDir === undefined) continue;
    const prefix = ts.outDir ? ts.outDir + '/' : '';
    if (!normalized.startsWith(prefix)) continue;
    const rest = normalized.slice(prefix.length);
    const roots = ts.rootDir !== undefined ? [ts.rootDir] : [posix.join(dir, 'src'), dir];
    for (const root of roots) {
      const found = withExtensions(root ? `${root}/${rest}` : rest);
      if (found) return found;
    }
  }
  // No tsconfig says where it comes from: `dist/x.js` ← `src/x.ts` is the convention of tsc, tsup and nest.
  const m = /^(.*?)(?:^|\/)(dist|build|out|lib)\/(.*)$/.exec(normalized);
  if (m) {
    const base = m[1] ? m[1] + '/' : '';
    for (const candidate of [`${base}src/${m[3]}`, `${base}${m[3]}`]) {
      const found = withExtensions(candidate);
      if (found) return found;
    }
    // A bundler (esbuild/tsup) named in the build script: `esbuild server/index.ts --outdir=dist`.
    const built = buildScriptEntry(model, pkg, posix.basename(m[3]).replace(/\.(c|m)?js$/, ''));
    if (built) return built;
  }
  return direct;
}

function buildScriptEntry(model: DeploymentModel, pkg: PackageJson | undefined, stem: string): string | undefined {
  if (!pkg) return undefined;
  for (const [name, script] of pkg.scripts) {
    if (!name.startsWith('build')) continue;
    for (const cmd of splitShell(script.value)) {
      for (const word of cmd.argv) {
        if (!/\.(c|m)?[jt]sx?$/.test(word) || posix.basename(word).replace(/\.[^.]+$/, '') !== stem) continue;
        const path = posix.normalize(posix.join(pkg.dir, word));
        if (model.files.has(path)) return path;
      }
    }
  }
  return undefined;
}

const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '--env-file', '--title', '--inspect-port']);

/**
 * The script file a command runs: `node [flags] dist/main.js`, `tsx src/index.ts`, `ts-node …`,
 * `nest start` (→ src/main.ts), `pm2-runtime dist/x.js`. Undefined for anything else.
 */
export function scriptFileOf(argv: string[]): { file: string } | { script: string } | { nest: true } | undefined {
  let words = effectiveArgv(argv);
  if (words[0] === 'npx' || words[0] === 'pnpm' && words[1] === 'exec' || words[0] === 'yarn' && words[1] === 'exec') words = words.slice(words[0] === 'npx' ? 1 : 2).filter((w) => w !== '--yes' && w !== '-y');
  const invoked = scriptInvoked(words);
  if (invoked) return { script: invoked.script };
  const program = posix.basename(words[0] ?? '');
  if (program === 'nest' && words[1] === 'start') return { nest: true };
  if (!['node', 'nodejs', 'tsx', 'ts-node', 'ts-node-dev', 'pm2-runtime', 'bun', 'nodemon', 'node-dev', 'esno', 'vite-node'].includes(program)) return undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === 'run' && program === 'bun') continue;
    if (NODE_VALUE_FLAGS.has(w)) {
      i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    if (/ecosystem\.config/.test(w)) return undefined;
    return { file: w };
  }
  return undefined;
}

/** CMD/ENTRYPOINT of the final stage, as one argv (ENTRYPOINT ["node"] + CMD ["dist/x.js"]). */
export function containerCommand(dockerfile: Dockerfile): { argv: string[]; spec: CommandSpec; workdir: string } | undefined {
  const stage = finalStage(dockerfile);
  if (!stage) return undefined;
  const workdir = stage.workdir?.value ?? '/';
  const entry = stage.entrypoint;
  const cmd = stage.cmd;
  const words = (c: CommandSpec) => (c.form === 'exec' ? c.argv : splitShell(c.text).flatMap((x) => x.argv));
  if (entry) {
    const e = words(entry);
    const program = posix.basename(e[0] ?? '');
    // An entrypoint script (docker-entrypoint.sh, tini, dumb-init) hands over to CMD.
    if (/\.sh$|^(tini|dumb-init)$/.test(program) || (program === 'docker-entrypoint.sh')) {
      if (cmd) return { argv: words(cmd), spec: cmd, workdir };
      return undefined;
    }
    return { argv: [...e.filter((w) => w !== '--'), ...(cmd ? words(cmd) : [])], spec: entry, workdir };
  }
  if (cmd) return { argv: words(cmd), spec: cmd, workdir };
  return undefined;
}

/** The package a repository file belongs to: the deepest package folder that holds it. */
export function owningPackage(packagesByDir: Map<string, PackageJson>, file: string): PackageJson | undefined {
  let dir = posix.dirname(file);
  for (;;) {
    const d = dir === '.' ? '' : dir;
    const pkg = packagesByDir.get(d);
    if (pkg) return pkg;
    if (d === '' || d === '/') return undefined;
    dir = posix.dirname(dir);
  }
}

/**
 * Repository paths a container path can come from: relative to each build context, and, for a
 * monorepo image, relative to the package folder whose path the WORKDIR ends with.
 */
export function repoPathsForContainerPath(dockerfile: Dockerfile, workdir: string, file: string, packageDirs: string[]): string[] {
  const abs = posix.resolve(workdir, file);
  const out: string[] = [];
  const contexts = dockerfile.contexts.map((c) => c.dir);
  for (const ctx of contexts) {
    // `/app/dist/index.js` with WORKDIR /app: the file sits at dist/index.js of the copied tree.
    const underWorkdir = abs.startsWith(workdir === '/' ? '/' : workdir + '/') ? abs.slice(workdir === '/' ? 1 : workdir.length + 1) : undefined;
    if (underWorkdir) out.push(posix.join(ctx, underWorkdir));
    out.push(posix.join(ctx, abs.replace(/^\/(app|usr\/src\/app|home\/node\/app|opt\/app|srv|code|workspace)\//, '')));
  }
  for (const dir of packageDirs) {
    if (!dir) continue;
    if (workdir === `/${dir}` || workdir.endsWith(`/${dir}`)) {
      const rest = abs.startsWith(workdir + '/') ? abs.slice(workdir.length + 1) : undefined;
      if (rest) out.push(posix.join(dir, rest));
    }
  }
  return [...new Set(out.map((p) => p.replace(/^\.\//, '')))];
}
