import { posix } from 'node:path';
import { contextPath, type CopyInstruction, type Dockerfile, dockerignoreFor, finalStage, isGlob, isLiteralSource, type Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { Dependency } from '../../model/packages.js';
import { classifyInstall } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts, runtimeArchs, runtimePackages, stageChain, type Arch } from './_build.js';
import { imageAnalysis } from './_image.js';

/**
 * Packages whose installed files depend on the platform they were installed on. `libc`: they also
 * differ between glibc and musl (sharp's @img/sharp-linuxmusl-x64, @swc/core-linux-x64-musl, a
 * prebuilt .node downloaded for one libc); esbuild's Linux binary is static, so only OS/CPU matter.
 * `before`: versions from this major.minor on bundle every platform's prebuilt binary and pick one at
 * run time, so copying them is harmless.
 */
const NATIVE_MODULES: Record<string, { libc: boolean; before?: [number, number] }> = {
  sharp: { libc: true },
  bcrypt: { libc: true, before: [6, 0] },
  argon2: { libc: true, before: [0, 40] },
  'better-sqlite3': { libc: true },
  sqlite3: { libc: true },
  canvas: { libc: true },
  '@swc/core': { libc: true },
  lightningcss: { libc: true },
  '@parcel/watcher': { libc: true },
  'node-sass': { libc: true },
  re2: { libc: true },
  '@tensorflow/tfjs-node': { libc: true },
  'isolated-vm': { libc: true },
  'node-rdkafka': { libc: true },
  libxmljs: { libc: true },
  libxmljs2: { libc: true },
  rollup: { libc: true },
  esbuild: { libc: false },
};
const NATIVE_SCOPES = ['@node-rs/', '@napi-rs/'];

function nativeInfo(dependency: Dependency): { libc: boolean } | undefined {
  const known = NATIVE_MODULES[dependency.name];
  if (known) {
    if (known.before) {
      const version = /(\d+)\.(\d+)/.exec(dependency.range) ?? /(\d+)/.exec(dependency.range);
      if (version) {
        const major = Number(version[1]);
        const minor = Number(version[2] ?? 0);
        if (major > known.before[0] || (major === known.before[0] && minor >= known.before[1])) return undefined;
      }
    }
    return known;
  }
  return NATIVE_SCOPES.some((s) => dependency.name.startsWith(s)) ? { libc: true } : undefined;
}

function under(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** Does a COPY --from take the other stage's node_modules (directly, or a folder holding it)? */
function copiesNodeModules(copy: CopyInstruction, from: Stage): boolean {
  const workdir = from.workdir?.value ?? '/';
  return copy.sources.some((src) => {
    const abs = posix.resolve(workdir, src.value);
    return /(^|\/)node_modules(\/|$)/.test(abs) || under(workdir, abs);
  });
}

/** The stage whose install produced the node_modules a stage ends with (following COPY --from). */
function nodeModulesOrigin(dockerfile: Dockerfile, stage: Stage, depth = 0): { stage: Stage; via?: CopyInstruction } | undefined {
  if (depth > 8) return undefined;
  let origin: { stage: Stage; via?: CopyInstruction; line: number } | undefined;
  for (const s of [...stageChain(dockerfile, stage)].reverse()) {
    for (const run of s.runs) {
      if (run.commands.some((c) => classifyInstall(c.argv) && !classifyInstall(c.argv)!.global)) origin = { stage: s, line: run.loc.line };
    }
    for (const copy of s.copies) {
      if (copy.fromStage === undefined) continue;
      const from = dockerfile.stages[copy.fromStage];
      if (!copiesNodeModules(copy, from) || (origin && origin.stage === s && origin.line > copy.loc.line)) continue;
      const inner = nodeModulesOrigin(dockerfile, from, depth + 1);
      if (inner) origin = { stage: inner.stage, via: copy, line: copy.loc.line };
    }
  }
  return origin;
}

export default defineRule({
  id: 'docker/native-module-platform',
  severity: 'critical',
  title: 'Native modules built for another platform reach the image',
  messages: {
    libcMismatch: {
      message: '{{copy}} brings node_modules installed in {{originImage}} ({{originOs}}) into the final stage FROM {{finalImage}} ({{finalOs}}); {{modules}} ship a binary for the libc they were installed on, so the service crashes at start loading them (e.g. "Could not load the sharp module using the linuxmusl-x64 runtime", "Error relocating … symbol not found")',
      fix: 'install the production dependencies in a stage with the same base image as the final stage (e.g. FROM {{finalImage}} AS deps; RUN npm ci --omit=dev), or use the same libc for both stages',
    },
    archMismatch: {
      message: '{{copy}} brings node_modules installed for {{platform}} (FROM --platform at {{installLoc}}) into an image that runs on {{runtime}}; {{modules}} ship binaries for one CPU, so the service crashes at start with "exec format error" or "Could not load the … module"',
      fix: 'drop the fixed --platform from the install stage (or use the same platform as the task), so that dependencies are installed for the CPU the task runs on',
    },
    hostNodeModules: {
      message: '{{copy}} copies the build context over {{dest}} after "{{install}}" (line {{installLine}}) and {{ignore}}, so a node_modules from the machine running docker build replaces the one installed in the image; {{modules}} then load binaries built for that machine (macOS, Windows, or a Linux with another libc or CPU) and the service crashes with "invalid ELF header" or "Could not load the … module"',
      fix: 'add node_modules (and **/node_modules in a monorepo) to {{dockerignore}}, or copy only what the build needs (COPY src ./src) after the install',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const final = finalStage(dockerfile);
      if (!final || final.from.unresolved) continue;
      const natives: { dependency: Dependency; libc: boolean }[] = [];
      for (const pkg of runtimePackages(model, dockerfile)) {
        for (const dependency of pkg.dependencies.values()) {
          if (dependency.kind !== 'dependencies' && dependency.kind !== 'optionalDependencies') continue;
          const info = nativeInfo(dependency);
          if (info && !natives.some((n) => n.dependency.name === dependency.name)) natives.push({ dependency, libc: info.libc });
        }
      }
      if (natives.length === 0) continue;
      const list = (items: typeof natives) => {
        const names = items.slice(0, 4).map((n) => `${n.dependency.name} (${n.dependency.loc.file}:${n.dependency.loc.line})`);
        return items.length > 4 ? `${names.join(', ')} and ${items.length - 4} more` : names.join(', ');
      };
      const moduleRelated = (items: typeof natives): RelatedLocation[] => items.slice(0, 3).map((n) => ({ ...n.dependency.loc, message: `${n.dependency.name} ${n.dependency.range} is a native module` }));

      // glibc → musl (or back) across COPY --from.
      const libcNatives = natives.filter((n) => n.libc);
      const origin = libcNatives.length > 0 ? nodeModulesOrigin(dockerfile, final) : undefined;
      if (origin?.via && origin.stage.os && final.os && origin.stage.os.libc !== final.os.libc) {
        const copy = origin.via;
        report('libcMismatch', copy.loc, {
          copy: `COPY --from=${copy.from?.value} ${copy.sources.map((s) => s.value).join(' ')} at ${copy.loc.file}:${copy.loc.line}`,
          originImage: origin.stage.rootImage.raw,
          originOs: origin.stage.os.description,
          finalImage: final.rootImage.raw,
          finalOs: final.os.description,
          modules: list(libcNatives),
        }, { related: [{ ...origin.stage.from.loc, message: `installed on ${origin.stage.os.description}` }, { ...final.from.loc, message: `runs on ${final.os.description}` }, ...moduleRelated(libcNatives)] });
      }

      // A fixed FROM --platform on the install stage for another CPU than the one the task runs.
      const archOrigin = nodeModulesOrigin(dockerfile, final);
      const installPlatform = archOrigin?.via ? archOrigin.stage.from.platform ?? archOrigin.stage.rootImage.platform : undefined;
      if (archOrigin?.via && installPlatform && !installPlatform.value.includes('$')) {
        const installArch: Arch = /arm64|aarch64/.test(installPlatform.value) ? 'arm64' : 'x64';
        const runtime = runtimeArchs(model, dockerfile, final);
        if (runtime.evidence && runtime.archs.length === 1 && runtime.archs[0] !== installArch) {
          const copy = archOrigin.via;
          report('archMismatch', copy.loc, {
            copy: `COPY --from=${copy.from?.value} ${copy.sources.map((s) => s.value).join(' ')} at ${copy.loc.file}:${copy.loc.line}`,
            platform: installPlatform.value,
            installLoc: `${installPlatform.loc.file}:${installPlatform.loc.line}`,
            runtime: runtime.evidence.replace(/^ on /, ''),
            modules: list(natives),
          }, { related: [{ ...installPlatform.loc, message: `installed for ${installPlatform.value}` }, ...moduleRelated(natives)], key: `arch ${copy.loc.line}` });
        }
      }

      // Host node_modules copied over the installed one.
      const facts = buildFacts(model, dockerfile);
      const carrying = new Set<Stage>(stageChain(dockerfile, final));
      for (const s of [...carrying]) {
        for (const copy of s.copies) {
          if (copy.fromStage !== undefined && copiesNodeModules(copy, dockerfile.stages[copy.fromStage])) {
            for (const c of stageChain(dockerfile, dockerfile.stages[copy.fromStage])) carrying.add(c);
          }
        }
      }
      for (const context of facts.contexts) {
        const analysis = imageAnalysis(model, dockerfile, context.dir);
        const ignore = dockerignoreFor(model, dockerfile, context.dir);
        const found = hostCopy(dockerfile, carrying, (stage, cwd) => analysis.repoDirAt(stage, cwd), context.dir, (repoPath) => {
          const inContext = context.dir ? repoPath.slice(context.dir.length + 1) : repoPath;
          return ignore?.ignores(inContext) ?? false;
        }, (p) => model.files.isDir(p));
        if (!found) continue;
        report('hostNodeModules', found.copy.loc, {
          copy: `${found.copy.keyword} ${found.copy.sources.map((s) => s.value).join(' ')} ${found.copy.dest.value} at ${found.copy.loc.file}:${found.copy.loc.line}`,
          dest: found.cwd,
          install: found.install,
          installLine: found.installLoc.line,
          ignore: ignore ? `${ignore.path} does not exclude ${found.nodeModules}` : `there is no .dockerignore for the context "${context.dir || '.'}"`,
          modules: list(natives),
          dockerignore: ignore?.path ?? (context.dir ? `${context.dir}/.dockerignore` : '.dockerignore'),
        }, {
          related: [{ ...found.installLoc, message: `${found.install} installs node_modules for Linux here` }, ...moduleRelated(natives)],
          // Built only by workflows: a fresh CI checkout has no node_modules unless a step installs first.
          severity: facts.contexts.every((c) => c.ref.via === 'workflow') ? 'high' : undefined,
          key: `host ${found.copy.loc.line}`,
        });
        break;
      }
    }
  },
});

/**
 * A context copy, after an install in a stage whose node_modules reach the final image, that puts
 * the context's folder over the installed package folder while the context's node_modules there is
 * not excluded.
 */
function hostCopy(
  dockerfile: Dockerfile,
  carrying: Set<Stage>,
  repoDirAt: (stage: Stage, cwd: string) => string | undefined,
  contextDir: string,
  ignored: (repoPath: string) => boolean,
  isDir: (repoPath: string) => boolean,
): { copy: CopyInstruction; install: string; installLoc: Loc; cwd: string; nodeModules: string } | undefined {
  for (const stage of carrying) {
    let last: { cwd: string; repoDir?: string; text: string; loc: Loc } | undefined;
    for (const s of [...stageChain(dockerfile, stage)].reverse()) {
      const ops = [
        ...s.runs.map((run) => ({ line: run.loc.line, run, copy: undefined as CopyInstruction | undefined })),
        ...s.copies.map((copy) => ({ line: copy.loc.line, run: undefined, copy })),
      ].sort((a, b) => a.line - b.line);
      for (const op of ops) {
        if (op.run) {
          for (const c of op.run.commands) {
            const install = classifyInstall(c.argv);
            if (install && !install.global) last = { cwd: op.run.workdir, repoDir: repoDirAt(s, op.run.workdir), text: install.text, loc: c.loc };
          }
          continue;
        }
        const copy = op.copy!;
        if (!last || last.repoDir === undefined || copy.from || copy.heredoc) continue;
        const destAbs = posix.resolve(copy.workdir, copy.dest.value);
        for (const source of copy.sources) {
          if (!isLiteralSource(source.value) || isGlob(source.value)) continue;
          const path = contextPath(contextDir, source.value);
          if (path === undefined || !(path === contextDir || path === '' || isDir(path))) continue;
          // The package folder the install ran in must be inside the copied folder, landing on the install's folder.
          if (!(path === '' || last.repoDir === path || last.repoDir.startsWith(`${path}/`))) continue;
          const relative = path === '' ? last.repoDir : last.repoDir.slice(path.length).replace(/^\//, '');
          if (posix.join(destAbs, relative) !== last.cwd.replace(/\/$/, '') && posix.join(destAbs, relative) !== last.cwd) continue;
          const nodeModules = last.repoDir ? `${last.repoDir}/node_modules` : 'node_modules';
          if (ignored(nodeModules)) continue;
          return { copy, install: last.text, installLoc: last.loc, cwd: last.cwd, nodeModules: contextDir ? nodeModules.slice(contextDir.length + 1) || 'node_modules' : nodeModules };
        }
      }
    }
  }
  return undefined;
}
