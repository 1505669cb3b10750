import type { Stage } from '../model/docker.js';

/**
 * Whether SIGTERM from ECS reaches the Node process depends on the image's /bin/sh and on the
 * program that starts node. These are facts, not guesses: test/signals-facts.test.ts runs each shell
 * and launcher below with a Node child and checks every entry of these tables, so a change of
 * behaviour in a new release shows up as a failing test rather than as a wrong finding.
 */

/** The shell behind /bin/sh: Debian and Ubuntu link dash, Alpine and Wolfi BusyBox ash, RHEL-family images bash. */
export type ShellFamily = 'dash' | 'busybox' | 'bash';

export interface ShellFacts {
  /**
   * `sh -c "a && node server.js"` replaces the shell with the last command (the same process id),
   * so node is PID 1 and receives SIGTERM. Dash forks instead: the shell stays PID 1, and as PID 1
   * with no handler it ignores SIGTERM, so node never gets it.
   */
  execsLastCommand: boolean;
}

export const SHELL_FACTS: Record<ShellFamily, ShellFacts> = {
  dash: { execsLastCommand: false },
  busybox: { execsLastCommand: true },
  bash: { execsLastCommand: true },
};

/** Programs that start a package script (or several) and stay as the parent of node. */
export type Launcher = 'npm' | 'pnpm' | 'yarn-classic' | 'npm-run-all';

export interface LauncherFacts {
  /** SIGTERM sent to the launcher reaches node (forwarded through the script's shell). */
  reachesNode: boolean;
  /** The launcher stays until node has finished its shutdown; if it exits first, the container stops and node is killed mid-drain. */
  waits: boolean;
}

/**
 * How each launcher behaves when it receives SIGTERM while its script runs `node server.js`, by the
 * shell it runs the script with. npm 7+ and pnpm forward the signal to the script's shell and wait;
 * through dash the signal stops at the shell. Yarn 1 forwards but does not wait; npm-run-all
 * (run-s, run-p) exits on the signal without passing it on.
 */
export const LAUNCHER_FACTS: Record<Launcher, Record<ShellFamily, LauncherFacts>> = {
  npm: {
    dash: { reachesNode: false, waits: false },
    busybox: { reachesNode: true, waits: true },
    bash: { reachesNode: true, waits: true },
  },
  pnpm: {
    dash: { reachesNode: false, waits: false },
    busybox: { reachesNode: true, waits: true },
    bash: { reachesNode: true, waits: true },
  },
  'yarn-classic': {
    dash: { reachesNode: false, waits: false },
    busybox: { reachesNode: true, waits: false },
    bash: { reachesNode: true, waits: false },
  },
  'npm-run-all': {
    dash: { reachesNode: false, waits: false },
    busybox: { reachesNode: false, waits: false },
    bash: { reachesNode: false, waits: false },
  },
};

export interface ImageShell {
  family?: ShellFamily;
  /** The image has no shell at all (distroless): a shell-form command cannot even start. */
  none?: boolean;
  /** For messages: "node:20-alpine (an Alpine or Wolfi image)". */
  evidence: string;
}

/** The /bin/sh of a stage's image, read from the image it ultimately starts FROM. */
export function shellOf(stage: Stage): ImageShell {
  const image = stage.rootImage;
  const raw = image.tag ? `${image.name}:${image.tag}` : image.name;
  if (image.unresolved) return { evidence: `${image.raw} (a build argument decides the image)` };
  const name = image.name.toLowerCase();
  const tag = (image.tag ?? 'latest').toLowerCase();
  if (/(^|\/)distroless\//.test(name)) return { none: true, evidence: `${raw} (distroless: no shell)` };
  if (/(^|\/)alpine$/.test(name) || /(^|-)alpine/.test(tag) || /(^|\/)(wolfi-base)$|chainguard\//.test(name)) {
    return { family: 'busybox', evidence: `${raw} (an Alpine or Wolfi image)` };
  }
  if (/(^|\/)(amazonlinux|ubi\d*(-minimal)?|ubi|centos|fedora|rockylinux|almalinux|oraclelinux)$/.test(name)) {
    return { family: 'bash', evidence: `${raw} (a Red Hat-family image)` };
  }
  // node:20, node:20-slim, node:iron-bookworm, debian, ubuntu: /bin/sh is dash.
  if (/(^|\/)(node|debian|ubuntu|buildpack-deps)$/.test(name)) return { family: 'dash', evidence: `${raw} (a Debian or Ubuntu image)` };
  return { evidence: `${raw} (an image whose /bin/sh is not known from its name)` };
}
