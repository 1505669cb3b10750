import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { MigrationScope, PendingMigration } from '../../model/migrations.js';

/**
 * Which migrations the next deploy runs. Migrations merged and applied long ago cannot be changed,
 * so judging them again on every run is noise: only the pending ones are checked. Pending means
 * added or changed since the base of this change (git), or, when git cannot tell, the newest
 * migration of each folder (an assumption, and findings say so).
 */

/** The commit this change is compared with, and how it was chosen (for messages). */
export interface ChangeBase {
  commit: string;
  description: string;
}

export interface ChangeSet {
  base?: ChangeBase;
  /** Repo-relative files added or changed since the base (committed, staged, unstaged, untracked). */
  changed?: Set<string>;
  /** Set when HEAD is the base itself (the default branch, up to date): only uncommitted work differs. */
  atBase?: boolean;
  /** Why no base was found, for messages. */
  noBase?: string;
}

type Git = (...args: string[]) => string | undefined;

function gitIn(root: string): Git {
  return (...args: string[]) => {
    try {
      return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000, maxBuffer: 64 * 1024 * 1024 });
    } catch {
      return undefined;
    }
  };
}

const ZERO_SHA = /^0+$/;

function readEvent(env: NodeJS.ProcessEnv): { pull_request?: { base?: { sha?: string; ref?: string } }; before?: string } | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as never;
  } catch {
    return undefined;
  }
}

/**
 * The base to compare with: `since` when given; in a GitHub pull request, its base branch; on a
 * GitHub push, the commit before the push; otherwise the merge base with the remote's default
 * branch. Undefined (with the reason) when none can be found: not a git repository, no remote, or
 * a shallow clone without the base commit.
 */
export function findChangeSet(root: string, since: string | undefined, env: NodeJS.ProcessEnv = process.env): ChangeSet {
  const git = gitIn(root);
  if (git('rev-parse', '--is-inside-work-tree')?.trim() !== 'true') return { noBase: 'the folder is not in a git repository' };
  const head = git('rev-parse', '--verify', '--quiet', 'HEAD^{commit}')?.trim();
  if (!head) return { noBase: 'the repository has no commit yet' };
  const commitOf = (ref: string) => git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`)?.trim() || undefined;
  const mergeBase = (ref: string) => git('merge-base', 'HEAD', ref)?.trim() || undefined;

  let base: ChangeBase | undefined;
  let missing: string | undefined;
  if (since !== undefined) {
    const commit = commitOf(since);
    if (!commit) return { noBase: `--since ${since} is not a commit in this repository` };
    base = { commit, description: `changed since ${since}` };
  } else {
    const event = readEvent(env);
    const baseRef = env.GITHUB_BASE_REF || event?.pull_request?.base?.ref;
    if (baseRef) {
      for (const ref of [`origin/${baseRef}`, baseRef, event?.pull_request?.base?.sha].filter((r): r is string => !!r)) {
        const commit = commitOf(ref) ? mergeBase(ref) : undefined;
        if (commit) {
          base = { commit, description: `changed in this pull request (since its base ${baseRef}, ${commit.slice(0, 7)})` };
          break;
        }
      }
      if (!base) missing = `the pull request's base ${baseRef} is not in this clone (a shallow checkout: give actions/checkout fetch-depth: 0)`;
    } else if (event?.before && !ZERO_SHA.test(event.before)) {
      const commit = commitOf(event.before);
      if (commit) base = { commit, description: `changed by this push (since ${commit.slice(0, 7)})` };
      else missing = `the commit before this push (${event.before.slice(0, 7)}) is not in this clone (a shallow checkout: give actions/checkout fetch-depth: 0)`;
    }
    if (!base && !missing) {
      const remoteHead = git('symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD')?.trim();
      const defaults = [remoteHead, 'origin/main', 'origin/master'].filter((r): r is string => !!r && !!commitOf(r));
      const ref = defaults[0];
      const commit = ref ? mergeBase(ref) : undefined;
      if (ref && commit) base = { commit, description: `changed since ${ref} (merge base ${commit.slice(0, 7)})` };
      else missing = ref ? `HEAD shares no history with ${ref}` : 'the repository has no remote default branch to compare with (origin/HEAD, origin/main, origin/master)';
    }
  }
  if (!base) return { noBase: missing ?? 'no base commit was found' };
  const diff = git('diff', '--name-only', '--relative', '--diff-filter=ACMRT', '-z', base.commit);
  const untracked = git('ls-files', '--others', '--exclude-standard', '-z');
  if (diff === undefined) return { noBase: `git diff against ${base.commit.slice(0, 7)} failed` };
  const changed = new Set([...diff.split('\0'), ...(untracked ?? '').split('\0')].filter(Boolean));
  return { base, changed, atBase: base.commit === head };
}

/** The folder a migration belongs to, and its place in that folder's order. */
export function migrationSequence(path: string): { folder: string; order: string } {
  const dir = posix.dirname(path);
  // Prisma and others keep one folder per migration (`20240101120000_add_users/migration.sql`).
  if (/^\d/.test(posix.basename(dir))) return { folder: posix.dirname(dir), order: posix.basename(dir) };
  return { folder: dir, order: posix.basename(path) };
}

const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** How long before the repository's newest migration another folder's newest one counts as long applied. */
const STALE_DAYS = 90;

/**
 * The date a migration tool wrote into a name: `20240602101756_init` (Prisma, Knex), `1700000000000-Orders`
 * (TypeORM, epoch ms), `1700000000_orders` (epoch seconds). Undefined for sequence numbers (`0003_x`).
 */
export function migrationDate(order: string): Date | undefined {
  const stamp = /^(\d{14})(?!\d)/.exec(order)?.[1];
  if (stamp) {
    const d = new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}Z`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const epoch = /^(\d{13}|\d{10})(?!\d)/.exec(order)?.[1];
  if (epoch) {
    const d = new Date(epoch.length === 13 ? Number(epoch) : Number(epoch) * 1000);
    return d.getUTCFullYear() >= 2000 && d.getUTCFullYear() < 2100 ? d : undefined;
  }
  return undefined;
}

/**
 * The newest migration of each folder, by the numbers and timestamps migration tools put in names.
 * A folder whose newest migration is dated months before the repository's newest one is history too:
 * nothing is pending there.
 */
export function newestOfEachFolder(paths: string[]): Set<string> {
  const newest = new Map<string, { path: string; order: string }>();
  for (const path of paths) {
    const { folder, order } = migrationSequence(path);
    const current = newest.get(folder);
    if (!current || naturalOrder(order, current.order) > 0) newest.set(folder, { path, order });
  }
  const dates = [...newest.values()].map((n) => migrationDate(n.order)?.getTime()).filter((t): t is number => t !== undefined);
  const latest = dates.length > 1 ? Math.max(...dates) : undefined;
  return new Set(
    [...newest.values()]
      .filter((n) => {
        const date = migrationDate(n.order)?.getTime();
        return latest === undefined || date === undefined || latest - date <= STALE_DAYS * 24 * 3600 * 1000;
      })
      .map((n) => n.path),
  );
}

export interface PendingChoice {
  scope: MigrationScope;
  pending: Map<string, PendingMigration>;
}

/**
 * Sorts located migrations into pending (judged) and applied (not judged).
 * - `named`: files or folders given on the command line are all judged;
 * - `all`: --all-migrations judges every file;
 * - `changed`: files added or changed since the base;
 * - `newest`: no base (or the default branch itself): the newest file of each folder, assumed pending.
 */
export function choosePending(paths: string[], options: { named?: boolean; all?: boolean; changes?: ChangeSet }): PendingChoice {
  const pending = new Map<string, PendingMigration>();
  const finish = (scope: Omit<MigrationScope, 'notJudged' | 'judged'>): PendingChoice => ({
    scope: { ...scope, judged: [...pending.keys()].sort(), notJudged: paths.filter((p) => !pending.has(p)).sort() },
    pending,
  });
  if (options.named || options.all) {
    const basis = options.named ? 'named' : 'all';
    const why = options.named ? 'named on the command line' : 'every migration is checked (--all-migrations)';
    for (const p of paths) pending.set(p, { basis, why });
    return finish({ basis, description: why });
  }
  const changes = options.changes;
  if (changes?.base && changes.changed) {
    const changed = paths.filter((p) => changes.changed!.has(p));
    if (changed.length > 0 || !changes.atBase) {
      for (const p of changed) pending.set(p, { basis: 'changed', why: changes.base.description });
      return finish({ basis: 'changed', description: changes.base.description });
    }
  }
  const reason = changes?.atBase
    ? 'HEAD is the default branch itself, so no change tells which migrations are new'
    : (changes?.noBase ?? 'no git base was found');
  for (const p of newestOfEachFolder(paths)) {
    pending.set(p, { basis: 'newest', why: `this is the newest migration of ${migrationSequence(p).folder || '.'}/, taken as the pending one because ${reason}; --since <ref> names the base` });
  }
  return finish({ basis: 'newest', description: `the newest migration of each folder (${reason})` });
}
