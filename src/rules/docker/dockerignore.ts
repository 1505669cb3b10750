import { posix } from 'node:path';
import type { DockerIgnore } from '../../model/docker.js';
import type { Loc } from '../../model/location.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts, contextCopies, contextPath, isGlob, isLiteralSource } from './_build.js';
import { dockerignoreFor } from '../../model/docker.js';

/** Files a developer keeps locally (and git ignores) that must never be sent to the build. */
const LOCAL_ENV = /^\.env(\..+)?$/;
const ENV_TEMPLATES = /\.(example|sample|template|dist|defaults?)$/;

export default defineRule({
  id: 'docker/dockerignore',
  severity: 'medium',
  title: '.dockerignore is missing or lets local files into the image',
  messages: {
    missing: {
      message: 'no .dockerignore for the build context "{{context}}", and the folder copies ({{copy}}){{also}} take everything in it: local node_modules, .git, .env files{{caches}} go into the image',
      fix: 'add {{where}} with at least: **/node_modules, .git, **/.env*, !**/.env.example, **/coverage, **/dist (when built inside the image){{cacheHint}}',
    },
    incomplete: {
      message: '{{path}} does not exclude {{entries}}, which the folder copies ({{copy}}) put into the image',
      fix: 'add {{patterns}} to {{path}} (Docker matches "node_modules" only at the context root; "**/node_modules" matches every level)',
    },
  },
  check(model, report, analysis) {
    const reported = new Set<string>();
    // One finding per context without a .dockerignore: one file fixes every Dockerfile built from it.
    const missingByContext = new Map<string, { loc: Loc; data: Record<string, string>; related: RelatedLocation[]; others: Loc[] }>();
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      for (const context of facts.contexts) {
        // Only a folder copy (COPY . ., COPY services/api ./) carries the clutter into the image.
        const folderCopies = facts.reachable.flatMap((s) => contextCopies(s)).flatMap((copy) =>
          copy.sources
            .filter((s) => isLiteralSource(s.value) && !isGlob(s.value))
            .map((s) => ({ copy, path: contextPath(context.dir, s.value) }))
            .filter((x): x is { copy: typeof x.copy; path: string } => x.path !== undefined && (x.path === context.dir || model.files.isDir(x.path))),
        );
        if (folderCopies.length === 0) continue;
        const describe = (copy: (typeof folderCopies)[number]['copy']) => `line ${copy.loc.line}: ${copy.keyword} ${copy.sources.map((s) => s.value).join(' ')} ${copy.dest.value}`;
        const copyText = [...new Set(folderCopies.map((f) => f.copy))].slice(0, 3).map(describe).join('; ');
        const rel = (p: string) => (context.dir ? p.slice(context.dir.length + 1) : p);
        const inCopied = (p: string) => folderCopies.some((f) => f.path === '' || p === f.path || p.startsWith(f.path + '/'));
        const caches = dockerfile.buildInputs.cacheDirs.filter((c) => (context.dir === '' || c.startsWith(context.dir + '/')) && inCopied(c));
        const ignore: DockerIgnore | undefined = dockerignoreFor(model, dockerfile, context.dir);
        const related = context.ref.source ? [{ ...context.ref.source, message: `builds with context "${context.dir || '.'}"` }] : [];
        if (!ignore) {
          const loc = dockerfile.stages[0]?.from.loc ?? { file: dockerfile.path, line: 1 };
          const known = missingByContext.get(context.dir);
          if (known) {
            if (known.loc.file !== loc.file && !known.others.some((o) => o.file === loc.file)) known.others.push(loc);
            continue;
          }
          const where = context.dir ? `${context.dir}/.dockerignore` : '.dockerignore';
          missingByContext.set(context.dir, {
            loc,
            data: {
              context: context.dir || '.',
              copy: copyText,
              caches: caches.length ? `, ${caches.map(rel).join(', ')}` : '',
              where,
              cacheHint: caches.length ? `, ${[...new Set(caches.map((c) => `**/${posix.basename(c)}`))].join(', ')}` : '',
            },
            related,
            others: [],
          });
          continue;
        }
        if (reported.has(ignore.path)) continue;
        reported.add(ignore.path);
        const missing: { entry: string; pattern: string }[] = [];
        const need = (entry: string, probe: string, pattern: string) => {
          if (!ignore.ignores(probe) && !missing.some((m) => m.entry === entry)) missing.push({ entry, pattern });
        };
        need('node_modules', 'node_modules', '**/node_modules');
        // Nested packages have their own node_modules: a root-only "node_modules" line misses them.
        for (const pkg of model.packages) {
          if (pkg.dir === context.dir || (context.dir && !pkg.dir.startsWith(context.dir + '/')) || !inCopied(pkg.dir)) continue;
          need(`${rel(pkg.dir)}/node_modules`, `${rel(pkg.dir)}/node_modules`, '**/node_modules');
        }
        if (context.dir === '' && model.git) need('.git', '.git', '.git');
        // Env files present in the tree are named; a developer's untracked .env is the general case.
        for (const path of model.files.paths) {
          const name = posix.basename(path);
          if (!LOCAL_ENV.test(name) || ENV_TEMPLATES.test(name)) continue;
          if (context.dir && !path.startsWith(context.dir + '/')) continue;
          if (inCopied(path) && !ignore.ignores(rel(path))) missing.push({ entry: rel(path), pattern: '**/.env*' });
        }
        need('.env', '.env', '**/.env*');
        for (const cache of caches) need(rel(cache), rel(cache), `**/${posix.basename(cache)}`);
        if (missing.length === 0) continue;
        const serious = missing.some((m) => !caches.some((c) => rel(c) === m.entry));
        const firstLine = ignore.patterns[0]?.loc ?? { file: ignore.path, line: 1 };
        report('incomplete', firstLine, {
          path: ignore.path,
          entries: missing.length > 5 ? `${missing.slice(0, 5).map((m) => m.entry).join(', ')} and ${missing.length - 5} more` : missing.map((m) => m.entry).join(', '),
          copy: copyText,
          patterns: [...new Set(missing.map((m) => m.pattern))].join(', '),
        }, { severity: serious ? 'medium' : 'low', related, key: `incomplete ${ignore.path}` });
      }
    }
    for (const [dir, missing] of missingByContext) {
      const others = missing.others.slice(0, 5).map((o) => ({ ...o, message: `${o.file} is built from the same context` }));
      report('missing', missing.loc, {
        ...missing.data,
        also: missing.others.length ? `, like those of ${missing.others.length} other Dockerfile${missing.others.length > 1 ? 's' : ''},` : '',
      }, { related: [...missing.related, ...others], key: `missing ${dir}` });
    }
  },
});
