import semver from 'semver';
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
  /** `volta.node`: the Node version Volta pins for this package. */
  voltaNode?: Located<string>;
  packageManager?: Located<string>;
  scripts: Map<string, Located<string>>;
  dependencies: Map<string, Dependency>;
  /** `workspaces` globs declared here (npm/yarn style). */
  workspaces: Located<string>[];
  /** Folder of the project (workspace root or standalone package) this package belongs to. */
  projectDir: string;
  /**
   * Package names that `overrides` (npm), `resolutions` (yarn) or `pnpm.overrides` replace: their
   * locked versions need not match the declared ranges.
   */
  overriddenNames: Set<string>;
  /**
   * The overrides pnpm reads from this package.json when it is a workspace root: `resolutions`, then
   * `pnpm.overrides` (which wins), selector (`foo`, `foo@<2`, `parent>foo`) → the spec put in place.
   */
  pnpmOverrides: Map<string, string>;
  /**
   * devDependencies entries of packages that `dependencies` (or optionalDependencies) also lists:
   * `dependencies` keeps the runtime entry, but Yarn 2+ resolves a workspace's devDependencies entry.
   */
  alsoInDevDependencies: Map<string, Dependency>;
}

export interface Lockfile {
  path: string;
  manager: PackageManager;
  /** Folder that holds it. */
  dir: string;
  /**
   * The lockfile's own format, from its first lines: pnpm's `lockfileVersion` ("9.0"), yarn's "1"
   * (`# yarn lockfile v1`, Yarn classic) or the `__metadata.version` of Yarn 2+ ("8").
   */
  format?: Located<string>;
  /**
   * What the lockfile records for the packages it installs, read on first call and kept (lockfiles of
   * big monorepos run to several MiB; only the parts rules compare with package.json are parsed).
   * Undefined when the file cannot be read or its format is not understood.
   */
  contents(): LockfileContents | undefined;
}

/** A dependency as one importer's entry in a lockfile records it. */
export interface LockedDependency {
  name: string;
  /**
   * The range as the lockfile recorded it from package.json: pnpm's `specifier`, the declared range
   * in package-lock.json's `packages[""]`/`packages["<dir>"]`, yarn berry's workspace entry range.
   */
  specifier: string;
  kind?: DependencyKind;
  loc: Loc;
}

/** One package folder a lockfile installs (pnpm importer, npm root or workspace entry, yarn workspace). */
export interface LockfileImporter {
  /** Repo-relative folder of the package ('' for the repository root). */
  dir: string;
  /** The key the lockfile uses for it ('.' or 'services/api' in pnpm, '' or 'services/api' in npm). */
  key: string;
  loc: Loc;
  dependencies: Map<string, LockedDependency>;
}

/** A package installed at a place in node_modules, as package-lock.json records it. */
export interface LockedNode {
  version?: string;
  /** A link to a workspace folder (`"link": true`), not a registry package. */
  link: boolean;
  loc: Loc;
  /** Platforms the package is for (`os`, `cpu`, `libc`), as npm records them for prebuilt-binary packages. */
  os?: string[];
  cpu?: string[];
  libc?: string[];
  /** The package runs an install script (native build, binary download). */
  hasInstallScript?: boolean;
  /** Installed only as an optional dependency; only as a dev dependency. */
  optional?: boolean;
  dev?: boolean;
}

export interface LockfileContents {
  /** pnpm `lockfileVersion`, npm `lockfileVersion`, yarn "1" or the berry `__metadata.version`. */
  version?: string;
  /** Importers by repo-relative package folder. */
  importers: Map<string, LockfileImporter>;
  /** yarn: every descriptor the lockfile resolves (`express@^4.18.2` in Yarn 1, `express@npm:^4.18.2` in Yarn 2+). */
  descriptors?: Map<string, Loc>;
  /** npm: installed packages by their `packages` key (`node_modules/express`, `services/api/node_modules/express`). */
  nodes?: Map<string, LockedNode>;
  /** pnpm `settings.autoInstallPeers`: peer dependencies are installed and recorded as dependencies. */
  autoInstallPeers?: boolean;
  /** pnpm `settings.excludeLinksFromLockfile`. */
  excludeLinks?: boolean;
  /** Package names the lockfile's `overrides` section replaces (pnpm). */
  overriddenNames: Set<string>;
  /** pnpm: the lockfile's `overrides:` section, selector → spec, as pnpm applied them when it wrote the lockfile. */
  overrides?: Map<string, string>;
  /** Why the lockfile cannot be read by its package manager (a merge conflict, invalid syntax). */
  error?: { message: string; loc: Loc };
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
  /** pnpm-workspace.yaml, when present, with its `overrides:` (pnpm 10 reads them there too). */
  pnpmWorkspace?: { path: string; packages: Located<string>[]; overrides?: Map<string, string> };
  lockfiles: Lockfile[];
  /**
   * Lockfiles that exist in the project's folder but are excluded by .gitignore: they stay on the
   * developer's machine, so CI and image builds that start from the repository never see them.
   */
  gitignoredLockfiles?: string[];
  /** The manager the project uses, from packageManager, then lockfiles, then pnpm-workspace.yaml. */
  manager?: PackageManager;
}

/**
 * A place that pins the Node version for developers and tools: `.nvmrc` (nvm), `.node-version`
 * (fnm, nodenv, setup-node), `.tool-versions` (asdf, mise), `volta.node` in a package.json (Volta).
 */
export interface NodeVersionFile {
  path: string;
  kind: 'nvmrc' | 'node-version' | 'tool-versions' | 'volta';
  /** Raw text, e.g. "20", "v20.11.1", "lts/iron". */
  version: Located<string>;
}

/**
 * End of life of each Node.js major line (the date security fixes stop), from the Node.js release
 * schedule. Odd majors live about 14 months; even majors become LTS and live 30 months after that.
 * Majors above the table are newer than this list and are not judged.
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  4: '2018-04-30',
  5: '2016-06-30',
  6: '2019-04-30',
  7: '2017-06-30',
  8: '2019-12-31',
  9: '2018-06-30',
  10: '2021-04-30',
  11: '2019-06-01',
  12: '2022-04-30',
  13: '2020-06-01',
  14: '2023-04-30',
  15: '2021-06-01',
  16: '2023-09-11',
  17: '2022-06-01',
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
};

/** LTS code names, as used in `.nvmrc` (`lts/iron`) and image tags (`node:iron-alpine`). */
export const NODE_LTS_CODENAMES: Readonly<Record<string, number>> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

/** The end-of-life date of a major (ISO day) when it has passed on `today`; undefined while supported or unknown. */
export function nodeEndOfLifePassed(major: number, today: Date): string | undefined {
  const date = major < 4 ? '2018-04-30' : NODE_END_OF_LIFE[major];
  if (!date) return undefined;
  return today.toISOString().slice(0, 10) > date ? date : undefined;
}

/**
 * The Node major a version text names: "20", "v20.11.1", "20.x", "lts/iron", "iron". Undefined for
 * what names no fixed major ("lts/*", "node", "latest", ranges such as ">=18").
 */
export function nodeMajorOfVersion(text: string): number | undefined {
  const v = text.trim().replace(/^["']|["']$/g, '').toLowerCase();
  const numeric = /^v?(\d+)(?:\.(?:\d+|x|\*)){0,2}$/.exec(v);
  if (numeric) return Number(numeric[1]);
  const codename = /^(?:lts\/)?([a-z]+)$/.exec(v);
  if (codename) return NODE_LTS_CODENAMES[codename[1]];
  return undefined;
}

/**
 * The Node major of a base image: `node:20-alpine`, `node:20.11.1-bookworm-slim`, `node:iron-slim`,
 * `public.ecr.aws/docker/library/node:22`, `gcr.io/distroless/nodejs22-debian12`. Undefined when the
 * image is not Node's or its tag names no fixed major (`latest`, `lts`, `current`, `alpine`).
 */
export function nodeMajorOfImage(image: { name: string; tag?: string }): number | undefined {
  const distroless = /(?:^|\/)distroless\/nodejs(\d+)(?:-|$)/.exec(image.name);
  if (distroless) return Number(distroless[1]);
  if (!/(?:^|\/)node$/.test(image.name) || !image.tag) return undefined;
  const tag = image.tag.toLowerCase();
  const numeric = /^(\d+)(?:[.-]|$)/.exec(tag);
  if (numeric) return Number(numeric[1]);
  const codename = /^([a-z]+)(?:-|$)/.exec(tag);
  return codename ? NODE_LTS_CODENAMES[codename[1]] : undefined;
}

/** A package in a pnpm override selector: a name and, optionally, the range of versions it applies to. */
interface OverrideSelectorPart {
  name: string;
  range?: string;
}

/**
 * A pnpm override selector: `foo`, `foo@<2`, `@scope/foo@>=1 <1.4.2`, `parent>foo`, `parent@1>foo@<2`.
 * A `>` ends the parent part only after a name or version character: in `foo@>=1` it opens a range.
 */
function parseOverrideSelector(selector: string): { parent?: OverrideSelectorPart; target: OverrideSelectorPart } | undefined {
  const part = (text: string): OverrideSelectorPart | undefined => {
    const at = text.indexOf('@', 1);
    const name = at < 0 ? text : text.slice(0, at);
    if (!name) return undefined;
    return at < 0 ? { name } : { name, range: text.slice(at + 1) };
  };
  const delimiter = /[^ |@]>/.exec(selector);
  if (!delimiter) {
    const target = part(selector);
    return target ? { target } : undefined;
  }
  const parent = part(selector.slice(0, delimiter.index + 1));
  const target = part(selector.slice(delimiter.index + 2));
  return parent && target ? { parent, target } : undefined;
}

/** pnpm's test of whether an override's range applies to a declared spec: no range, the same text, or ranges that intersect. */
function overrideRangeApplies(selectorRange: string | undefined, spec: string): boolean {
  if (!selectorRange || spec === selectorRange) return true;
  try {
    return semver.validRange(spec) !== null && semver.validRange(selectorRange) !== null && semver.intersects(spec, selectorRange);
  } catch {
    return false;
  }
}

/**
 * What pnpm writes for a dependency after its overrides (`pnpm.overrides`, pnpm-workspace.yaml
 * `overrides:`, or the lockfile's record of them): pnpm rewrites each manifest — workspace projects
 * included — before it compares specifiers with the lockfile, so an override's spec is what the
 * importer records. Parent-scoped overrides (`parent>foo`) apply to the dependencies of `parent`
 * and win over generic ones; among several that apply, the one with the narrowest range wins.
 *
 * Returns the spec put in place, `null` when the override removes the dependency (`"-"`),
 * `'unknown'` when the spec cannot be known here (a catalog, an unresolved `$reference`), and
 * undefined when no override applies.
 */
export function pnpmOverriddenSpec(
  overrides: Map<string, string>,
  dependency: { name: string; range: string },
  owner: { name?: string; version?: string },
  references: Map<string, string>,
): string | null | 'unknown' | undefined {
  const scoped: { range?: string; spec: string }[] = [];
  const generic: { range?: string; spec: string }[] = [];
  for (const [selector, spec] of overrides) {
    const parsed = parseOverrideSelector(selector);
    if (!parsed || parsed.target.name !== dependency.name || !overrideRangeApplies(parsed.target.range, dependency.range)) continue;
    if (!parsed.parent) {
      generic.push({ range: parsed.target.range, spec });
      continue;
    }
    if (parsed.parent.name !== owner.name) continue;
    if (parsed.parent.range && !(owner.version && semver.valid(owner.version) && semver.satisfies(owner.version, parsed.parent.range))) continue;
    scoped.push({ range: parsed.target.range, spec });
  }
  // pnpm's own ordering: an override whose range fits inside another's sorts first.
  const mostSpecific = (list: { range?: string; spec: string }[]) =>
    list.sort((a, b) => (overrideRangeApplies(b.range ?? '', a.range ?? '') ? -1 : 1))[0];
  const chosen = mostSpecific(scoped) ?? mostSpecific(generic);
  if (!chosen) return undefined;
  if (chosen.spec === '-') return null;
  if (chosen.spec.startsWith('$')) return references.get(chosen.spec.slice(1)) ?? 'unknown';
  if (chosen.spec.startsWith('catalog:')) return 'unknown';
  return chosen.spec;
}
