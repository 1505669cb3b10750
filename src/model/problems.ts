import type { Loc } from './location.js';

/**
 * A file that a discoverer needed and could not use: it does not parse, it is binary, too large,
 * unreadable, or a symbolic-link loop. Each becomes a finding; the rest of the audit goes on.
 */
export interface ArtifactProblem {
  kind: 'parse-error' | 'too-large' | 'binary' | 'unreadable' | 'symlink-loop' | 'broken-symlink';
  /** What the file was expected to be, e.g. "Dockerfile", "package.json", "workflow". */
  artifact: string;
  message: string;
  loc: Loc;
}
