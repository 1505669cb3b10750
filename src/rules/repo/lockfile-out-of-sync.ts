import { posix } from 'node:path';
import semver from 'semver';
import type { FileIndex } from '../../discover/files.js';
import { projectInstalls } from '../../discover/packages.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { pnpmOverriddenSpec, type Dependency, type Lockfile, type LockfileContents, type PackageJson, type Project } from '../../model/packages.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { isSampleOrTestDataPath } from './_paths.js';

const FROZEN = { npm: 'npm ci', pnpm: 'pnpm install --frozen-lockfile', yarn: 'yarn install --frozen-lockfile' } as const;

type Report = (
  id: 'differs' | 'missing' | 'stale' | 'noImporter' | 'unreadable',
  loc: Loc,
  /** `label` names the occurrence when the lockfile's differences are merged into one finding. */
  data: Record<string, string | number>,
  options: { related: RelatedLocation[]; key: string },
) => void;

/** `"express": "^5.0.0"` as package.json writes it. */
function declared(dep: Dependency): string {
  return `"${dep.name}": "${dep.range}"`;
}

function where(loc: Loc): string {
  return `${loc.file}:${loc.line}`;
}

/** A range whose meaning is not a plain registry range: workspace, link, file, catalog, git, URL, alias. */
function hasProtocol(range: string): boolean {
  return /^[a-z][a-z+]*:/i.test(range) || range.includes('/');
}

/** A plain semver range or version ("^4.21.0", "4.x", "~1.2", ">=1 <2", "*"). */
function isPlainRange(range: string): boolean {
  return range.trim() !== '' && !hasProtocol(range) && semver.validRange(range, { loose: true }) !== null;
}

/**
 * The package.json files a lockfile at the project root installs, without test data and sample
 * packages. Workspace members count only where the manager reads their declaration: pnpm reads
 * pnpm-workspace.yaml, npm and Yarn the "workspaces" field (repo/lockfile-mismatch reports the others).
 */
function packagesOf(project: Project, lockfile: Lockfile, files: FileIndex): PackageJson[] {
  const own = posix.basename(lockfile.path);
  const membersInstalled = lockfile.manager === 'pnpm' ? project.pnpmWorkspace !== undefined : project.rootPackage.workspaces.length > 0;
  return [project.rootPackage, ...(membersInstalled ? project.members : [])].filter(
    (pkg) =>
      !isSampleOrTestDataPath(pkg.path) &&
      // pnpm with shared-workspace-lockfile=false: a member with its own lockfile is not in the root one.
      (pkg === project.rootPackage || !files.has(`${pkg.dir}/${own}`)),
  );
}

/**
 * The specifiers pnpm may hold a declared dependency to: the range as written, and the spec each of
 * its overrides puts in place (the lockfile's `overrides:` record, package.json `pnpm.overrides` and
 * `resolutions`, pnpm-workspace.yaml `overrides:`). pnpm rewrites workspace manifests with its
 * overrides before its frozen check, and records the rewritten spec in the importer.
 */
function pnpmExpectations(project: Project, contents: LockfileContents, pkg: PackageJson, dep: Dependency): { specs: Set<string>; removed: boolean; unknown: boolean } {
  const root = project.rootPackage;
  const workspace = project.pnpmWorkspace?.overrides;
  const sources = [contents.overrides, root.pnpmOverrides, workspace, workspace && new Map([...root.pnpmOverrides, ...workspace])]
    .filter((o): o is Map<string, string> => !!o && o.size > 0);
  const references = new Map([...root.dependencies.values()].map((d) => [d.name, d.range]));
  const result = { specs: new Set([dep.range]), removed: false, unknown: false };
  for (const overrides of sources) {
    const spec = pnpmOverriddenSpec(overrides, dep, { name: pkg.name?.value, version: pkg.version }, references);
    if (spec === null) result.removed = true;
    else if (spec === 'unknown') result.unknown = true;
    else if (spec !== undefined) result.specs.add(spec);
  }
  return result;
}

/** pnpm: importer specifiers are compared with package.json after pnpm's overrides, in both directions. */
function checkPnpm(project: Project, lockfile: Lockfile, contents: LockfileContents, files: FileIndex, report: Report): void {
  if (contents.importers.size === 0) return;
  for (const pkg of packagesOf(project, lockfile, files)) {
    const importer = contents.importers.get(pkg.dir);
    const overridden = (name: string) =>
      contents.overriddenNames.has(name) || pkg.overriddenNames.has(name) || project.rootPackage.overriddenNames.has(name);
    const base = { packageJson: pkg.path, lockfile: lockfile.path, dir: project.dir || 'the repository root', manager: 'pnpm' };
    if (!importer) {
      // pnpm itself skips packages under test folders when it looks for workspace packages.
      if (/(^|\/)(tests?)(\/|$)/.test(pkg.dir)) continue;
      const deps = [...pkg.dependencies.values()].filter((d) => d.kind !== 'peerDependencies');
      if (deps.length === 0) continue;
      report('noImporter', deps[0].loc, {
        ...base,
        label: pkg.dir || '.',
        evidence: `${lockfile.path} has no importer "${posix.relative(lockfile.dir, pkg.dir) || '.'}" for ${pkg.path}, whose dependencies start with ${declared(deps[0])} (${where(deps[0].loc)})`,
      }, { related: [{ file: lockfile.path, line: 1, message: `importers: ${[...contents.importers.keys()].length} packages, not ${pkg.dir || '.'}` }], key: `importer:${pkg.dir}` });
      continue;
    }
    const importerName = importer.key;
    for (const dep of pkg.dependencies.values()) {
      if (dep.range.startsWith('link:')) continue;
      // Peer dependencies are recorded only when pnpm installs them (autoInstallPeers); unknown → no judgement.
      if (dep.kind === 'peerDependencies' && contents.autoInstallPeers !== true) continue;
      const expected = pnpmExpectations(project, contents, pkg, dep);
      if (expected.removed || expected.unknown) continue;
      const locked = importer.dependencies.get(dep.name);
      if (!locked) {
        report('missing', dep.loc, {
          label: dep.name,
          ...base,
          evidence: `${declared(dep)} in ${where(dep.loc)}, but ${lockfile.path}'s importer ${importerName} (${where(importer.loc)}) has no ${dep.name}`,
        }, { related: [{ ...importer.loc, message: `importer ${importerName}` }], key: `missing:${pkg.dir}:${dep.name}` });
        continue;
      }
      if (expected.specs.has(locked.specifier)) continue;
      // workspace:, catalog:, file: and link: specifiers can be rewritten by pnpm settings: no proof.
      if (/^(workspace|catalog|file|link):/.test(locked.specifier) || /^(workspace|catalog|file):/.test(dep.range)) continue;
      report('differs', dep.loc, {
        label: dep.name,
        ...base,
        evidence: `${declared(dep)} in ${where(dep.loc)}, but ${lockfile.path}'s importer ${importerName} has ${dep.name} specifier ${locked.specifier} (${where(locked.loc)})`,
      }, { related: [{ ...locked.loc, message: `specifier ${locked.specifier}` }], key: `differs:${pkg.dir}:${dep.name}` });
    }
    for (const locked of importer.dependencies.values()) {
      if (pkg.dependencies.has(locked.name) || overridden(locked.name) || locked.specifier.startsWith('link:')) continue;
      report('stale', locked.loc, {
        label: locked.name,
        ...base,
        evidence: `${lockfile.path}'s importer ${importerName} records ${locked.name} (specifier ${locked.specifier}, ${where(locked.loc)}), but ${pkg.path} no longer declares it`,
      }, { related: [{ file: pkg.path, line: 1, message: `does not declare ${locked.name}` }], key: `stale:${pkg.dir}:${locked.name}` });
    }
  }
}

/**
 * npm: `npm ci` builds the tree package.json asks for and fails when it differs from the lockfile's.
 * A range that the locked version still satisfies passes, so only a missing or unsatisfying package
 * is proof. A package that was removed from package.json is simply pruned: no failure.
 */
function checkNpm(project: Project, lockfile: Lockfile, contents: LockfileContents, files: FileIndex, report: Report): void {
  const nodes = contents.nodes;
  if (!nodes || nodes.size === 0) return;
  const workspaceNames = new Set([project.rootPackage, ...project.members].map((p) => p.name?.value).filter(Boolean));
  for (const pkg of packagesOf(project, lockfile, files)) {
    const importer = contents.importers.get(pkg.dir);
    const base = { packageJson: pkg.path, lockfile: lockfile.path, dir: project.dir || 'the repository root', manager: 'npm' };
    for (const dep of pkg.dependencies.values()) {
      if (dep.kind === 'peerDependencies' || workspaceNames.has(dep.name) || !isPlainRange(dep.range)) continue;
      if (pkg.overriddenNames.has(dep.name) || project.rootPackage.overriddenNames.has(dep.name)) continue;
      // Node's resolution: the package's own node_modules, then each parent folder's, up to the lockfile's.
      let rel = posix.relative(lockfile.dir, pkg.dir);
      let node;
      let nodeKey = '';
      for (;;) {
        nodeKey = rel ? `${rel}/node_modules/${dep.name}` : `node_modules/${dep.name}`;
        node = nodes.get(nodeKey);
        if (node || !rel) break;
        rel = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
      }
      const lockDeclared = importer?.dependencies.get(dep.name);
      const lockRange = lockDeclared ? `; the lockfile's entry for ${importer!.key || 'the root'} declares ${lockDeclared.specifier} (${where(lockDeclared.loc)})` : '';
      if (!node) {
        report('missing', dep.loc, {
          label: dep.name,
          ...base,
          evidence: `${declared(dep)} in ${where(dep.loc)}, but ${lockfile.path} has no node_modules/${dep.name} for ${pkg.dir || 'the root'}${lockRange}`,
        }, { related: importer ? [{ ...importer.loc, message: `packages["${importer.key}"]` }] : [], key: `missing:${pkg.dir}:${dep.name}` });
        continue;
      }
      // A link, or a version that is not semver (a git or file source in a v1 lockfile): no judgement.
      if (node.link || !node.version || !semver.valid(node.version, { loose: true })) continue;
      if (semver.satisfies(node.version, dep.range, { loose: true, includePrerelease: true })) continue;
      report('differs', dep.loc, {
        label: dep.name,
        ...base,
        evidence: `${declared(dep)} in ${where(dep.loc)}, but ${lockfile.path} locks ${dep.name} ${node.version} ("${nodeKey}", ${where(node.loc)}), outside that range${lockRange}`,
      }, { related: [{ ...node.loc, message: `${nodeKey} ${node.version}` }], key: `differs:${pkg.dir}:${dep.name}` });
    }
  }
}

/**
 * Yarn: every descriptor a package.json declares must have its entry (`express@^4.18.2` in Yarn 1,
 * `express@npm:^4.18.2` in Yarn 2+); Yarn 2+ also records each workspace's dependencies, so one
 * removed from package.json leaves a stale entry that `--immutable` refuses to rewrite.
 */
function checkYarn(project: Project, lockfile: Lockfile, contents: LockfileContents, files: FileIndex, report: Report): void {
  const descriptors = contents.descriptors;
  if (!descriptors || descriptors.size === 0) return;
  const berry = contents.version !== '1';
  // A Yarn 1 lockfile under Yarn 2+ is rewritten whole on install: repo/lockfile-mismatch reports that.
  const declaredMajor = /^yarn@v?(\d+)/.exec(project.rootPackage.packageManager?.value ?? '')?.[1];
  if (!berry && declaredMajor !== undefined && Number(declaredMajor) >= 2) return;
  const workspaceNames = new Set([project.rootPackage, ...project.members].map((p) => p.name?.value).filter(Boolean));
  const byName = new Map<string, string[]>();
  for (const descriptor of descriptors.keys()) {
    const at = descriptor.indexOf('@', 1);
    const name = descriptor.slice(0, at);
    byName.set(name, [...(byName.get(name) ?? []), descriptor]);
  }
  for (const pkg of packagesOf(project, lockfile, files)) {
    const base = { packageJson: pkg.path, lockfile: lockfile.path, dir: project.dir || 'the repository root', manager: 'yarn' };
    const overridden = (name: string) => pkg.overriddenNames.has(name) || project.rootPackage.overriddenNames.has(name);
    for (const declaredDep of pkg.dependencies.values()) {
      if (declaredDep.kind === 'peerDependencies' || workspaceNames.has(declaredDep.name) || overridden(declaredDep.name)) continue;
      // Yarn 2+ builds a workspace's dependencies as dependencies then devDependencies, so for a package
      // listed in both the devDependencies range is the one it resolves and locks.
      const dep = (berry && pkg.alsoInDevDependencies.get(declaredDep.name)) || declaredDep;
      const range = berry && dep.range.startsWith('npm:') ? dep.range.slice(4) : dep.range;
      if (!isPlainRange(range)) continue;
      const descriptor = berry ? `${dep.name}@npm:${range}` : `${dep.name}@${range}`;
      if (descriptors.has(descriptor)) continue;
      const others = byName.get(dep.name) ?? [];
      const nearest = others[0] ? descriptors.get(others[0]) : undefined;
      report(others.length ? 'differs' : 'missing', dep.loc, {
        label: dep.name,
        ...base,
        evidence: `${declared(dep)} in ${where(dep.loc)}, but ${lockfile.path} has no entry for ${descriptor}` +
          (others.length ? ` (only ${others.slice(0, 3).join(', ')}, ${where(nearest!)})` : ''),
      }, { related: nearest ? [{ ...nearest, message: others.slice(0, 3).join(', ') }] : [], key: `descriptor:${pkg.dir}:${dep.name}` });
    }
    const importer = berry ? contents.importers.get(pkg.dir) : undefined;
    if (!importer) continue;
    for (const locked of importer.dependencies.values()) {
      if (pkg.dependencies.has(locked.name) || overridden(locked.name)) continue;
      report('stale', locked.loc, {
        label: locked.name,
        ...base,
        evidence: `${lockfile.path}'s workspace entry ${importer.key} (${where(importer.loc)}) records ${locked.name} ${locked.specifier} (${where(locked.loc)}), but ${pkg.path} no longer declares it`,
      }, { related: [{ file: pkg.path, line: 1, message: `does not declare ${locked.name}` }], key: `stale:${pkg.dir}:${locked.name}` });
    }
  }
}

/** An install of the project's dependencies found in a Dockerfile or a workflow. */
interface InstallSite {
  text: string;
  loc: Loc;
  /** Fails on an out-of-date lockfile instead of rewriting it. */
  frozen: boolean;
  /** Frozen only because CI sets CI=true (pnpm, Yarn 2+). */
  frozenInCi?: boolean;
}

/**
 * Where the repository installs this project's dependencies with its package manager (see
 * projectInstalls). pnpm and Yarn 2+ install frozen by themselves in CI (GitHub Actions sets
 * CI=true), not in a Docker build.
 */
function installSites(model: DeploymentModel, project: Project, berry: boolean): InstallSite[] {
  const sites: InstallSite[] = [];
  for (const { command, loc, dockerfile } of projectInstalls(model, project)) {
    if (command.manager !== project.manager) continue;
    if (dockerfile) {
      sites.push({ text: command.text, loc, frozen: command.frozen });
      continue;
    }
    const unfrozen = /--no-frozen-lockfile|--frozen-lockfile=false|--no-immutable/.test(command.text);
    const frozenInCi = !command.frozen && !unfrozen && (command.manager === 'pnpm' || (command.manager === 'yarn' && berry));
    sites.push({ text: command.text, loc, frozen: command.frozen || frozenInCi, ...(frozenInCi ? { frozenInCi } : {}) });
  }
  return sites;
}

export default defineRule({
  id: 'repo/lockfile-out-of-sync',
  severity: 'critical',
  title: 'Lockfile does not match package.json',
  messages: {
    differs: {
      message: '{{evidence}}: {{consequence}}',
      fix: 'run `{{manager}} install` in {{dir}} and commit {{lockfile}} together with {{packageJson}}',
    },
    missing: {
      message: '{{evidence}}: {{consequence}}',
      fix: 'run `{{manager}} install` in {{dir}} and commit {{lockfile}} together with {{packageJson}}',
    },
    stale: {
      message: '{{evidence}}: {{consequence}}',
      fix: 'run `{{manager}} install` in {{dir}} so the lockfile drops it, and commit {{lockfile}}',
    },
    noImporter: {
      message: '{{evidence}}: {{consequence}}',
      fix: 'run `{{manager}} install` in {{dir}} and commit {{lockfile}}',
    },
    unreadable: {
      message: '{{lockfile}} cannot be read: {{evidence}}; {{consequence}}',
      fix: 'restore a valid {{lockfile}} (one side of the conflict, or its last good version from git), run `{{manager}} install` in {{dir}} to bring it up to date, and commit the result',
    },
  },
  check(model, report) {
    for (const project of model.projects) {
      if (isSampleOrTestDataPath(project.rootPackage.path)) continue;
      const manager = project.manager;
      if (manager !== 'npm' && manager !== 'pnpm' && manager !== 'yarn') continue;
      for (const lockfile of project.lockfiles.filter((l) => l.manager === manager)) {
        const contents = lockfile.contents();
        if (!contents) continue;
        const berry = manager === 'yarn' && contents.version !== '1';
        const frozen = berry ? 'yarn install --immutable' : FROZEN[manager];
        const sites = installSites(model, project, berry);
        // A lockfile in a folder that no Dockerfile or workflow installs (a GitHub Action that ships
        // its ncc bundle, a tool run from its committed build) fails nothing: it is left alone. The
        // repository root's is what every clone and build platform installs, so it stays, as hygiene.
        if (sites.length === 0 && project.dir !== '') continue;
        // What the mismatch does depends on how the repository installs: the first frozen install
        // fails; if every install found rewrites the lockfile instead, the image silently drifts.
        // Every difference of one lockfile is one finding: one `install` fixes them all.
        const withConsequence: Report = (id, loc, data, options) => {
          const failing = sites.find((s) => s.frozen);
          const rewriting = sites.find((s) => !s.frozen);
          const refuses = id === 'unreadable' ? `\`${frozen}\` fails on it` : `\`${frozen}\` refuses a lockfile out of sync with package.json`;
          let consequence: string;
          let severity: 'critical' | 'high' | 'low' = 'critical';
          const related = [...options.related];
          if (failing) {
            consequence = `${refuses}, so \`${failing.text}\` (${where(failing.loc)}${failing.frozenInCi ? ', frozen by default in CI' : ''}) fails`;
            related.push({ ...failing.loc, message: `\`${failing.text}\` installs from ${lockfile.path}` });
          } else if (rewriting) {
            consequence = id === 'unreadable'
              ? `\`${rewriting.text}\` (${where(rewriting.loc)}) cannot use it, so the image gets dependency versions nobody locked or tested, and \`${frozen}\` fails`
              : `\`${rewriting.text}\` (${where(rewriting.loc)}) rewrites the lockfile instead of failing, so the image gets dependency versions nobody locked or tested, and \`${frozen}\` fails`;
            severity = 'high';
            related.push({ ...rewriting.loc, message: `\`${rewriting.text}\` ignores the out-of-date ${lockfile.path}` });
          } else {
            consequence = `${refuses}; no Dockerfile or workflow of this repository installs from it, so nothing here fails yet, but any CI system or build platform that runs \`${frozen}\` on a clone does`;
            severity = 'low';
          }
          report(id, loc, { ...data, consequence }, {
            ...options,
            related,
            severity,
            group: { key: `lockfile:${lockfile.path}`, label: String(data.label ?? lockfile.path) },
          });
        };
        if (contents.error) {
          withConsequence('unreadable', contents.error.loc, {
            lockfile: lockfile.path,
            evidence: contents.error.message,
            manager,
            dir: project.dir || 'the repository root',
          }, { related: [], key: `unreadable:${lockfile.path}` });
          continue;
        }
        if (manager === 'pnpm') checkPnpm(project, lockfile, contents, model.files, withConsequence);
        else if (manager === 'npm') checkNpm(project, lockfile, contents, model.files, withConsequence);
        else checkYarn(project, lockfile, contents, model.files, withConsequence);
      }
    }
  },
});
