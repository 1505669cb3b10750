import { posix } from 'node:path';
import type { Dockerfile } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { PackageJson } from '../../model/packages.js';
import { effectiveArgv } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import {buildFacts, stageCommands } from './_build.js';
import { imageAnalysis } from './_image.js';

/** Bundlers inline workspace code into the output: then the package folder is not needed at run time. */
const BUNDLERS = /\b(esbuild|ncc|webpack|rollup|tsup|parcel|bun build|vite build|rspack)\b/;

function related(a: string, b: string): boolean {
  return a === b || a === '' || b.startsWith(a + '/') || a.startsWith(b + '/');
}

/**
 * How the service's production code loads a workspace package, from its source graph: 'root' when
 * it loads the package's entry (a bare `import '@acme/shared'`), 'deep' when it loads only files
 * below it (`@acme/shared/dto/pagination.dto`, which Node resolves by path, no package.json
 * needed), 'none' when it never loads it. Undefined without a source graph for the image.
 */
function importStyle(model: DeploymentModel, dockerfile: Dockerfile, target: PackageJson): 'root' | 'deep' | 'none' | undefined {
  const services = model.services.filter((s) => s.dockerfiles.includes(dockerfile) && s.files.length > 0);
  if (services.length === 0) return undefined;
  const name = target.name?.value;
  if (services.some((s) => s.externalImports.some((i) => i.packageName === name))) return 'root';
  const files = services.flatMap((s) => s.files).filter((f) => f.startsWith(target.dir + '/'));
  if (files.length === 0) return 'none';
  const stem = (p: string) => p.replace(/\.(d\.)?[cm]?[jt]sx?$/, '');
  const main = target.main ? stem(posix.join(target.dir, target.main.value)) : undefined;
  // The entry as the graph sees it: main, its source twin (dist/index.js ↔ src/index.ts), or index at the root or in src/.
  const entries = new Set([main, main?.replace(/\/(dist|build|lib|out)\//, '/src/'), `${target.dir}/index`, `${target.dir}/src/index`].filter((e): e is string => !!e));
  return files.some((f) => entries.has(stem(f))) ? 'root' : 'deep';
}

export default defineRule({
  id: 'docker/workspace-package-missing',
  severity: 'critical',
  title: 'A workspace package the service depends on is missing from the image',
  messages: {
    missing: {
      message: '{{package}} depends on {{dependency}} ({{range}}), but the final stage never receives {{dir}}/: at run time the import of {{dependency}} fails',
      fix: 'copy {{dir}} (its package.json and built output) into the final stage next to the service, or produce a self-contained folder with "pnpm deploy --filter {{packageName}} --prod /out" and copy that',
    },
    noManifest: {
      message: '{{package}} depends on {{dependency}}, but the final stage gets only parts of {{dir}}/ ({{parts}}) and not its package.json: Node cannot resolve {{dependency}} without it and the import fails at start',
      fix: 'copy {{dir}}/package.json into the final stage next to its built output (COPY --from=build /app/{{dir}}/package.json ./{{dir}}/)',
    },
    notBuilt: {
      message: '{{package}} depends on {{dependency}}, whose entry {{main}} ({{mainPath}} in the image) is never built: the image has {{dir}}/ without its compiled output, so importing {{dependency}} fails at start',
      fix: 'build the dependency before or with the service (pnpm --filter {{packageName}}... build, or pnpm --filter {{dependency}} build first) in the stage whose output reaches the final image',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      const service = facts.packages[0];
      const project = facts.project;
      const final = dockerfile.stages[dockerfile.stages.length - 1];
      if (!service || !project || !final || final.from.unresolved) continue;
      // pnpm deploy copies workspace dependencies into the deployed folder's node_modules.
      const commands = facts.reachable.flatMap(stageCommands);
      if (commands.some((c) => effectiveArgv(c.argv)[0] === 'pnpm' && c.argv.includes('deploy'))) continue;
      const build = [...service.scripts.values()].map((s) => s.value).join(' ');
      if (BUNDLERS.test(build) || commands.some((c) => BUNDLERS.test(c.argv.join(' ')))) continue;
      // Vite's SSR build with ssr.noExternal inlines those dependencies into the server bundle.
      const viteInlined = dockerfile.buildInputs.viteSsrNoExternal?.get(service.dir);
      const inlined = (name: string) => viteInlined !== undefined && (viteInlined.all || viteInlined.names.includes(name) || viteInlined.patterns.some((p) => {
        try {
          return new RegExp(p).test(name);
        } catch {
          return false;
        }
      }));
      // Next.js standalone output traces every file the server imports, workspace packages included, into .next/standalone.
      if (final.copies.some((c) => c.sources.some((src) => /(^|\/)\.next\/standalone\/?$/.test(src.value)))) continue;
      const members = new Map<string, PackageJson>();
      for (const pkg of [project.rootPackage, ...project.members]) if (pkg.name) members.set(pkg.name.value, pkg);
      const workspaceDeps = [...service.dependencies.values()].filter((d) =>
        d.kind === 'dependencies' && members.has(d.name) && members.get(d.name) !== service && !inlined(d.name) &&
        (d.range.startsWith('workspace:') || project.manager !== 'pnpm'));
      if (workspaceDeps.length === 0) continue;
      for (const context of facts.contexts) {
        const analysis = imageAnalysis(model, dockerfile, context.dir);
        const reached = analysis.reposUnder(final);
        // Without the service itself in the image there is nothing to judge.
        if (!reached.some((r) => related(r, service.dir))) continue;
        for (const dep of workspaceDeps) {
          const target = members.get(dep.name)!;
          const style = importStyle(model, dockerfile, target);
          // Declared but never loaded by the production code: nothing fails at run time.
          if (style === 'none') continue;
          const manifest = `${target.dir}/package.json`;
          const whole = reached.some((r) => r === '' || r === target.dir || target.dir.startsWith(r + '/') || r === manifest);
          const parts = reached.filter((r) => r.startsWith(target.dir + '/'));
          if (!whole && parts.length > 0) {
            // Only deep imports: Node finds node_modules/@acme/shared/dto/x.js by path, without the manifest.
            if (style === 'deep') continue;
            report('noManifest', final.from.loc, {
              package: service.name?.value ?? service.path,
              dependency: dep.name,
              dir: target.dir,
              parts: [...new Set(parts)].slice(0, 3).map((p) => p.slice(target.dir.length + 1) + '/').join(', '),
            }, {
              related: [
                { ...dep.loc, message: `"${dep.name}": "${dep.range}"` },
                { file: target.path, line: 1, message: 'never copied into the final stage' },
              ],
              key: `${context.dir}|${dep.name}|manifest`,
            });
            continue;
          }
          if (reached.some((r) => related(r, target.dir))) {
            // Present, but is its entry (main) there? A workspace library usually points main at dist/.
            const main = target.main?.value;
            const imageDir = main ? analysis.imageDirOf(final, target.dir) : undefined;
            if (main && imageDir !== undefined) {
              const mainPath = posix.resolve(imageDir, main);
              const candidates = posix.extname(mainPath) ? [mainPath] : [mainPath, `${mainPath}.js`, `${mainPath}/index.js`];
              const presence = candidates.map((c) => analysis.has(final, c));
              if (!presence.includes('yes') && !presence.includes('unknown')) {
                report('notBuilt', final.from.loc, {
                  package: service.name?.value ?? service.path,
                  packageName: service.name?.value ?? posix.basename(service.dir),
                  dependency: dep.name,
                  main,
                  mainPath,
                  dir: target.dir || '.',
                }, {
                  related: [
                    { ...target.main!.loc, message: `"main": "${main}"` },
                    { ...dep.loc, message: `"${dep.name}": "${dep.range}"` },
                  ],
                  key: `${context.dir}|${dep.name}|main`,
                });
              }
            }
            continue;
          }
          report('missing', final.from.loc, {
            package: service.name?.value ?? service.path,
            packageName: service.name?.value ?? posix.basename(service.dir),
            dependency: dep.name,
            range: dep.range,
            dir: target.dir || '.',
          }, {
            related: [
              { ...dep.loc, message: `"${dep.name}": "${dep.range}"` },
              { file: target.path, line: 1, message: `${dep.name} lives in ${target.dir}/` },
            ],
            key: `${context.dir}|${dep.name}`,
          });
        }
        break;
      }
    }
  },
});
