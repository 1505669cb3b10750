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
  /** Written as a comment (`# KEY=value`): an example file documents the variable without setting it. */
  commented?: boolean;
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

const PLACEHOLDER_VALUE = /^(test(ing)?|secret|password|pass|changeme|change[-_]?me|example|sample|dummy|fake|local|dev|development|todo|tbd|none|null|undefined|true|false|yes|no|on|off|x{3,}|\*{3,}|\.{3}|<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|your[-_].*|.*[-_]here|admin|root|postgres|user|guest|default)$/i;
/** Words that make a value a stand-in wherever they appear: `Change_ME!!!`, `my-placeholder-key`, `replace-me-with-a-random-string`. */
const PLACEHOLDER_WORD = /change[-_ ]?me|placeholder|replace[-_ ]?me|replace[-_ ]?with|your[-_ ]|\bdummy\b|\bexample\b|\bsample\b|\bfake\b|not[-_ ]?a[-_ ]?(real[-_ ]?)?secret|xxxx|\.\.\./i;
/** A URL to this machine or to a compose service (a host name without a dot): local development. */
const LOCAL_URL = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|host\.docker\.internal|[a-z0-9_-]+)(?::\d+)?(?:[/?#]|$)/i;
/** A URL with no user:password part carries no credential (an endpoint, a redirect). */
const URL_WITHOUT_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i;
/** A reference to where a secret is kept, not the secret: an ARN, an SSM parameter path. */
const SECRET_REFERENCE = /^(arn:aws[a-z-]*:|\/[\w.-]+(\/[\w.-]+)+$|ssm:|secretsmanager:)/i;

/**
 * A value that stands in for a credential rather than being one: a placeholder, a value equal to
 * its own key name, a number or a boolean, a URL without credentials or to this machine or a compose
 * service (a host name without a dot), a reference to a secret store.
 */
export function isStandInValue(value: string, key = ''): boolean {
  return standInKind(value, key) !== undefined;
}

/**
 * Why a value is not a credential: `placeholder` (a stand-in someone must replace: `Change_ME!!!`,
 * `[client-secret]`, the key's own name), `local` (a URL to this machine or a compose service), or
 * `not-secret` (a number, a boolean, a URL without credentials, a reference to a secret store).
 * Undefined when it may be a real credential.
 */
export function standInKind(value: string, key = ''): 'placeholder' | 'local' | 'not-secret' | undefined {
  if (LOCAL_URL.test(value)) return 'local';
  if (/^-?\d+(\.\d+)?$/.test(value) || /^(true|false|yes|no|on|off|null|none|undefined)$/i.test(value) || URL_WITHOUT_CREDENTIALS.test(value) || SECRET_REFERENCE.test(value)) return 'not-secret';
  if (PLACEHOLDER_VALUE.test(value) || PLACEHOLDER_WORD.test(value)) return 'placeholder';
  const bare = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  // `NOVU_API_KEY="novu_api_key"`, `JWT_SECRET=jwt-secret`: the name written as the value.
  if (name && (bare === name || (bare.length >= 4 && name.includes(bare)))) return 'placeholder';
  return undefined;
}
