import type { Loc, Located } from './location.js';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export type DependencyKind = 'dependencies' | 'devDependencies' | 'optionalDependencies' | 'peerDependencies';

export interface Dependency {
  name: string;
  range: string;
  kind: DependencyKind;
  loc: Loc;
}

/** One package.json, with the places of the values rules quote. */
export interface PackageJson {
  /** Repo-relative path of the package.json. */
  path: string;
  /** Folder of the package ('' for the repository root). */
  dir: string;
  name?: Located<string>;
  version?: string;
  main?: Located<string>;
  bin: Located<string>[];
  /** `"type": "module"` */
  isModule: boolean;
  engines: { node?: Located<string> };
  packageManager?: Located<string>;
  scripts: Map<string, Located<string>>;
  dependencies: Map<string, Dependency>;
  /** `workspaces` globs declared here (npm/yarn style). */
  workspaces: Located<string>[];
  /** Folder of the project (workspace root or standalone package) this package belongs to. */
  projectDir: string;
}

export interface Lockfile {
  path: string;
  manager: PackageManager;
  /** Folder that holds it. */
  dir: string;
}

/**
 * A project: a folder with its own dependency installation (a standalone package, or the root of a
 * workspace with its members). Lockfiles and the package manager are facts of the project.
 */
export interface Project {
  dir: string;
  rootPackage: PackageJson;
  members: PackageJson[];
  /** Package manager named by `packageManager`, e.g. pnpm from "pnpm@9.15.0". */
  declaredManager?: Located<PackageManager>;
  /** pnpm-workspace.yaml, when present. */
  pnpmWorkspace?: { path: string; packages: Located<string>[] };
  lockfiles: Lockfile[];
  /** The manager the project uses, from packageManager, then lockfiles, then pnpm-workspace.yaml. */
  manager?: PackageManager;
}

export interface NodeVersionFile {
  path: string;
  /** Raw text, e.g. "20", "v20.11.1", "lts/iron". */
  version: Located<string>;
}
