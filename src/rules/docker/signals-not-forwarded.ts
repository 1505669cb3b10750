import { posix } from 'node:path';
import type { CommandSpec } from '../../model/docker.js';
import { effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { imageAnalysis } from './_image.js';
import { defineRule } from '../rule.js';
import {buildFacts, forwardsArguments, isEntrypointScript, nodeEntry, packagesByDir, scriptFor } from './_build.js';

/** Init processes that forward signals to their child and reap zombies. */
const INITS = /^(tini|tini-static|dumb-init|catatonit|s6-svscan|\/init)$/;
const PACKAGE_RUNNERS = new Set(['npm', 'yarn', 'pnpm', 'npx', 'bun', 'bunx', 'nodemon', 'ts-node-dev']);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

type Verdict = { forwarded: true } | { forwarded: false; process: string; why: 'runner' | 'shell' | 'script' };

/** What runs as PID 1 for a shell string given to `sh -c`: fine when its last step is an `exec`. */
function shellStringVerdict(text: string): Verdict {
  const commands = splitShell(text);
  const last = commands[commands.length - 1];
  if (!last) return { forwarded: true };
  if (last.argv[0] === 'exec') return argvVerdict(last.argv.slice(1));
  const program = effectiveArgv(last.argv);
  return { forwarded: false, process: program.join(' ') || last.argv.join(' '), why: 'shell' };
}

/** Exec-form argv: the first word is PID 1. */
function argvVerdict(argv: string[]): Verdict {
  const program = effectiveArgv(argv);
  const name = posix.basename(program[0] ?? '');
  if (!name || INITS.test(name) || INITS.test(program[0])) return { forwarded: true };
  if (PACKAGE_RUNNERS.has(name)) return { forwarded: false, process: program.join(' '), why: 'runner' };
  if (SHELLS.has(name)) {
    const c = program.indexOf('-c');
    if (c >= 0 && program[c + 1] !== undefined) return shellStringVerdict(program[c + 1]);
    return { forwarded: true };
  }
  return { forwarded: true };
}

export default defineRule({
  id: 'docker/signals-not-forwarded',
  severity: 'high',
  title: 'SIGTERM does not reach the Node process',
  messages: {
    shellForm: {
      message: '{{keyword}} {{text}} is in shell form: /bin/sh is PID 1 and does not pass SIGTERM on to node, so ECS kills the task after the stop timeout',
      fix: 'use exec form: {{keyword}} {{execForm}}',
    },
    runner: {
      message: '{{keyword}} starts "{{process}}": the package manager is PID 1 and the server runs as its child, so SIGTERM from ECS does not reach it for a graceful shutdown',
      fix: 'run node directly: {{keyword}} {{direct}}, or put an init first: ENTRYPOINT ["dumb-init", "--"]',
    },
    shell: {
      message: '{{keyword}} runs "{{process}}" as a child of a shell: the shell is PID 1 and does not forward SIGTERM',
      fix: 'end the shell command with "exec {{process}}" so the process replaces the shell, or run it in exec form',
    },
    script: {
      message: '{{keyword}} runs {{script}}, which ends with "{{process}}" without exec: the script\'s shell stays PID 1 and SIGTERM never reaches the server',
      fix: 'end {{script}} with exec "$@" (and keep CMD in exec form) or exec the server directly',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage || stage.from.unresolved) continue;
      /**
       * A shell script as the process: fine when it execs something; reported when its last
       * command starts node or a package manager without exec; "args" when it execs "$@".
       */
      const judgeScript = (keyword: 'CMD' | 'ENTRYPOINT', spec: CommandSpec, path: string): 'args' | 'done' => {
        const script = scriptFor(model, dockerfile, stage, path);
        if (!script) return 'done';
        if (script.execs.some((e) => e.argv[0] !== '$@' && e.argv[0] !== '${@}')) return 'done';
        if (forwardsArguments(script)) return 'args';
        const last = script.lastCommand;
        const name = posix.basename(effectiveArgv(last?.argv ?? [])[0] ?? '');
        if (last && (name === 'node' || PACKAGE_RUNNERS.has(name))) {
          report('script', spec.loc, { keyword, script: script.path, process: last.argv.join(' ') }, { related: [{ ...last.loc, message: 'runs the server without exec' }] });
        }
        return 'done';
      };
      const judge = (keyword: 'CMD' | 'ENTRYPOINT', spec: CommandSpec) => {
        if (spec.form === 'shell') {
          const first = splitShell(spec.text)[0]?.argv[0];
          if (first === 'exec') {
            const verdict = shellStringVerdict(spec.text);
            if (!verdict.forwarded) report(verdict.why === 'runner' ? 'runner' : 'shell', spec.loc, { keyword, process: verdict.process, direct: directCommand(splitShell(spec.text)[0]?.argv.slice(1) ?? []) });
            return;
          }
          const words = spec.argv.map((w) => JSON.stringify(w)).join(', ');
          report('shellForm', spec.loc, { keyword, text: spec.text.replace(/\\\r?\n\s*/g, ' '), execForm: `[${words}]` });
          return;
        }
        // CMD ["./start.sh"] or CMD ["sh", "start.sh"]: the script decides.
        const program = effectiveArgv(spec.argv);
        const scriptPath = isEntrypointScript(program[0] ?? '') ? program[0] : SHELLS.has(posix.basename(program[0] ?? '')) && program[1] && !program[1].startsWith('-') ? program[1] : undefined;
        if (scriptPath) {
          judgeScript(keyword, spec, scriptPath);
          return;
        }
        const verdict = argvVerdict(spec.argv);
        if (!verdict.forwarded) report(verdict.why === 'runner' ? 'runner' : 'shell', spec.loc, { keyword, process: verdict.process, direct: directCommand(spec.argv) });
      };
      /** The node command the package script runs (`npm start` → "node dist/server.js"), for the fix. */
      const directCommand = (argv: string[]): string => {
        const fallback = '["node", "dist/index.js"] (the file the start script runs)';
        const script = scriptInvoked(argv);
        if (!script) return fallback;
        const facts = buildFacts(model, dockerfile);
        const repoDir = imageAnalysis(model, dockerfile, facts.contexts[0].dir).repoDirAt(stage, stage.workdir?.value ?? '/');
        const body = repoDir !== undefined ? packagesByDir(model).get(repoDir)?.scripts.get(script.script)?.value : undefined;
        const commands = body ? splitShell(body) : [];
        const entry = commands.length === 1 ? nodeEntry(commands[0].argv) : undefined;
        return entry ? JSON.stringify(effectiveArgv(commands[0].argv)).replace(/","/g, '", "') : fallback;
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
