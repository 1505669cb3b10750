import { posix } from 'node:path';
import type { DockerCommand, Dockerfile, RunInstruction, Stage, VariableInEffect } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { PackageJson } from '../../model/packages.js';
import { classifyInstall, effectiveArgv, scriptInvoked, splitShell, toolArgv, type InstallCommand } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { contextCopies, contextPath, dockerignoreFor } from '../../model/docker.js';
import { buildFacts, filteredNames, packageBySelector, packagesByDir, stageChain } from './_build.js';
import { imageAnalysis } from './_image.js';

/** Executables whose package has another name. Others are looked up under their own name. */
const BIN_PACKAGES: Record<string, string> = {
  tsc: 'typescript', nest: '@nestjs/cli', webpack: 'webpack-cli', swc: '@swc/cli', babel: '@babel/cli', ncc: '@vercel/ncc',
  ng: '@angular/cli', 'run-s': 'npm-run-all', 'run-p': 'npm-run-all', 'svelte-kit': '@sveltejs/kit', remix: '@remix-run/dev',
  'vue-cli-service': '@vue/cli-service', 'react-router': '@react-router/dev', nuxi: 'nuxi', 'tsc-alias': 'tsc-alias',
};

/** A command after the install that needs a devDependency, and the chain of scripts leading to it. */
interface DevToolUse {
  bin: string;
  packageName: string;
  manifest: PackageJson;
  command: DockerCommand;
  via: RelatedLocation[];
}

/** The variable that makes this install skip devDependencies; undefined when it installs them. */
function productionNodeEnv(install: InstallCommand, command: DockerCommand, environment: Map<string, VariableInEffect>): VariableInEffect | undefined {
  if (install.production || install.global) return undefined;
  const argv = command.argv;
  // NODE_ENV=development npm ci / env NODE_ENV=development npm ci: the prefix wins for this command.
  const prefix = argv.slice(0, argv.length - effectiveArgv(argv).length).find((w) => w.startsWith('NODE_ENV='));
  if (prefix) return undefined;
  const nodeEnv = environment.get('NODE_ENV');
  if (nodeEnv?.value !== 'production') return undefined;
  return includesDevFlag(argv) ? undefined : nodeEnv;
}

/** `--include=dev`, `--production=false` and friends: the install asks for devDependencies itself. */
function includesDevFlag(argv: string[]): boolean {
  const words = effectiveArgv(argv);
  return words.some((w, i) =>
    w === '--include=dev' || (w === '--include' && words[i + 1] === 'dev') || /^--(production|prod)=false$/.test(w) || w === '--also=dev' || w === '--also=development' || w === '--dev');
}

/** Yarn 2+ installs devDependencies whatever NODE_ENV says; only Yarn 1 skips them. */
function isModernYarn(model: DeploymentModel, dockerfile: Dockerfile): boolean {
  const project = buildFacts(model, dockerfile).project;
  if (!project) return false;
  const declared = /^yarn@(\d+)/.exec(project.rootPackage.packageManager?.value ?? '')?.[1];
  if (declared) return Number(declared) >= 2;
  if (project.lockfiles.some((l) => l.manager === 'yarn' && l.format && l.format.value !== '1')) return true;
  return model.files.has(project.dir ? `${project.dir}/.yarnrc.yml` : '.yarnrc.yml');
}

export default defineRule({
  id: 'docker/node-env-before-build-install',
  severity: 'critical',
  title: 'NODE_ENV=production before the build stage installs dependencies',
  messages: {
    devDependenciesSkipped: {
      message: '{{cause}} is in effect when "{{install}}" runs at {{installLoc}}, so {{manager}} skips devDependencies; {{buildLoc}} then runs {{bin}} ({{packageName}} is a devDependency in {{manifest}}) and the build fails with "{{bin}}: not found"',
      fix: 'set NODE_ENV=production (or the .npmrc production/omit setting) only for the runtime stage, after the build, or install dev dependencies for the build explicitly: {{fixInstall}}',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      const analysis = imageAnalysis(model, dockerfile, facts.contexts[0]?.dir ?? dockerfile.dir);
      const byDir = packagesByDir(model);
      const project = facts.project;
      const rootManifest = project?.rootPackage;
      const modernYarn = isModernYarn(model, dockerfile);

      /** The package.json a command in the image works on: the folder's package, else the built one. */
      const manifestAt = (stage: Stage, cwd: string): PackageJson | undefined => {
        const repoDir = analysis.repoDirAt(stage, cwd);
        return (repoDir !== undefined ? byDir.get(repoDir) : undefined) ?? facts.packages[0];
      };
      const devOnly = (manifest: PackageJson, name: string): PackageJson | undefined => {
        for (const m of [manifest, rootManifest]) {
          if (!m) continue;
          const dependency = m.dependencies.get(name);
          if (dependency) return dependency.kind === 'devDependencies' ? m : undefined;
        }
        return undefined;
      };
      /** The devDependency binaries a command runs, following package scripts a few levels deep. */
      const devTools = (argv: string[], manifest: PackageJson | undefined, command: DockerCommand, via: RelatedLocation[], depth: number): DevToolUse[] => {
        if (!manifest || depth > 4) return [];
        const words = toolArgv(argv);
        const program = posix.basename(words[0] ?? '');
        if (!program) return [];
        const script = scriptInvoked(words);
        if (script) {
          const selectors = filteredNames(words);
          const targets = selectors.length > 0 ? selectors.map((s) => packageBySelector(model, s, project?.dir ?? manifest.dir)).filter((p): p is PackageJson => !!p) : [manifest];
          const found: DevToolUse[] = [];
          for (const target of targets) {
            const body = target.scripts.get(script.script);
            if (!body) {
              // yarn tsc / pnpm tsc: no such script, so the package manager runs the binary.
              if (script.manager !== 'npm' && selectors.length === 0) found.push(...devTools(words.slice(1), target, command, via, depth + 1));
              continue;
            }
            for (const name of [`pre${script.script}`, script.script]) {
              const text = target.scripts.get(name);
              if (!text) continue;
              const step = [...via, { ...text.loc, message: `"${name}": "${text.value}"` }];
              for (const c of splitShell(text.value)) found.push(...devTools(c.argv, target, command, step, depth + 1));
            }
          }
          return found;
        }
        const packageName = BIN_PACKAGES[program] ?? program;
        const owner = devOnly(manifest, packageName);
        return owner ? [{ bin: program, packageName, manifest: owner, command, via }] : [];
      };

      const contextDir = facts.contexts[0]?.dir ?? dockerfile.dir;
      /** A project .npmrc that omits devDependencies and was copied into the install's folder before it ran. */
      const npmrcOmittingDev = (stage: Stage, line: number, workdir: string): { loc: Loc; text: string; copy: Loc } | undefined => {
        const npmrcs = dockerfile.buildInputs.npmrcs;
        if (!npmrcs || npmrcs.size === 0) return undefined;
        const repoDir = analysis.repoDirAt(stage, workdir);
        if (repoDir === undefined) return undefined;
        const path = repoDir ? `${repoDir}/.npmrc` : '.npmrc';
        const facts = npmrcs.get(path);
        if (!facts?.omitDev || facts.includeDev) return undefined;
        for (const s of stageChain(dockerfile, stage)) {
          for (const copy of contextCopies(s)) {
            if (s === stage && copy.loc.line > line) continue;
            if (posix.resolve(copy.workdir, copy.dest.value) !== workdir && !copy.sources.some((x) => posix.resolve(copy.workdir, copy.dest.value, posix.basename(x.value)) === posix.join(workdir, '.npmrc'))) continue;
            for (const source of copy.sources) {
              const from = contextPath(contextDir, source.value);
              if (from === undefined) continue;
              if (from === path || ((from === '' || from === contextDir || path.startsWith(`${from}/`)) && from !== path && !dockerignoreFor(model, dockerfile, contextDir)?.ignores(contextDir ? path.slice(contextDir.length + 1) : path))) {
                return { loc: facts.omitDev.loc, text: facts.omitDev.value, copy: copy.loc };
              }
            }
          }
        }
        return undefined;
      };

      for (const stage of facts.reachable) {
        const descendants = facts.reachable.filter((s) => s !== stage && stageChain(dockerfile, s).includes(stage));
        stage.runs.forEach((run, runIndex) => {
          run.commands.forEach((command, commandIndex) => {
            const install = classifyInstall(command.argv);
            if (!install || install.manager === 'bun' || (install.manager === 'yarn' && modernYarn)) return;
            const nodeEnv = productionNodeEnv(install, command, run.environment);
            const npmrc = nodeEnv || install.manager !== 'npm' || includesDevFlag(command.argv) || install.production ? undefined : npmrcOmittingDev(stage, run.loc.line, run.workdir);
            if (!nodeEnv && !npmrc) return;
            // Commands after the install: the rest of this stage, then stages built FROM it (until they reinstall).
            const later: { command: DockerCommand; run: RunInstruction; stage: Stage }[] = [];
            run.commands.slice(commandIndex + 1).forEach((c) => later.push({ command: c, run, stage }));
            stage.runs.slice(runIndex + 1).forEach((r) => r.commands.forEach((c) => later.push({ command: c, run: r, stage })));
            for (const child of descendants) {
              for (const r of child.runs) for (const c of r.commands) later.push({ command: c, run: r, stage: child });
            }
            let use: DevToolUse | undefined;
            let cwd = run.workdir;
            let lastRun: RunInstruction = run;
            for (const step of later) {
              if (step.run !== lastRun) {
                cwd = step.run.workdir;
                lastRun = step.run;
              }
              const argv = effectiveArgv(step.command.argv);
              if (argv[0] === 'cd' && argv[1]) {
                cwd = posix.resolve(cwd, argv[1]);
                continue;
              }
              const again = classifyInstall(step.command.argv);
              if (again && !again.global && !productionNodeEnv(again, step.command, step.run.environment) && !again.production) break;
              // A tool installed globally in the image (npm i -g @nestjs/cli) is found without devDependencies.
              use = devTools(step.command.argv, manifestAt(step.stage, cwd), step.command, [], 0).find((u) => !globalPackages(dockerfile, step.stage).has(u.packageName));
              if (use) break;
            }
            if (!use) return;
            const inherited = nodeEnv ? !(nodeEnv.loc.line >= stage.startLine && nodeEnv.loc.line <= stage.endLine) : false;
            const at = (loc: Loc) => `${loc.file}:${loc.line}`;
            const fixInstall = install.manager === 'npm' ? `${install.text} --include=dev` : install.manager === 'pnpm' ? `${install.text} --prod=false` : `${install.text} --production=false`;
            report('devDependenciesSkipped', nodeEnv?.loc ?? npmrc!.loc, {
              cause: nodeEnv
                ? `${nodeEnv.name}=production (${nodeEnv.source} at ${at(nodeEnv.loc)}${inherited ? `, inherited from the stage ${stage.from.raw}` : ''})`
                : `"${npmrc!.text}" in ${npmrc!.loc.file}:${npmrc!.loc.line} (copied into the image at ${at(npmrc!.copy)})`,
              install: install.text,
              installLoc: at(command.loc),
              manager: install.manager,
              buildLoc: `"${effectiveArgv(use.command.argv).join(' ')}" at ${at(use.command.loc)}`,
              bin: use.bin,
              packageName: use.packageName,
              manifest: use.manifest.path,
              fixInstall,
            }, {
              related: [
                { ...command.loc, message: `${install.text} skips devDependencies here` },
                { ...use.command.loc, message: `needs ${use.bin} (${use.packageName})` },
                ...use.via,
              ],
              key: `${command.loc.line} ${install.text}`,
            });
          });
        });
      }
    }
  },
});

/** Packages installed globally in a stage or the stages it is built FROM (`npm i -g typescript`, `yarn global add @nestjs/cli`). */
function globalPackages(dockerfile: Dockerfile, stage: Stage): Set<string> {
  const names = new Set<string>();
  for (const s of stageChain(dockerfile, stage)) {
    for (const command of s.runs.flatMap((r) => r.commands)) {
      const install = classifyInstall(command.argv);
      if (!install?.global) continue;
      const words = effectiveArgv(command.argv).slice(1).filter((w) => !w.startsWith('-'));
      for (const word of words.slice(words[0] === 'global' ? 2 : 1)) names.add(word.replace(/(.)@[^/]*$/, '$1'));
    }
  }
  return names;
}
