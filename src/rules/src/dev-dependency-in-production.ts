import type { DeploymentModel } from '../../model/index.js';
import type { Dependency, PackageJson } from '../../model/packages.js';
import type { ExternalImport, Service } from '../../model/source.js';
import { defineRule } from '../rule.js';
import { notRunOnEcs } from './_deployment.js';

/** Packages that only exist to describe types: never loaded at runtime even when imported by mistake. */
const TYPE_ONLY_PACKAGES = /^@types\//;

const RUNTIME_KINDS = new Set(['dependencies', 'optionalDependencies', 'peerDependencies']);

/** The declaration that installs a package for the importing package: its own, or its workspace root's. */
function declaration(model: DeploymentModel, ownerPath: string, name: string): { dep?: Dependency; declaredIn?: string } {
  const owner = model.packages.find((p) => p.path === ownerPath);
  if (!owner) return {};
  const own = owner.dependencies.get(name);
  if (own) return { dep: own, declaredIn: owner.path };
  const root = model.packages.find((p) => p.dir === owner.projectDir);
  const hoisted = root?.dependencies.get(name);
  return hoisted ? { dep: hoisted, declaredIn: root!.path } : {};
}

/** The package.json that deploys the service (the one its image installs) and its workspace root. */
function deployingPackages(model: DeploymentModel, service: Service): PackageJson[] {
  const own = service.package;
  if (!own) return [];
  const root = model.packages.find((p) => p.dir === own.projectDir);
  return root && root !== own ? [own, root] : [own];
}

function managerOf(model: DeploymentModel, pkg: PackageJson | undefined): string | undefined {
  return model.projects.find((p) => p.dir === pkg?.projectDir)?.manager;
}

/**
 * The deploying package installs it for production when the importing file belongs to a library of
 * the workspace: as the peer the library asks its consumer for, or (npm and yarn hoist a workspace's
 * dependencies to the root node_modules, where the library's files find them) as any dependency.
 * pnpm links a library's own dependencies only: there a plain dependency of the app does not reach it.
 */
function providedByDeployer(model: DeploymentModel, service: Service, imp: ExternalImport): PackageJson | undefined {
  if (imp.ownerPackage === service.package?.path) return undefined;
  for (const pkg of deployingPackages(model, service)) {
    const dep = pkg.dependencies.get(imp.packageName);
    if (!dep || !RUNTIME_KINDS.has(dep.kind)) continue;
    if (imp.peerOfOwner || managerOf(model, pkg) !== 'pnpm') return pkg;
  }
  return undefined;
}

/** What a finding about this import takes for granted, when the files do not settle it. */
function assumption(model: DeploymentModel, service: Service, imp: ExternalImport): { assumes?: string; severity?: 'low' } {
  // `@Req() req: Request`: swc writes the type into decorator metadata (the import stays), tsc only
  // when the type is a class. Types taken from a framework for a parameter are most often interfaces.
  if (imp.metadataOnly) return { severity: 'low', assumes: `that the build keeps an import used only as the type of a decorated parameter or property (swc writes it into decorator metadata; tsc drops it when the type is an interface)` };
  if (imp.peerOfOwner) return { assumes: `that nothing installs the peer dependency "${imp.packageName}" of ${imp.ownerPackage}: ${service.package?.path ?? service.name} does not declare it` };
  return {};
}

/**
 * Peer dependencies the package manager installs by itself: npm 7 and later always, pnpm when the
 * lockfile says auto-install-peers (its default since pnpm 8).
 */
function peersInstalled(model: DeploymentModel, owner: PackageJson | undefined): boolean {
  const project = model.projects.find((p) => p.dir === owner?.projectDir);
  if (project?.manager === 'npm') return true;
  if (project?.manager === 'pnpm') return project.lockfiles.some((l) => l.manager === 'pnpm' && l.contents()?.autoInstallPeers === true);
  return false;
}

export default defineRule({
  id: 'src/dev-dependency-in-production',
  severity: 'critical',
  title: 'Production code imports a devDependency',
  messages: {
    devDependency: {
      message: '"{{pkg}}" is loaded by the production entry {{entry}} ({{how}}) but is only a devDependency in {{declaredIn}}: a production install (npm ci --omit=dev) leaves it out and the task crashes with ERR_MODULE_NOT_FOUND',
      fix: 'move "{{pkg}}" to dependencies if production needs it; if only development does, load it with a dynamic import() inside a development-only branch (if (process.env.NODE_ENV !== "production") { await import(...) })',
    },
    undeclared: {
      message: '"{{pkg}}" is loaded by the production entry {{entry}} ({{how}}) but no package.json of this package or its workspace root declares it, and no lockfile installs it for production within reach of that file{{lock}}: it only works while something else happens to install it{{manager}}',
      fix: 'add "{{pkg}}" to the dependencies of {{owner}}',
    },
    phantom: {
      message: '"{{pkg}}" is loaded by the production entry {{entry}} ({{how}}) without being a dependency of {{owner}}: it is there only because the lockfile installs it for another package ({{installed}}), so an upgrade of that package can take it away',
      fix: 'add "{{pkg}}" to the dependencies of {{owner}}, at the version the lockfile has now',
    },
  },
  check(model, report, analysis) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend') continue;
      if (notRunOnEcs(model, analysis, service)) continue;
      const entry = service.entries[0]?.file ?? service.dir;
      for (const imp of service.externalImports) {
        if (TYPE_ONLY_PACKAGES.test(imp.packageName)) continue;
        // `try { nr = require('newrelic') } catch { … }`: the code is written to run without it.
        if (imp.optional) continue;
        const site = imp.chain[imp.chain.length - 1];
        const key = `${site.file}:${site.line}:${imp.packageName}`;
        if (seen.has(key)) continue;
        const { dep, declaredIn } = declaration(model, imp.ownerPackage, imp.packageName);
        if (dep && dep.kind !== 'devDependencies') continue;
        if (providedByDeployer(model, service, imp)) continue;
        // A library's peer (its devDependency for its own tests): installed next to it by npm and pnpm.
        if (imp.peerOfOwner && peersInstalled(model, model.packages.find((p) => p.path === imp.ownerPackage))) continue;
        seen.add(key);
        const how = imp.chain.length === 1 ? 'imported directly' : `through ${imp.chain.length - 1} import${imp.chain.length > 2 ? 's' : ''}${imp.viaDynamicImport ? ', one of them a dynamic import()' : ''}`;
        const related = imp.chain.slice(0, -1).map((step) => ({ file: step.file, line: step.line, message: `${step.kind === 'dynamic' ? 'dynamically imports' : step.kind === 'require' ? 'requires' : 'imports'} "${step.specifier}"` }));
        const locked = imp.installedThrough;
        if (locked && !locked.dev) {
          // Installed for production all the same (hoisted from another package's dependencies): it works, by accident.
          related.push({ file: locked.loc.file, line: locked.loc.line, message: `the lockfile installs "${imp.packageName}" here (${locked.entry})` });
          report('phantom', { file: site.file, line: site.line }, { pkg: imp.packageName, entry, how, owner: imp.ownerPackage || service.dir, installed: `${locked.entry} in ${locked.lockfile}` }, { related, key: imp.packageName, severity: 'low' });
          continue;
        }
        if (dep) {
          related.push({ file: dep.loc.file, line: dep.loc.line, message: `"${imp.packageName}" is declared in devDependencies` });
          report('devDependency', { file: site.file, line: site.line }, { pkg: imp.packageName, entry, how, declaredIn: declaredIn ?? imp.ownerPackage }, {
            related,
            key: `${imp.packageName}`,
            // Loaded only when a dynamic import() runs: the crash waits for that code path.
            ...(imp.viaDynamicImport ? { severity: 'high' as const } : {}),
            ...assumption(model, service, imp),
          });
        } else if (imp.ownerPackage) {
          // pnpm installs only what a package declares (no hoisting): there the import fails for sure.
          const owner = model.packages.find((p) => p.path === imp.ownerPackage);
          const manager = managerOf(model, owner);
          report('undeclared', { file: site.file, line: site.line }, { pkg: imp.packageName, entry, how, owner: imp.ownerPackage, manager: manager === 'pnpm' ? ' (pnpm does not hoist: it is not there at all)' : '', lock: locked?.dev ? ` (${locked.lockfile} has ${locked.entry} for development only)` : '' }, { related, key: `${imp.packageName}`, severity: manager === 'pnpm' ? 'high' : 'medium', ...assumption(model, service, imp) });
        }
      }
    }
  },
});
