import type { Loc, Located } from './location.js';

/** A docker-compose file. Filled by discover/compose.ts. */
export interface ComposeFile {
  path: string;
  services: ComposeService[];
  /** Why this file is taken for the production one (its name, or a deploy workflow that uses it); undefined for dev/test files. */
  production?: string;
  loc: Loc;
}

export interface ComposeService {
  name: Located<string>;
  image?: Located<string>;
  /** `build:` as a context folder and Dockerfile, resolved repo-relative. */
  build?: { context: Located<string>; contextDir?: string; dockerfile?: Located<string>; dockerfilePath?: string; loc: Loc };
  volumes: ComposeVolume[];
  restart?: Located<string>;
  /** `deploy.resources.limits` or the legacy `mem_limit`/`cpus`. */
  limits?: Located<string>;
  /** `healthcheck:`; `disabled` for `disable: true`. */
  healthcheck?: Located<'defined' | 'disabled'>;
  environment: Map<string, Located<string>>;
  envFiles: Located<string>[];
  command?: Located<string>;
  /** `profiles:`: the service starts only when one of them is asked for (`deprecated`, `debug`, …). */
  profiles: string[];
  loc: Loc;
}

export interface ComposeVolume {
  /** As written: `./src:/app/src`, `data:/var/lib/postgresql/data`, or the long form's source. */
  text: string;
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path for binds (as written). */
  source?: string;
  target?: string;
  /** A bind mount of the project's code into the container (overrides what the image was built with). */
  sourceMount: boolean;
  loc: Loc;
}

/** Dependabot or Renovate configuration. Filled by discover/dependency-updates.ts. */
export interface DependencyUpdateConfig {
  path: string;
  tool: 'dependabot' | 'renovate';
  /** Dependabot `updates:` entries. */
  updates: DependencyUpdateEntry[];
  /** Renovate: managers it runs (undefined = all managers, Renovate's default). */
  enabledManagers?: string[];
  /** Renovate: managers switched off (`"npm": { "enabled": false }`). */
  disabledManagers: string[];
  /** Renovate switched off entirely (`"enabled": false`). */
  disabled: boolean;
  /** False when the file is not valid YAML/JSON (reported by repo/parse-error; its coverage is unknown). */
  parsed: boolean;
  /** Schema violations (Dependabot), each at the line of the offending value. */
  errors: { message: string; loc: Loc }[];
  loc: Loc;
}

export interface DependencyUpdateEntry {
  ecosystem: Located<string>;
  /** `directory:` or `directories:` entries, as written (`/`, `/packages/*`). */
  directories: Located<string>[];
  /** `open-pull-requests-limit`: 0 means the team keeps only security updates and opens no version PRs. */
  openPullRequestsLimit?: Located<string>;
  loc: Loc;
}
