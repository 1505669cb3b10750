import type { DeploymentModel } from '../../model/index.js';
import type { Dependency } from '../../model/packages.js';
import { defineRule } from '../rule.js';

/** Packages that only exist to describe types: never loaded at runtime even when imported by mistake. */
const TYPE_ONLY_PACKAGES = /^@types\//;

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
      message: '"{{pkg}}" is loaded by the production entry {{entry}} ({{how}}) but no package.json of this package or its workspace root declares it: it only works while something else happens to install it{{manager}}',
      fix: 'add "{{pkg}}" to the dependencies of {{owner}}',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend') continue;
      const entry = service.entries[0]?.file ?? service.dir;
      for (const imp of service.externalImports) {
        if (TYPE_ONLY_PACKAGES.test(imp.packageName)) continue;
        const site = imp.chain[imp.chain.length - 1];
        const key = `${site.file}:${site.line}:${imp.packageName}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const { dep, declaredIn } = declaration(model, imp.ownerPackage, imp.packageName);
        const how = imp.chain.length === 1 ? 'imported directly' : `through ${imp.chain.length - 1} import${imp.chain.length > 2 ? 's' : ''}${imp.viaDynamicImport ? ', one of them a dynamic import()' : ''}`;
        const related = imp.chain.slice(0, -1).map((step) => ({ file: step.file, line: step.line, message: `${step.kind === 'dynamic' ? 'dynamically imports' : step.kind === 'require' ? 'requires' : 'imports'} "${step.specifier}"` }));
        if (dep && dep.kind !== 'devDependencies') continue;
        if (dep) {
          related.push({ file: dep.loc.file, line: dep.loc.line, message: `"${imp.packageName}" is declared in devDependencies` });
          report('devDependency', { file: site.file, line: site.line }, { pkg: imp.packageName, entry, how, declaredIn: declaredIn ?? imp.ownerPackage }, {
            related,
            key: `${imp.packageName}`,
            // Loaded only when a dynamic import() runs: the crash waits for that code path.
            ...(imp.viaDynamicImport ? { severity: 'high' as const } : {}),
          });
        } else if (imp.ownerPackage) {
          // pnpm installs only what a package declares (no hoisting): there the import fails for sure.
          const owner = model.packages.find((p) => p.path === imp.ownerPackage);
          const manager = model.projects.find((p) => p.dir === owner?.projectDir)?.manager;
          report('undeclared', { file: site.file, line: site.line }, { pkg: imp.packageName, entry, how, owner: imp.ownerPackage, manager: manager === 'pnpm' ? ' (pnpm does not hoist: it is not there at all)' : '' }, { related, key: `${imp.packageName}`, severity: manager === 'pnpm' ? 'high' : 'medium' });
        }
      }
    }
  },
});
