import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs git in a folder with a throwaway identity; returns its standard output. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/**
 * A clone as a pull request's CI job sees it: origin/main holds `base`, and `change` is added on a
 * branch on top of it, committed or (commit: false) left as uncommitted work, which counts as
 * changed too.
 */
export function pullRequestClone(
  base: Record<string, string>,
  change: Record<string, string>,
  options: { commit?: boolean } = {},
): { root: string; cleanup: () => void } {
  const origin = mkdtempSync(join(tmpdir(), 'shipready-origin-'));
  writeFiles(origin, base);
  git(origin, 'init', '-q', '-b', 'main');
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'base');
  const root = mkdtempSync(join(tmpdir(), 'shipready-clone-'));
  execFileSync('git', ['clone', '-q', origin, root], { stdio: 'ignore' });
  git(root, 'checkout', '-q', '-b', 'feature');
  writeFiles(root, change);
  if (options.commit !== false) {
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'change');
  }
  return { root, cleanup: () => [origin, root].forEach((d) => rmSync(d, { recursive: true, force: true })) };
}
