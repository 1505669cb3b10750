import type { Loc } from './location.js';

/** Facts from git, when the audited folder is inside a git work tree. */
export interface GitFacts {
  /** Repo-relative paths (relative to the audited folder) of tracked files. */
  tracked: Set<string>;
  /** Env files (.env, .env.production, …) that were added in some commit, with that commit. */
  envFilesInHistory: { path: string; commit: string; stillTracked: boolean }[];
}

/** A `.env`-style file: KEY=value lines. */
export interface EnvFile {
  path: string;
  /** `.env.example`, `.env.sample`, `.env.template`: documentation of the variables, not values. */
  isExample: boolean;
  keys: { name: string; loc: Loc; hasValue: boolean }[];
}

/** A credential-looking string found in a tracked file. The secret itself is never kept. */
export interface SecretCandidate {
  kind: string;
  loc: Loc;
  /** A redacted preview, e.g. "AKIA…WXYZ". */
  redacted: string;
}
