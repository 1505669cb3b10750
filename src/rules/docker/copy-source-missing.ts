import { parseDockerignore, pathsUnder } from '../../discover/dockerfiles.js';
import type { DockerIgnore } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts, contextCopies, contextPath, isGlob, isLiteralSource, type BuildContext } from './_build.js';
import { dockerignoreFor } from '../../model/docker.js';

/** The .dockerignore line that excludes a path (the last matching pattern decides, as in Docker). */
function excludingPattern(ignore: DockerIgnore, pathInContext: string): RelatedLocation {
  let hit = ignore.patterns[0];
  for (const pattern of ignore.patterns) {
    if (pattern.value.startsWith('!')) continue;
    if (parseDockerignore(pattern.value, ignore.path).ignores(pathInContext)) hit = pattern;
  }
  return { ...(hit?.loc ?? { file: ignore.path, line: 1 }), message: `excluded by "${hit?.value ?? '.dockerignore'}"` };
}

/** A folder whose every file is excluded sends nothing; one file kept keeps the folder. */
function folderExcluded(model: DeploymentModel, ignore: DockerIgnore, repoDir: string, contextDir: string): boolean {
  const inContext = (p: string) => (contextDir ? p.slice(contextDir.length + 1) : p);
  if (!ignore.ignores(inContext(repoDir))) return false;
  return !pathsUnder(model.files.paths, repoDir).some((file) => !ignore.ignores(inContext(file)));
}

/** The context path a bind mount reads: type=bind (the default type), no from=, a source= other than the context root. */
function bindSource(mount: string): string | undefined {
  const options = new Map(mount.split(',').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? [part, 'true'] as const : [part.slice(0, eq), part.slice(eq + 1)] as const;
  }));
  if ((options.get('type') ?? 'bind') !== 'bind' || options.has('from')) return undefined;
  const source = options.get('source') ?? options.get('src');
  return source && source !== '.' && source !== '/' ? source : undefined;
}

function contextNote(context: BuildContext): string {
  const dir = context.dir || '.';
  return context.assumed ? `the build context (assumed "${dir}": no workflow or compose file names one)` : `the build context "${dir}"`;
}

export default defineRule({
  id: 'docker/copy-source-missing',
  severity: 'critical',
  title: 'COPY/ADD source is not in the build context',
  messages: {
    missing: {
      message: '{{keyword}} {{source}} {{verb}} {{path}}, which does not exist in {{context}}: docker build fails here',
      fix: 'fix the path (it is relative to the build context, not to the Dockerfile), or build with the context that holds it',
    },
    outside: {
      message: '{{keyword}} {{source}} points outside {{context}}: Docker cannot copy files from outside the context and the build fails',
      fix: 'build from a folder that contains both (e.g. the repository root: docker build -f {{dockerfile}} .) and copy the path relative to it',
    },
    ignored: {
      message: '{{keyword}} {{source}} {{verb}} {{path}}, but {{ignore}} excludes it from {{context}}: docker build fails with "not found"',
      fix: 'stop excluding it in {{ignore}} (add "!{{pattern}}" after the excluding line) or do not copy it',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      // `pnpm-context -- apps/api/Dockerfile | docker build -`: the context is a tarball a script
      // assembles, so its files cannot be checked against the repository.
      if (analysis.scope.generatedContext(dockerfile)) continue;
      const facts = buildFacts(model, dockerfile);
      for (const context of facts.contexts) {
        const ignore = dockerignoreFor(model, dockerfile, context.dir);
        // A context nothing names is a guess (the Dockerfile's folder, or the folder its COPYs fit): medium, and the message says so.
        const severity = context.assumed ? 'medium' : undefined;
        const related: RelatedLocation[] = context.ref.source ? [{ ...context.ref.source, message: `builds ${dockerfile.path} with context "${context.dir || '.'}"` }] : [];
        for (const stage of facts.reachable) {
          // RUN --mount=type=bind,source=package-lock.json,… reads from the context like a COPY.
          const mounts = stage.runs.flatMap((run) => run.mounts.map(bindSource).filter((m): m is string => m !== undefined).map((value) => ({
            keyword: 'RUN --mount', sources: [{ value, loc: run.loc }],
          })));
          for (const copy of [...contextCopies(stage), ...mounts]) {
            for (const source of copy.sources) {
              // Variables, URLs and globs (BuildKit accepts a glob that matches nothing) cannot be judged.
              if (!isLiteralSource(source.value) || isGlob(source.value)) continue;
              const data = { keyword: copy.keyword, verb: copy.keyword === 'RUN --mount' ? 'mounts' : 'copies', source: source.value, context: contextNote(context), dockerfile: dockerfile.path };
              const path = contextPath(context.dir, source.value);
              if (path === undefined) {
                report('outside', source.loc, data, { severity, related, key: `${context.dir}|${source.value}` });
                continue;
              }
              const inContext = context.dir ? path.slice(context.dir.length + 1) : path;
              if (model.files.exists(path)) {
                if (!ignore || path === context.dir) continue;
                const excluded = model.files.isDir(path) ? folderExcluded(model, ignore, path, context.dir) : ignore.ignores(inContext);
                if (!excluded) continue;
                const hit = excludingPattern(ignore, inContext);
                report('ignored', source.loc, { ...data, path, ignore: ignore.path, pattern: inContext }, {
                  severity, related: [hit, ...related], key: `${context.dir}|${source.value}`,
                });
                continue;
              }
              // Git-ignored paths (dist/, generated files) may be produced by a CI step before the build.
              if (model.files.isGitignored(path)) continue;
              report('missing', source.loc, { ...data, path }, { severity, related, key: `${context.dir}|${source.value}` });
            }
          }
        }
      }
    }
  },
});
