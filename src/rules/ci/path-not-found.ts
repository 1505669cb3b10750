import { posix } from 'node:path';
import { normalize } from '../../discover/files.js';
import { expandMatrix } from '../../discover/workflows.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { effectiveArgv } from '../../model/shell.js';
import type { WorkflowStep } from '../../model/workflow.js';
import { defineRule, type RelatedLocation, type Report } from '../rule.js';
import { checkoutLayout, isGenerated, mayBeCreatedBy, namedBefore } from './_pipeline.js';

type Kind = 'Dockerfile' | 'build context' | 'working-directory' | 'script' | 'cache-dependency-path' | 'node-version-file' | 'local action' | 'reusable workflow';

export default defineRule({
  id: 'ci/path-not-found',
  severity: 'critical',
  title: 'Workflow uses a path that does not exist',
  messages: {
    missing: {
      message: '{{kind}} "{{path}}" does not exist in the repository{{hint}}',
      fix: '{{fix}}',
    },
  },
  check(model, report) {
    for (const workflow of model.workflows) {
      for (const job of workflow.jobs) {
        if (job.uses && job.uses.value.startsWith('./')) {
          const path = normalize(job.uses.value.split('@')[0]);
          if (!model.files.has(path)) emit(model, report, 'reusable workflow', path, job.uses.loc, 'high');
        }
        const layout = checkoutLayout(job);
        for (const [index, step] of job.steps.entries()) {
          const earlier = job.steps.slice(0, index);
          const created = (path: string, beforeLine?: number) =>
            mayBeCreatedBy(earlier, path) || isGenerated(model, path) || (beforeLine !== undefined && namedBefore(step, path, beforeLine));
          for (const build of step.dockerBuilds) {
            // build-push-action without a checkout builds the repository's git context: paths are still the repository's.
            if (layout === 'other' || (layout === 'none' && build.via !== 'build-push-action')) continue;
            const loc = build.file?.loc ?? build.context?.loc ?? build.loc;
            for (const dir of build.contextDirs) {
              if (dir !== '' && !outsideCheckout(dir) && !model.files.isDir(dir) && !created(dir, build.loc.line)) emit(model, report, 'build context', dir, build.context?.loc ?? loc, 'critical');
            }
            for (const path of build.dockerfilePaths) {
              if (outsideCheckout(path) || model.files.has(path) || created(path, build.loc.line)) continue;
              // A missing context is already reported; a Dockerfile inside it would only repeat it.
              if (build.contextDirs.some((d) => d !== '' && !model.files.isDir(d) && (!build.file || path.startsWith(d + '/')))) continue;
              emit(model, report, 'Dockerfile', path, loc, 'critical');
            }
          }
          if (layout !== 'root') continue;
          const wd = step.workingDirectory ?? (step.run ? job.workingDirectory ?? workflow.workingDirectory : undefined);
          if (wd) {
            for (const dir of expandMatrix(wd.value, job) ?? []) {
              const path = normalize(dir);
              if (isCheckablePath(dir) && !model.files.isDir(path) && !created(path)) emit(model, report, 'working-directory', path, wd.loc, 'high');
            }
          }
          if (step.uses?.value.startsWith('./')) {
            const dir = normalize(step.uses.value);
            const found = ['action.yml', 'action.yaml', 'Dockerfile'].some((f) => model.files.has(posix.join(dir, f)));
            if (!found && !created(dir)) emit(model, report, 'local action', dir, step.uses.loc, 'high');
          }
          const cachePath = step.uses && /^actions\/setup-node@/i.test(step.uses.value) ? step.with.get('cache-dependency-path') : undefined;
          if (cachePath) {
            cachePath.value.split('\n').forEach((raw, i) => {
              const value = raw.trim();
              if (!value || !isCheckablePath(value) || /[*?{[]/.test(value)) return;
              const path = normalize(value);
              const line = cachePath.value.includes('\n') ? cachePath.loc.line + 1 + i : cachePath.loc.line;
              if (!model.files.has(path) && !created(path)) emit(model, report, 'cache-dependency-path', path, { file: cachePath.loc.file, line }, 'high');
            });
          }
          const versionFile = step.uses && /^actions\/setup-node@/i.test(step.uses.value) ? step.with.get('node-version-file') : undefined;
          if (versionFile && isCheckablePath(versionFile.value)) {
            const path = normalize(versionFile.value);
            if (!model.files.has(path) && !created(path)) emit(model, report, 'node-version-file', path, versionFile.loc, 'high');
          }
          checkScripts(model, report, step, created);
        }
      }
    }
  },
});

type Reporter = Report<'missing'>;

/** `./scripts/deploy.sh`, `bash scripts/x.sh`, `node scripts/migrate.js` until the script changes folder. */
function checkScripts(model: DeploymentModel, report: Reporter, step: WorkflowStep, created: (path: string) => boolean): void {
  if (step.cwd === undefined) return;
  for (const command of step.commands) {
    const argv = effectiveArgv(command.argv);
    if (['cd', 'pushd', 'popd', 'git', 'unzip', 'tar', 'wget', 'curl', 'mkdir', 'cp', 'mv', 'ln', 'touch', 'chmod'].includes(argv[0])) {
      if (['cd', 'pushd', 'popd'].includes(argv[0])) return;
      continue;
    }
    let script: string | undefined;
    if (/^\.{1,2}\/[^\s]+$/.test(argv[0] ?? '')) script = argv[0];
    else if (['bash', 'sh', 'zsh', 'node', 'python', 'python3', 'tsx', 'ts-node'].includes(argv[0]) && argv[1] && !argv[1].startsWith('-')) {
      if (/\.(sh|bash|js|mjs|cjs|ts|py)$/.test(argv[1]) && argv[1].includes('/')) script = argv[1];
    }
    if (!script || !isCheckablePath(script)) continue;
    const path = normalize(posix.join(step.cwd || '.', script));
    if (path.startsWith('..') || model.files.has(path) || created(path)) continue;
    emit(model, report, 'script', path, command.loc, 'high');
  }
}

function emit(model: DeploymentModel, report: Reporter, kind: Kind, path: string, loc: Loc, severity: 'critical' | 'high'): void {
  const intended = likelyIntended(model, kind, path);
  const related: RelatedLocation[] = intended ? [{ file: intended, line: 1, message: `exists: probably the ${kind} meant` }] : [];
  const hint = intended ? `; did you mean "${intended}"?` : kind === 'Dockerfile' || kind === 'build context' ? '; docker build fails with "failed to read dockerfile" / "path not found" and no image is produced' : '; the step fails';
  const fixes: Record<Kind, string> = {
    Dockerfile: intended ? `point the build at the Dockerfile that exists: "${intended}"` : 'point the build at an existing Dockerfile (paths are relative to the repository root for docker/build-push-action, to the working directory for `docker build -f`)',
    'build context': intended ? `use the folder that exists: "${intended}"` : 'use a context folder that exists in the repository',
    'working-directory': intended ? `use "${intended}"` : 'set working-directory to a folder that exists (relative to the repository root)',
    script: intended ? `run "${intended}"` : 'fix the script path, or commit the script',
    'cache-dependency-path': intended ? `use "${intended}"` : 'point cache-dependency-path at the lockfile that exists',
    'node-version-file': intended ? `use "${intended}"` : 'point node-version-file at the .nvmrc / .node-version / package.json that exists, or set node-version',
    'local action': 'point `uses:` at a folder holding action.yml',
    'reusable workflow': intended ? `call "${intended}"` : 'point `uses:` at a workflow file that exists',
  };
  report('missing', loc, { kind, path, hint, fix: fixes[kind] }, { severity, related, key: `${kind}:${path}` });
}

/** The existing file or folder most like the missing one: same base name, sharing the most trailing path segments. */
function likelyIntended(model: DeploymentModel, kind: Kind, path: string): string | undefined {
  const base = posix.basename(path);
  const isDir = kind === 'build context' || kind === 'working-directory' || kind === 'local action';
  const candidates = isDir ? [...model.files.dirs].filter((d) => d && posix.basename(d) === base) : model.files.named(base);
  if (candidates.length === 0) {
    if (kind !== 'Dockerfile') return undefined;
    // Dockerfile missing and no file of that name: a single Dockerfile in the repository is the likely one.
    return model.dockerfiles.length === 1 ? model.dockerfiles[0].path : undefined;
  }
  const segments = path.split('/').reverse();
  let best: string | undefined;
  let bestScore = -1;
  for (const c of candidates) {
    const cs = c.split('/').reverse();
    let score = 0;
    while (score < cs.length && score < segments.length && cs[score] === segments[score]) score++;
    if (score > bestScore) {
      best = c;
      bestScore = score;
    } else if (score === bestScore) best = undefined;
  }
  return best;
}

function outsideCheckout(path: string): boolean {
  return path.split('/').includes('..');
}

/**
 * A path the repository must hold. Absolute, home and expression paths are the runner's; `..` leaves
 * the checkout ($GITHUB_WORKSPACE is the repository itself), so `working-directory: ..` is the
 * runner's folder above it, and what a step creates there is not in the repository either.
 */
function isCheckablePath(value: string): boolean {
  if (value.includes('$') || value.startsWith('/') || value.startsWith('~') || /^[a-z]+:\/\//i.test(value)) return false;
  return !outsideCheckout(normalize(value));
}
