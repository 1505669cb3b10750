import { posix } from 'node:path';
import type { CopyInstruction, DockerIgnore, Dockerfile } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { defineRule, type RelatedLocation, type Severity } from '../rule.js';
import { classifyInstall } from '../../model/shell.js';
import { branchArgv, buildFacts, contextCopies, contextPath, isGlob, isLiteralSource, stageChain, type BuildContext } from './_build.js';
import { imageAnalysis, shippedStages } from './_image.js';
import { dockerignoreFor } from '../../model/docker.js';

/** Files a developer keeps locally (and git ignores) that must never be sent to the build. */
const LOCAL_ENV = /^\.env(\..+)?$/;
const ENV_TEMPLATES = /\.(example|sample|template|dist|defaults?)$/;
/** Env file names tools load (dotenv, Next.js, Vite): the ones a project's .gitignore keeps out of git are the ones developers have locally. */
const ENV_CONVENTIONS = ['.env', '.env.local', '.env.development', '.env.development.local', '.env.production', '.env.production.local'];

/** What a folder copy can carry into the image, and the .dockerignore pattern that keeps it out. */
interface Risk {
  /** Path in the context, for messages. */
  entry: string;
  pattern: string;
  /**
   * git: history; env: secrets; workspace-modules: a workspace member's node_modules (symlinks into
   * the host's store that break in the image); modules-over-install: host node_modules copied over
   * the ones an earlier install built for the image's platform; modules: host node_modules that a
   * later install in the image replaces or merges; cache: tool caches (size only).
   */
  kind: 'git' | 'env' | 'workspace-modules' | 'modules-over-install' | 'modules' | 'cache';
  /** The install whose node_modules the host's land on top of. */
  over?: Loc;
}

/**
 * Folder copies of the context whose content reaches the final image (directly or through COPY
 * --from of what they copied), and the node_modules folders the image takes from the context
 * (`COPY --from=builder /app/node_modules` after the builder's `COPY . .`): the host's own, when it
 * has one and nothing excludes it.
 */
function folderCopiesReachingImage(model: DeploymentModel, dockerfile: Dockerfile, context: BuildContext): { folders: string[]; modules: string[]; copies: CopyInstruction[] } {
  const final = dockerfile.stages[dockerfile.stages.length - 1];
  if (!final) return { folders: [], modules: [], copies: [] };
  const analysis = imageAnalysis(model, dockerfile, context.dir);
  const isFolder = (p: string) => p === context.dir || model.files.isDir(p);
  const raw = [...new Set(analysis.reposUnder(final).filter((p) => !isGlob(p)))];
  const reached = raw.filter(isFolder);
  const modules = raw.filter((p) => !isFolder(p) && posix.basename(p) === 'node_modules');
  // The widest folders: a copy of the context root covers everything under it.
  const folders = reached.filter((p) => !reached.some((q) => q !== p && (q === context.dir || p.startsWith(q + '/'))));
  const copies: CopyInstruction[] = [];
  for (const stage of buildFacts(model, dockerfile).reachable) {
    for (const copy of contextCopies(stage)) {
      const covers = copy.sources.some((s) => {
        if (!isLiteralSource(s.value) || isGlob(s.value)) return false;
        const path = contextPath(context.dir, s.value);
        return path !== undefined && isFolder(path) && [...reached, ...modules].some((r) => path === '' || r === path || r.startsWith(path + '/'));
      });
      if (covers && !copies.includes(copy)) copies.push(copy);
    }
  }
  // A builder whose output ships (`COPY --from=builder /app/.next ./.next`) and that copies the
  // context over its own install: built from a working tree (a script or by hand, not a CI
  // checkout), the host's node_modules replace the installed ones and the build runs with them.
  if (!dockerfile.contexts.some((c) => c.via === 'workflow')) {
    const finalChain = new Set(stageChain(dockerfile, final));
    for (const stage of shippedStages(model, dockerfile)) {
      if (finalChain.has(stage)) continue;
      for (const copy of contextCopies(stage)) {
        for (const source of copy.sources) {
          const path = isLiteralSource(source.value) && !isGlob(source.value) ? contextPath(context.dir, source.value) : undefined;
          if (path === undefined || !isFolder(path) || !model.packages.some((p) => p.dir === path)) continue;
          if (!installUnderCopy(dockerfile, context, [copy], path)) continue;
          const hostModules = path ? `${path}/node_modules` : 'node_modules';
          if (!modules.includes(hostModules)) modules.push(hostModules);
          if (!copies.includes(copy)) copies.push(copy);
        }
      }
    }
  }
  return { folders, modules, copies };
}

/** The install that a copy of the folder `dir` lands on top of (in its stage, or a stage it is built FROM), if any. */
function installUnderCopy(dockerfile: Dockerfile, context: BuildContext, copies: CopyInstruction[], dir: string): Loc | undefined {
  for (const copy of copies) {
    const carries = copy.sources.some((s) => {
      const path = contextPath(context.dir, s.value);
      return path !== undefined && (path === '' || path === dir || dir.startsWith(path + '/'));
    });
    const stage = carries ? dockerfile.stages.find((s) => s.copies.includes(copy)) : undefined;
    if (!stage) continue;
    for (const s of stageChain(dockerfile, stage)) {
      for (const run of s.runs) {
        if (s === stage && run.loc.line > copy.loc.line) continue;
        const install = run.commands.find((c) => {
          const i = classifyInstall(branchArgv(c.argv));
          return i !== undefined && !i.global;
        });
        if (install) return install.loc;
      }
    }
  }
  return undefined;
}

/** What the reaching folders would carry that `ignore` (undefined: no .dockerignore) does not exclude. */
function risksOf(model: DeploymentModel, dockerfile: Dockerfile, context: BuildContext, folders: string[], hostModules: string[], copies: CopyInstruction[], ignore: DockerIgnore | undefined): Risk[] {
  const rel = (p: string) => (context.dir ? p.slice(context.dir.length + 1) : p);
  const within = (p: string) => folders.some((f) => f === '' || p === f || p.startsWith(f + '/'));
  const excluded = (p: string) => ignore?.ignores(rel(p)) ?? false;
  const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  const risks: Risk[] = [];
  const add = (risk: Risk) => {
    if (!risks.some((r) => r.entry === risk.entry)) risks.push(risk);
  };
  const rootCopied = folders.includes(context.dir);
  if (rootCopied && context.dir === '' && model.git && !excluded('.git')) add({ entry: '.git', pattern: '.git', kind: 'git' });
  const packageDirs = model.packages.map((p) => p.dir).filter((d) => (context.dir === '' || d === context.dir || d.startsWith(context.dir + '/')) && within(d));
  const moduleDirs = [...new Set([...packageDirs, ...hostModules.map((m) => (posix.dirname(m) === '.' ? '' : posix.dirname(m)))])];
  for (const dir of moduleDirs) {
    // `node_modules/*` and `node_modules` both keep the folder's content out: probe a file inside it.
    const modules = join(dir, 'node_modules');
    if (excluded(modules) || excluded(`${modules}/a/index.js`)) continue;
    const member = model.projects.some((p) => p.members.some((m) => m.dir === dir) && (p.members.length > 1 || p.pnpmWorkspace !== undefined));
    const install = installUnderCopy(dockerfile, context, copies, dir);
    const kind: Risk['kind'] = member ? 'workspace-modules' : install ? 'modules-over-install' : 'modules';
    const entry = rel(modules) || 'node_modules';
    add({ entry, pattern: dir === context.dir ? 'node_modules' : '**/node_modules', kind, over: install });
  }
  // Env files: the ones in the tree, and the names git ignores where developers keep them.
  for (const path of model.files.paths) {
    const name = posix.basename(path);
    if (!LOCAL_ENV.test(name) || ENV_TEMPLATES.test(name) || !within(path) || excluded(path)) continue;
    add({ entry: rel(path), pattern: '**/.env*', kind: 'env' });
  }
  // Developers keep them at the root of a package (where dotenv, Next.js and Vite look), not in src/ or public/.
  for (const dir of new Set([...(rootCopied ? [context.dir] : []), ...packageDirs])) {
    for (const name of ENV_CONVENTIONS) {
      const path = join(dir, name);
      if (model.files.isGitignored(path) && !excluded(path)) add({ entry: rel(path), pattern: '**/.env*', kind: 'env' });
    }
  }
  for (const cache of dockerfile.buildInputs.cacheDirs) {
    if ((context.dir === '' || cache.startsWith(context.dir + '/')) && within(cache) && !excluded(cache)) add({ entry: rel(cache), pattern: `**/${posix.basename(cache)}`, kind: 'cache' });
  }
  return risks;
}

/**
 * History and secrets leak, and host node_modules that replace what the image installed (native
 * modules built for the host, workspace symlinks into the host's store) break the image: medium.
 * Host node_modules that a later install in the image replaces, and caches, only cost size and time: low.
 */
function severityOf(risks: Risk[]): Severity {
  return risks.some((r) => r.kind !== 'modules' && r.kind !== 'cache') ? 'medium' : 'low';
}

function listed(risks: Risk[]): string {
  const entries = risks.map((r) => r.entry);
  const text = entries.length > 5 ? `${entries.slice(0, 5).join(', ')} and ${entries.length - 5} more` : entries.join(', ');
  const over = [...new Set(risks.map((r) => r.over?.line).filter((l): l is number => l !== undefined))];
  return over.length ? `${text} (the node_modules land over what the install at line ${over.join(', ')} built)` : text;
}

export default defineRule({
  id: 'docker/dockerignore',
  severity: 'medium',
  title: '.dockerignore is missing or lets local files into the image',
  messages: {
    missing: {
      message: 'no .dockerignore for the build context "{{context}}", and the folder copies ({{copy}}){{also}} take everything in them: {{entries}} end up in the image',
      fix: 'add {{where}} with at least: {{patterns}}',
    },
    incomplete: {
      message: '{{path}} does not exclude {{entries}}, which the folder copies of {{dockerfile}} ({{copy}}) put into the final image',
      fix: 'add {{patterns}} to {{path}} (Docker matches "node_modules" only at the context root; "**/node_modules" matches every level)',
    },
  },
  check(model, report, analysis) {
    const reported = new Set<string>();
    // One finding per context without a .dockerignore: one file fixes every Dockerfile built from it.
    const missingByContext = new Map<string, { loc: Loc; data: Record<string, string>; related: RelatedLocation[]; others: Loc[]; severity: Severity }>();
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      for (const context of facts.contexts) {
        // Only a folder copy whose content reaches the final stage (COPY . . there, or a builder
        // copied wholesale) carries the clutter into the image; a builder the final stage takes
        // dist/ or src/ from sends it no further.
        const { folders, modules, copies } = folderCopiesReachingImage(model, dockerfile, context);
        if ((folders.length === 0 && modules.length === 0) || copies.length === 0) continue;
        const finalChain = stageChain(dockerfile, dockerfile.stages[dockerfile.stages.length - 1]);
        const copyText = copies.slice(0, 3).map((copy) => {
          const stage = dockerfile.stages.find((s) => s.copies.includes(copy));
          const where = stage && !finalChain.includes(stage) ? ` in stage ${stage.name?.value ?? stage.index}, whose output the final stage copies` : '';
          return `line ${copy.loc.line}: ${copy.keyword} ${copy.sources.map((s) => s.value).join(' ')} ${copy.dest.value}${where}`;
        }).join('; ');
        const ignore = dockerignoreFor(model, dockerfile, context.dir);
        const related = context.ref.source ? [{ ...context.ref.source, message: `builds with context "${context.dir || '.'}"` }] : [];
        const risks = risksOf(model, dockerfile, context, folders, modules, copies, ignore);
        if (risks.length === 0) continue;
        const patterns = [...new Set(risks.map((r) => r.pattern))];
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
              entries: listed(risks),
              where,
              patterns: [...patterns, ...(patterns.includes('**/.env*') ? ['!**/.env.example'] : [])].join(', '),
            },
            related,
            others: [],
            severity: severityOf(risks),
          });
          continue;
        }
        if (reported.has(ignore.path)) continue;
        reported.add(ignore.path);
        const firstLine = ignore.patterns[0]?.loc ?? { file: ignore.path, line: 1 };
        report('incomplete', firstLine, {
          path: ignore.path,
          entries: listed(risks),
          dockerfile: dockerfile.path,
          copy: copyText,
          patterns: patterns.join(', '),
        }, { severity: severityOf(risks), related: [...related, { ...copies[0].loc, message: 'copies the folder into the image' }], key: `incomplete ${ignore.path}` });
      }
    }
    for (const [dir, missing] of missingByContext) {
      const others = missing.others.slice(0, 5).map((o) => ({ ...o, message: `${o.file} is built from the same context` }));
      report('missing', missing.loc, {
        ...missing.data,
        also: missing.others.length ? `, like those of ${missing.others.length} other Dockerfile${missing.others.length > 1 ? 's' : ''},` : '',
      }, { related: [...missing.related, ...others], key: `missing ${dir}`, severity: missing.severity });
    }
  },
});
