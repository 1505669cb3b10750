import type { Loc } from './location.js';

/** One `KEY=value` line of an env file. */
export interface EnvKey {
  name: string;
  loc: Loc;
  hasValue: boolean;
  /**
   * The value is a stand-in, not a credential: a placeholder ("changeme", "<token>", "${OTHER}") or
   * a URL to this machine (localhost, 127.0.0.1, host.docker.internal). The value itself is not kept.
   */
  trivialValue?: boolean;
}

/** An env file that git has or had: the version at that commit, by key names only (never values). */
export interface CommittedEnvFile {
  path: string;
  /** The commit that added it (the oldest such commit when it was added more than once). */
  commit: string;
  /** Author date of that commit, YYYY-MM-DD. */
  date: string;
  /** First line of that commit's message. */
  subject: string;
  /** Still tracked in the current checkout. */
  stillTracked: boolean;
  /** Present in the working tree (untracked now, usually gitignored). */
  onDisk: boolean;
  /** Names of the keys that had a real value (not a placeholder) in the committed version (undefined when not read back). */
  keysWithValue?: string[];
}

/** Facts from git, when the audited folder is inside a git work tree. */
export interface GitFacts {
  /** Repo-relative paths (relative to the audited folder) of tracked files. */
  tracked: Set<string>;
  /** Env files (.env, .env.production, …; not examples) tracked now, with their keys. */
  trackedEnvFiles: { path: string; keys: EnvKey[] }[];
  /** Env files (not examples) that were added in some commit of any branch. */
  envFilesInHistory: CommittedEnvFile[];
}

/** A `.env`-style file: KEY=value lines. */
export interface EnvFile {
  path: string;
  /** `.env.example`, `.env.sample`, `.env.template`: documentation of the variables, not values. */
  isExample: boolean;
  keys: EnvKey[];
}

/** A credential-looking string found in a file of the repository. The secret itself is never kept. */
export interface SecretCandidate {
  kind: string;
  loc: Loc;
  /** A redacted preview, e.g. "AKIA…YZ". */
  redacted: string;
  /** The file is tracked by git (false: only on disk, not ignored, so the next commit or build takes it). */
  tracked?: boolean;
}
