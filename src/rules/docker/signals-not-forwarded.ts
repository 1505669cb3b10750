import { posix } from 'node:path';
import { LAUNCHER_FACTS, SHELL_FACTS, shellOf, type ImageShell, type Launcher, type ShellFamily } from '../../analysis/signals.js';
import type { CommandSpec, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { PackageJson } from '../../model/packages.js';
import { effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { defineRule, type ReportOptions } from '../rule.js';
import { forwardsArguments, isEntrypointScript, nodeEntry, scriptFor } from './_build.js';
import { packageAtWorkdir } from './_process.js';

/** Init processes that forward signals to their child and reap zombies. */
const INITS = /^(tini|tini-static|dumb-init|catatonit|s6-svscan|\/init)$/;
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);
/** Programs that run package scripts and stay as node's parent. */
const RUNNERS = new Set(['npm', 'pnpm', 'yarn', 'npx', 'bun', 'bunx']);
/** Script runners that start several scripts: they exit on SIGTERM without passing it on. */
const MULTI_RUNNERS = /^(npm-run-all|npm-run-all2|run-s|run-p|concurrently)$/;

/** Why SIGTERM does not reach node, for the message. */
interface Broken {
  /** What stands between ECS and node (`npm start`, `sh -c "…"`). */
  process: string;
  reason: string;
  /** Set when the verdict depends on a shell the image's name does not tell. */
  assumes?: string;
  /** A script line on the way (the package.json script), for `related`. */
  via?: { loc: Loc; message: string };
}

const familyName: Record<ShellFamily, string> = { dash: 'dash', busybox: 'BusyBox ash', bash: 'bash' };

/**
 * Whether SIGTERM sent to the process started by `argv` reaches node, given the image's shell; the
 * verdict comes from the measured facts of src/analysis/signals.ts.
 */
function judgeArgv(argv: string[], shell: ImageShell, scripts: ScriptLookup, depth = 0): Broken | undefined {
  const program = effectiveArgv(argv);
  const name = posix.basename(program[0] ?? '');
  if (!name || INITS.test(name) || INITS.test(program[0] ?? '')) return undefined;
  if (SHELLS.has(name)) {
    const c = program.indexOf('-c');
    return c >= 0 && program[c + 1] !== undefined ? judgeShellString(program[c + 1], shell, scripts, depth) : undefined;
  }
  if (MULTI_RUNNERS.test(name)) return { process: program.join(' '), reason: `${name} exits on SIGTERM without passing it on to the scripts it started` };
  if (!RUNNERS.has(name)) return undefined;
  const invoked = scriptInvoked(argv);
  const launcher: Launcher | undefined = name === 'npm' ? 'npm' : name === 'pnpm' ? 'pnpm' : name === 'yarn' && scripts.yarnClassic ? 'yarn-classic' : undefined;
  if (!launcher) {
    // npx, bun, Yarn 2+: their signal handling is not among the measured facts.
    return { process: program.join(' '), reason: `${name} is PID 1 and runs the server as its child`, assumes: `that ${name} does not pass SIGTERM on and wait, as yarn 1 does not; only npm, pnpm and yarn 1 were measured` };
  }
  const body = invoked ? scripts.body(invoked.script) : undefined;
  // What the script itself runs: a multi-runner or a nested script decides too.
  if (body && depth < 3) {
    for (const command of splitShell(body.value)) {
      const inner = posix.basename(effectiveArgv(command.argv)[0] ?? '');
      if (MULTI_RUNNERS.test(inner) || RUNNERS.has(inner)) {
        const nested = judgeArgv(command.argv, shell, scripts, depth + 1);
        if (nested) return { ...nested, process: `${program.join(' ')} → ${nested.process}`, via: nested.via ?? { loc: body.loc, message: `the "${invoked!.script}" script: ${body.value}` } };
      }
    }
  }
  const verdict = (family: ShellFamily) => LAUNCHER_FACTS[launcher][family];
  const families = Object.keys(SHELL_FACTS) as ShellFamily[];
  const known = shell.family ? [shell.family] : families;
  const broken = known.filter((f) => !verdict(f).reachesNode || !verdict(f).waits);
  if (broken.length === 0) return undefined;
  const family = shell.family ?? 'dash';
  const facts = verdict(family);
  const reason = !facts.reachesNode
    ? `${launcher === 'yarn-classic' ? 'yarn' : launcher} passes SIGTERM to the shell that runs the script, and ${familyName[family]} (the /bin/sh of ${shell.evidence}) does not pass it on to node; ${launcher === 'yarn-classic' ? 'yarn' : launcher} then exits, the container stops and node is killed without a graceful shutdown`
    : `${launcher === 'yarn-classic' ? 'yarn' : launcher} passes SIGTERM on but exits without waiting for node: its PID 1 gone, the container stops and node is killed in the middle of its shutdown`;
  return {
    process: program.join(' '),
    reason,
    ...(shell.family ? {} : { assumes: `the image's /bin/sh is dash, as in Debian-based images (${shell.evidence}); under BusyBox ash (Alpine) ${launcher} would pass the signal on` }),
    ...(body ? { via: { loc: body.loc, message: `the "${invoked!.script}" script: ${body.value}` } } : {}),
  };
}

/** A string run by /bin/sh -c: the shell stays PID 1 unless it replaces itself with the last command. */
function judgeShellString(text: string, shell: ImageShell, scripts: ScriptLookup, depth: number): Broken | undefined {
  const commands = splitShell(text);
  const last = commands[commands.length - 1];
  if (!last) return undefined;
  if (last.argv[0] === 'exec') return judgeArgv(last.argv.slice(1), shell, scripts, depth);
  // A backgrounded or piped last command is never the shell's replacement.
  const execsLast = shell.family ? SHELL_FACTS[shell.family].execsLastCommand : false;
  if (execsLast && !commands.some((c) => c.next === '&' || c.next === '|')) return judgeArgv(last.argv, shell, scripts, depth);
  if (execsLast) return { process: `sh -c "${text}"`, reason: `the shell keeps "${last.argv.join(' ')}" as a child (a background or piped command is not exec'd): the shell is PID 1 and does not pass SIGTERM on` };
  return {
    process: `sh -c "${text}"`,
    reason: `${shell.family ? `${familyName[shell.family]}, the /bin/sh of ${shell.evidence},` : 'the shell'} runs "${effectiveArgv(last.argv).join(' ')}" as its child and stays PID 1; as PID 1 without a handler it ignores SIGTERM, so node never receives it and ECS kills the task after the stop timeout`,
    ...(shell.family ? {} : { assumes: `the image's /bin/sh is dash, as in Debian-based images (${shell.evidence}); BusyBox ash (Alpine) and bash replace themselves with the last command` }),
  };
}

interface ScriptLookup {
  body(name: string): { value: string; loc: Loc } | undefined;
  /** The project uses Yarn 1 (a `# yarn lockfile v1` lockfile or packageManager yarn@1). */
  yarnClassic: boolean;
}

function scriptLookup(model: DeploymentModel, pkg: PackageJson | undefined): ScriptLookup {
  const project = pkg ? model.projects.find((p) => p.dir === pkg.projectDir) : undefined;
  const yarnLock = project?.lockfiles.find((l) => l.manager === 'yarn');
  const declared = project?.rootPackage.packageManager?.value;
  const yarnClassic = declared ? /^yarn@1\./.test(declared) : yarnLock ? yarnLock.format?.value === '1' || yarnLock.format === undefined : true;
  return {
    body: (name) => {
      const script = pkg?.scripts.get(name);
      return script ? { value: script.value, loc: script.loc } : undefined;
    },
    yarnClassic,
  };
}

export default defineRule({
  id: 'docker/signals-not-forwarded',
  severity: 'high',
  title: 'SIGTERM does not reach the Node process',
  messages: {
    shellForm: {
      message: '{{keyword}} {{text}} is in shell form: {{reason}}',
      fix: 'use exec form: {{keyword}} {{execForm}}{{envNote}}',
    },
    noShell: {
      message: '{{keyword}} {{text}} is in shell form, but {{image}} has no shell: the container cannot start',
      fix: 'use exec form: {{keyword}} {{execForm}}',
    },
    runner: {
      message: '{{keyword}} starts "{{process}}": {{reason}}',
      fix: 'run node directly: {{keyword}} {{direct}}{{envNote}}; whatever the script runs before the server (migrations, config) goes into an entrypoint script that ends with `exec node …`. An init (dumb-init, tini) does not help here: it waits for the package manager, not for node',
    },
    shell: {
      message: '{{keyword}} runs "{{process}}": {{reason}}',
      fix: 'end the shell command with "exec …" so that node replaces the shell, or run node in exec form',
    },
    script: {
      message: '{{keyword}} runs {{script}}, which ends with "{{process}}" without exec: the script\'s shell stays PID 1 and SIGTERM never reaches the server',
      fix: 'end {{script}} with exec "$@" (and keep CMD in exec form) or exec the server directly',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage) continue;
      const shell = shellOf(stage);
      const pkg = packageAtWorkdir(model, dockerfile, stage);
      const scripts = scriptLookup(model, pkg);
      const options = (broken: Broken): ReportOptions => ({
        ...(broken.assumes ? { assumes: broken.assumes } : {}),
        ...(broken.via ? { related: [{ ...broken.via.loc, message: broken.via.message }] } : {}),
      });
      /** A shell script as the process: fine when it execs something; "args" when it execs "$@". */
      const judgeScript = (keyword: 'CMD' | 'ENTRYPOINT', spec: CommandSpec, path: string): 'args' | 'done' => {
        const script = scriptFor(model, dockerfile, stage, path);
        if (!script) return 'done';
        if (script.execs.some((e) => e.argv[0] !== '$@' && e.argv[0] !== '${@}')) return 'done';
        if (forwardsArguments(script)) return 'args';
        const last = script.lastCommand;
        const name = posix.basename(effectiveArgv(last?.argv ?? [])[0] ?? '');
        if (last && (name === 'node' || RUNNERS.has(name))) {
          report('script', spec.loc, { keyword, script: script.path, process: last.argv.join(' ') }, { related: [{ ...last.loc, message: 'runs the server without exec' }] });
        }
        return 'done';
      };
      const judge = (keyword: 'CMD' | 'ENTRYPOINT', spec: CommandSpec) => {
        if (spec.form === 'shell') {
          const text = spec.text.replace(/\\\r?\n\s*/g, ' ');
          const { argv: execArgv, envNote } = execFormOf(splitShell(spec.text).length === 1 ? splitShell(spec.text)[0].argv : spec.argv);
          const execForm = `[${execArgv.map((w) => JSON.stringify(w)).join(', ')}]`;
          if (shell.none) {
            report('noShell', spec.loc, { keyword, text, image: shell.evidence, execForm });
            return;
          }
          const broken = judgeShellString(spec.text, shell, scripts, 0);
          if (!broken) return;
          if (broken.process.startsWith('sh -c')) report('shellForm', spec.loc, { keyword, text, reason: broken.reason, execForm, envNote }, options(broken));
          else report('runner', spec.loc, { keyword, process: broken.process, reason: broken.reason, ...direct(broken) }, options(broken));
          return;
        }
        // CMD ["./start.sh"] or CMD ["sh", "start.sh"]: the script decides.
        const program = effectiveArgv(spec.argv);
        const scriptPath = isEntrypointScript(program[0] ?? '') ? program[0] : SHELLS.has(posix.basename(program[0] ?? '')) && program[1] && !program[1].startsWith('-') ? program[1] : undefined;
        if (scriptPath) {
          judgeScript(keyword, spec, scriptPath);
          return;
        }
        const broken = judgeArgv(spec.argv, shell, scripts);
        if (!broken) return;
        if (broken.process.startsWith('sh -c')) report('shell', spec.loc, { keyword, process: broken.process, reason: broken.reason }, options(broken));
        else report('runner', spec.loc, { keyword, process: broken.process, reason: broken.reason, ...direct(broken, spec.argv) }, options(broken));
      };
      /** The node command the package script runs (`npm start` → ["node", "dist/server.js"]), for the fix. */
      const direct = (_broken: Broken, argv?: string[]): { direct: string; envNote: string } => {
        const fallback = { direct: '["node", "dist/index.js"] (the file the start script runs)', envNote: '' };
        const invoked = argv ? scriptInvoked(argv) : undefined;
        const body = invoked ? scripts.body(invoked.script)?.value : undefined;
        const commands = body ? splitShell(body) : [];
        const last = commands[commands.length - 1];
        if (!last || !nodeEntry(last.argv)) return fallback;
        const { argv: nodeArgv, envNote } = execFormOf(last.argv);
        return { direct: `[${nodeArgv.map((w) => JSON.stringify(w)).join(', ')}]`, envNote };
      };
      const entrypoint = stage.entrypoint;
      if (entrypoint) {
        if (entrypoint.form === 'shell') {
          judge('ENTRYPOINT', entrypoint);
          continue;
        }
        const program = effectiveArgv(entrypoint.argv)[0] ?? '';
        if (INITS.test(posix.basename(program))) continue;
        if (isEntrypointScript(program)) {
          // exec "$@": CMD becomes the process.
          if (judgeScript('ENTRYPOINT', entrypoint, program) === 'args' && stage.cmd) judge('CMD', stage.cmd);
          continue;
        }
        judge('ENTRYPOINT', entrypoint);
        continue;
      }
      if (stage.cmd) judge('CMD', stage.cmd);
    }
  },
});

/**
 * Exec form cannot set variables: `HOSTNAME=0.0.0.0 node server.js` becomes `["node", "server.js"]`
 * with the assignments moved to ENV lines.
 */
function execFormOf(argv: string[]): { argv: string[]; envNote: string } {
  const assignments: string[] = [];
  let i = 0;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i])) assignments.push(argv[i++]);
  const rest = argv.slice(i).filter((w) => w !== 'exec');
  return { argv: rest, envNote: assignments.length ? `, with ${assignments.map((a) => `ENV ${a}`).join(' and ')} on line(s) of their own (exec form cannot set variables)` : '' };
}

export type { Stage };
