import { posix } from 'node:path';
import { classifyInstall, effectiveArgv } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import {buildFacts } from './_build.js';
import { imageAnalysis } from './_image.js';

/** System packages that compile native modules and have no use at run time. */
const COMPILERS = new Set(['make', 'g++', 'gcc', 'build-base', 'build-essential', 'musl-dev', 'libc-dev', 'libc6-dev', 'cmake', 'clang']);
/** node-gyp's other needs: only reported next to a compiler (python alone may be a runtime need). */
const GYP_HELPERS = new Set(['python3', 'python', 'py3-pip', 'node-gyp']);

function systemInstall(argv: string[]): { manager: 'apk' | 'apt'; packages: string[]; virtual?: string } | undefined {
  const program = posix.basename(argv[0] ?? '');
  const words = argv.slice(2);
  if (program === 'apk' && argv[1] === 'add') {
    const v = words.findIndex((w) => w === '--virtual' || w === '-t');
    const virtual = v >= 0 ? words[v + 1] : words.find((w) => w.startsWith('--virtual='))?.slice(10);
    return { manager: 'apk', packages: words.filter((w, i) => !w.startsWith('-') && (v < 0 || i !== v + 1)), virtual };
  }
  if ((program === 'apt-get' || program === 'apt') && argv[1] === 'install') return { manager: 'apt', packages: words.filter((w) => !w.startsWith('-')) };
  return undefined;
}

function removes(argv: string[], names: string[]): boolean {
  const program = posix.basename(argv[0] ?? '');
  const removed = argv.slice(2).filter((w) => !w.startsWith('-'));
  if (program === 'apk' && argv[1] === 'del') return names.some((n) => removed.includes(n));
  if ((program === 'apt-get' || program === 'apt') && ['purge', 'remove', 'autoremove'].includes(argv[1])) return names.some((n) => removed.includes(n)) || argv[1] === 'autoremove';
  return false;
}

/** npm prune --production, pnpm prune --prod, a production reinstall: devDependencies leave the image. */
function prunesDevDependencies(argv: string[]): boolean {
  const program = effectiveArgv(argv);
  if ((program[0] === 'npm' || program[0] === 'pnpm') && program[1] === 'prune') return program.some((w) => /^--(production|prod|omit=dev)$/.test(w)) || program[0] === 'pnpm';
  const install = classifyInstall(argv);
  return Boolean(install?.production);
}

export default defineRule({
  id: 'docker/single-stage-build',
  severity: 'medium',
  title: 'Build toolchain ends up in the production image',
  messages: {
    toolchain: {
      message: 'the final stage installs {{packages}} with {{manager}} and never removes them: compilers and Python ship in the production image',
      fix: 'move native builds to a build stage (FROM node:20-alpine AS deps … RUN apk add python3 make g++ && npm ci) and copy only node_modules and the build output into a clean final stage',
    },
    devDependencies: {
      message: 'the final stage compiles with "{{build}}" after a full install ("{{install}}") and never prunes: TypeScript and every devDependency ship in the production image',
      fix: 'build in a separate stage and copy only the output, then install with {{prod}} in the final stage (or run npm prune --omit=dev after the build)',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const final = dockerfile.stages[dockerfile.stages.length - 1];
      if (!final || final.from.unresolved) continue;
      const facts = buildFacts(model, dockerfile);
      const analysis = imageAnalysis(model, dockerfile, facts.contexts[0].dir);
      const commands = analysis.commandsWithCwd(final);
      let reported = false;
      for (const { command } of commands) {
        const install = systemInstall(effectiveArgv(command.argv));
        if (!install) continue;
        const names0 = install.packages.map((p) => p.split('=')[0]);
        if (!names0.some((p) => COMPILERS.has(p))) continue;
        const tools = names0.filter((p) => COMPILERS.has(p) || GYP_HELPERS.has(p));
        const names = [...tools, ...(install.virtual ? [install.virtual] : [])];
        const index = commands.findIndex((x) => x.command === command);
        if (commands.slice(index + 1).some((x) => removes(effectiveArgv(x.command.argv), names))) continue;
        report('toolchain', command.loc, { packages: tools.join(', '), manager: install.manager === 'apk' ? 'apk' : 'apt-get' });
        reported = true;
        break;
      }
      if (reported) continue;
      const hasDevDependencies = [...facts.packages, ...(facts.project ? [facts.project.rootPackage] : [])]
        .some((p) => [...p.dependencies.values()].some((d) => d.kind === 'devDependencies'));
      if (!hasDevDependencies) continue;
      for (let i = 0; i < commands.length; i++) {
        const { command, cwd, stage } = commands[i];
        const output = analysis.outputOf(stage, effectiveArgv(command.argv), cwd);
        const isBuild = output && !classifyInstall(command.argv) && !(effectiveArgv(command.argv)[0] === 'pnpm' && command.argv.includes('deploy'));
        if (!isBuild) continue;
        const fullInstall = commands.slice(0, i).map((x) => ({ x, install: classifyInstall(x.command.argv) })).find((y) => y.install && !y.install.global && !y.install.production);
        if (!fullInstall) continue;
        if (commands.slice(i + 1).some((x) => prunesDevDependencies(x.command.argv))) break;
        const manager = fullInstall.install!.manager;
        report('devDependencies', command.loc, {
          build: effectiveArgv(command.argv).join(' '),
          install: fullInstall.install!.text,
          prod: manager === 'npm' ? 'npm ci --omit=dev' : manager === 'pnpm' ? 'pnpm install --prod --frozen-lockfile' : 'yarn workspaces focus --production',
        }, { related: [{ ...fullInstall.x.command.loc, message: 'installs devDependencies' }] });
        break;
      }
    }
  },
});
