import { posix } from 'node:path';
import type { CommandSpec, Dockerfile, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { PackageJson } from '../../model/packages.js';
import { effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import type { RelatedLocation } from '../rule.js';
import { buildFacts, forwardsArguments, isEntrypointScript, packagesByDir, scriptFor } from './_build.js';
import { imageAnalysis } from './_image.js';

/** One command the container runs when it starts, and how it was reached from CMD/ENTRYPOINT. */
export interface StartStep {
  argv: string[];
  /** The CMD or ENTRYPOINT line behind it. */
  loc: Loc;
  keyword: 'CMD' | 'ENTRYPOINT';
  /** Script lines on the way (`package.json` start script, entrypoint script line), outermost first. */
  via: RelatedLocation[];
}

const INITS = /^(tini|tini-static|dumb-init|catatonit)$/;
const SHELLS = /^(sh|bash|ash|dash|zsh)$/;

/** Simple commands of a CMD/ENTRYPOINT: shell form and `sh -c "…"` split, exec form as is. */
function commandsOfSpec(spec: CommandSpec): string[][] {
  if (spec.form === 'shell') return splitShell(spec.text).map((c) => c.argv);
  const c = spec.argv.indexOf('-c');
  if (c > 0 && SHELLS.test(posix.basename(spec.argv[0])) && spec.argv[c + 1] !== undefined) return splitShell(spec.argv[c + 1]).map((x) => x.argv);
  return [spec.argv];
}

/** The package whose folder is the image's working directory (where `npm start` looks), else the one the Dockerfile builds. */
export function packageAtWorkdir(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): PackageJson | undefined {
  const facts = buildFacts(model, dockerfile);
  const analysis = imageAnalysis(model, dockerfile, facts.contexts[0]?.dir ?? dockerfile.dir);
  const repoDir = analysis.repoDirAt(stage, stage.workdir?.value ?? '/');
  return (repoDir !== undefined ? packagesByDir(model).get(repoDir) : undefined) ?? facts.packages[0];
}

/**
 * What the final stage runs at start: the ENTRYPOINT/CMD commands (an init's child, an entrypoint
 * script's commands and the CMD it execs), with package scripts (`npm start`) expanded into the
 * commands they run.
 */
export function startSteps(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): StartStep[] {
  const steps: StartStep[] = [];
  const { entrypoint, cmd } = stage;
  const add = (argv: string[], spec: CommandSpec, keyword: StartStep['keyword'], via: RelatedLocation[] = []) =>
    steps.push({ argv, loc: spec.loc, keyword, via });
  const addSpec = (spec: CommandSpec, keyword: StartStep['keyword']) => {
    for (const argv of commandsOfSpec(spec)) add(argv, spec, keyword);
  };
  if (entrypoint) {
    const program = effectiveArgv(entrypoint.argv)[0] ?? '';
    if (entrypoint.form === 'exec' && INITS.test(posix.basename(program))) {
      // ENTRYPOINT ["dumb-init", "--"] CMD [...]: the init's child is the process.
      const dash = entrypoint.argv.indexOf('--');
      const rest = entrypoint.argv.slice(dash >= 0 ? dash + 1 : 1);
      if (rest.length > 0) add([...rest, ...(cmd?.form === 'exec' ? cmd.argv : [])], entrypoint, 'ENTRYPOINT');
      else if (cmd) addSpec(cmd, 'CMD');
    } else if (entrypoint.form === 'exec' && isEntrypointScript(program)) {
      const script = scriptFor(model, dockerfile, stage, program);
      for (const c of script?.commands ?? []) {
        if (c.argv[0] === 'exec' && (c.argv[1] === '$@' || c.argv[1] === '${@}')) continue;
        add(c.argv, entrypoint, 'ENTRYPOINT', [{ ...c.loc, message: `${script!.path} runs it` }]);
      }
      if (cmd && (!script || forwardsArguments(script))) addSpec(cmd, 'CMD');
    } else if (entrypoint.form === 'exec' && cmd?.form === 'exec') {
      // ENTRYPOINT ["npx"] CMD ["ts-node", "src/main.ts"]: CMD's words are arguments of the entrypoint.
      add([...entrypoint.argv, ...cmd.argv], entrypoint, 'ENTRYPOINT');
    } else addSpec(entrypoint, 'ENTRYPOINT');
  } else if (cmd) addSpec(cmd, 'CMD');
  // npm start → the start script's commands (and those of scripts it runs), a few levels deep.
  const pkg = packageAtWorkdir(model, dockerfile, stage);
  const expanded: StartStep[] = [];
  const expand = (step: StartStep, depth: number) => {
    expanded.push(step);
    const script = scriptInvoked(step.argv);
    const body = script && pkg?.scripts.get(script.script);
    if (!script || !body || !pkg || depth > 3) return;
    for (const name of [`pre${script.script}`, script.script]) {
      const text = pkg.scripts.get(name);
      if (!text) continue;
      for (const c of splitShell(text.value)) {
        expand({ ...step, argv: c.argv, via: [...step.via, { ...text.loc, message: `"${name}": "${text.value}" in ${pkg.path}` }] }, depth + 1);
      }
    }
  };
  for (const step of steps) expand(step, 0);
  return expanded;
}

