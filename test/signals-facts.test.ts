import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAUNCHER_FACTS, SHELL_FACTS, type Launcher, type ShellFamily } from '../src/analysis/signals.js';

/**
 * The signal facts signals-not-forwarded decides from, established by experiment: each shell runs a
 * Node child through `sh -c`, each launcher runs it as a package script through each shell, and the
 * test sends SIGTERM to the outer process, as ECS does to PID 1. It records whether the shell
 * replaced itself with node, whether node received the signal, and whether the launcher stayed until
 * node had finished its shutdown; every entry of SHELL_FACTS and LAUNCHER_FACTS must match.
 *
 * The shells are those of the images: dash (Debian, Ubuntu), BusyBox ash (Alpine; Debian's busybox
 * package), bash (Amazon Linux, UBI). A shell missing on this machine skips its cases, saying so.
 */

/** The launchers are devDependencies of this project. */
const PACKAGES = new URL('../node_modules/', import.meta.url).pathname;
// The handler is in place before the pid is printed: the test signals as soon as it reads the pid.
const CHILD = `process.on('SIGTERM', () => {
  process.stdout.write('sigterm\\n');
  setTimeout(() => { process.stdout.write('drained\\n'); process.exit(0); }, 300);
});
setInterval(() => {}, 1000);
process.stdout.write('pid ' + process.pid + '\\n');
`;

/** Bounded waits for events (a loaded machine is slow); nothing here asserts how long anything took. */
const EVENT_WAIT_MS = 20_000;
const SILENCE_WAIT_MS = 3_000;

interface Observation {
  /** The shell replaced itself with node (node's pid is the spawned process's pid). */
  execd: boolean;
  reachesNode: boolean;
  /** The outer process exited only after node had finished its shutdown. */
  waits: boolean;
}

function shellPaths(dir: string): Partial<Record<ShellFamily, string>> {
  const paths: Partial<Record<ShellFamily, string>> = {};
  if (existsSync('/usr/bin/dash') || existsSync('/bin/dash')) paths.dash = existsSync('/usr/bin/dash') ? '/usr/bin/dash' : '/bin/dash';
  if (existsSync('/bin/bash') || existsSync('/usr/bin/bash')) paths.bash = existsSync('/bin/bash') ? '/bin/bash' : '/usr/bin/bash';
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (busybox) {
    // BusyBox picks its applet from the name it is called by: `sh`.
    mkdirSync(join(dir, 'busybox'), { recursive: true });
    symlinkSync(busybox, join(dir, 'busybox', 'sh'));
    paths.busybox = join(dir, 'busybox', 'sh');
  }
  return paths;
}

/** Runs `command args`, waits for node to start, sends SIGTERM to the spawned process, and watches what follows. */
function observe(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Observation> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let nodePid: number | undefined;
    let drainedBeforeExit = false;
    const timer = setTimeout(() => finish(new Error(`no node process started by ${command} ${args.join(' ')}: ${out}`)), EVENT_WAIT_MS);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      for (const pid of [nodePid, proc.pid]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (error) reject(error);
      else resolve({ execd: nodePid === proc.pid, reachesNode: /sigterm/.test(out), waits: drainedBeforeExit });
    };
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const pid = /pid (\d+)/.exec(out);
      if (pid && nodePid === undefined) {
        nodePid = Number(pid[1]);
        process.kill(proc.pid!, 'SIGTERM');
      }
    });
    proc.on('exit', () => {
      // Did the launcher stay until node had finished? Node is gone by now if it did. (Its output may
      // still be in the pipe, so liveness is asked, not read.)
      let nodeAlive = false;
      try {
        if (nodePid) process.kill(nodePid, 0);
        nodeAlive = nodePid !== undefined && nodePid !== proc.pid;
      } catch {
        nodeAlive = false;
      }
      drainedBeforeExit = nodePid !== undefined && !nodeAlive;
      // Give node (if alive) time to show whether the signal reached it, and the pipe time to empty.
      setTimeout(() => finish(), nodeAlive ? SILENCE_WAIT_MS : 500);
    });
    proc.on('error', (err) => finish(err));
  });
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipready-signals-'));
  writeFileSync(join(dir, 'child.js'), CHILD);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'signals', version: '1.0.0', license: 'MIT', scripts: { start: 'node child.js', 'start:server': 'node child.js' } }));
  return dir;
}

const dir = project();
const shells = shellPaths(dir);
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const family of Object.keys(SHELL_FACTS) as ShellFamily[]) {
  test(`${family}: sh -c "a && node server.js" ${SHELL_FACTS[family].execsLastCommand ? 'execs' : 'forks'} node`, { skip: shells[family] ? false : `${family} is not installed here` }, async () => {
    const single = await observe(shells[family]!, ['-c', 'node child.js'], dir, {});
    const chain = await observe(shells[family]!, ['-c', 'true && node child.js'], dir, {});
    assert.equal(single.execd, SHELL_FACTS[family].execsLastCommand, `sh -c "node child.js" under ${family}`);
    assert.equal(chain.execd, SHELL_FACTS[family].execsLastCommand, `sh -c "true && node child.js" under ${family}`);
    // Forked, the shell dies of SIGTERM (or, as PID 1, ignores it) and node never hears of it.
    assert.equal(single.reachesNode, SHELL_FACTS[family].execsLastCommand);
  });
}

/** How each launcher is started here, running the package script `start` (node child.js). */
function launcherCommand(launcher: Launcher): [string, string[]] {
  switch (launcher) {
    case 'npm':
      return ['npm', ['run', '--silent', 'start']];
    case 'pnpm':
      return [process.execPath, [join(PACKAGES, 'pnpm', 'bin', 'pnpm.cjs'), 'run', 'start']];
    case 'yarn-classic':
      return [process.execPath, [join(PACKAGES, 'yarn', 'bin', 'yarn.js'), '--silent', 'run', 'start']];
    case 'npm-run-all':
      // npm-run-all2, the maintained fork of npm-run-all with the same process handling: run-s start:server.
      return [process.execPath, [join(PACKAGES, 'npm-run-all2', 'bin', 'run-s', 'index.js'), 'start:server']];
  }
}

for (const launcher of Object.keys(LAUNCHER_FACTS) as Launcher[]) {
  for (const family of Object.keys(SHELL_FACTS) as ShellFamily[]) {
    const facts = LAUNCHER_FACTS[launcher][family];
    const name = `${launcher} through ${family}: SIGTERM ${facts.reachesNode ? 'reaches' : 'does not reach'} node, ${facts.waits ? 'waits for its shutdown' : 'does not wait'}`;
    test(name, { skip: shells[family] ? false : `${family} is not installed here` }, async () => {
      const [command, args] = launcherCommand(launcher);
      const shell = shells[family]!;
      // The shell each launcher runs scripts with: npm's and pnpm's script-shell, yarn's too.
      const env = { npm_config_script_shell: shell, YARN_SCRIPT_SHELL: shell, npm_config_update_notifier: 'false', YARN_IGNORE_PATH: '1' };
      const seen = await observe(command, args, dir, env);
      assert.deepEqual({ reachesNode: seen.reachesNode, waits: seen.waits }, facts);
    });
  }
}
