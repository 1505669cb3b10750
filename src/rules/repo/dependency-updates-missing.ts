import picomatch from 'picomatch';
import { nonProductionPath, type Analysis } from '../../analysis/index.js';
import { dependabotDir } from '../../discover/dependency-updates.js';
import { projectInstalls } from '../../discover/packages.js';
import type { DependencyUpdateConfig } from '../../model/compose.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { Project } from '../../model/packages.js';
import { defineRule } from '../rule.js';
import { isSampleOrTestDataPath } from './_paths.js';

type Ecosystem = 'npm' | 'docker' | 'github-actions';

/** Renovate manager names for each ecosystem. */
const RENOVATE_MANAGERS: Record<Ecosystem, string[]> = {
  npm: ['npm'],
  docker: ['dockerfile', 'docker-compose'],
  'github-actions': ['github-actions'],
};

export default defineRule({
  id: 'repo/dependency-updates-missing',
  severity: 'medium',
  title: 'Dependencies are not kept up to date automatically',
  security: true,
  messages: {
    none: {
      message: 'no Dependabot (.github/dependabot.yml) or Renovate configuration: nothing proposes updates for {{needs}}, so security fixes arrive only when someone remembers',
      fix: 'add .github/dependabot.yml with one `updates:` entry per ecosystem and folder ({{entries}}), on a weekly schedule',
    },
    uncovered: {
      message: '{{path}} does not cover {{ecosystem}} in {{dirs}}: those dependencies never get update pull requests',
      fix: 'add {{entries}} to `updates:`',
    },
    invalid: {
      message: '{{path}} is invalid: {{error}}; GitHub rejects the file and Dependabot runs no version updates',
      fix: 'fix the configuration to match the Dependabot v2 schema (version: 2; each update needs package-ecosystem, directory or directories, and schedule.interval)',
    },
    retired: {
      message: '{{path}} still sets `{{key}}`, an option Dependabot has retired (pull-request reviewers now come from CODEOWNERS): it has no effect, and schema checks flag the file',
      fix: 'remove `{{key}}` from each `updates:` entry, and name reviewers in .github/CODEOWNERS instead',
    },
    renovateOff: {
      message: '{{path}} {{how}}: {{ecosystem}} dependencies ({{dirs}}) get no update pull requests',
      fix: 'enable the {{managers}} manager(s) in the Renovate configuration',
    },
  },
  check(model, report, analysis) {
    const needs = ecosystemsPresent(model, analysis);
    // Docker folders a scheduled bump workflow keeps current are covered already.
    const bumped = dockerBumpedByWorkflow(model);
    const dockerDirs = needs.get('docker')?.filter((d) => !bumped.has(d));
    if (dockerDirs && dockerDirs.length > 0) needs.set('docker', dockerDirs);
    else needs.delete('docker');
    if (needs.size === 0) return;
    const configs = model.dependencyUpdates;
    if (configs.length === 0) {
      const anchor = anchorLoc(model, needs);
      if (!anchor) return;
      const list = [...needs].map(([eco, dirs]) => `${eco} (${listDirs(dirs)})`).join(', ');
      const entries = [...needs].flatMap(([eco, dirs]) => dirs.map((d) => `${eco} in "/${d}"`)).slice(0, 8).join(', ');
      // A repository with no Node package and no Node image is outside what this audit is for.
      const nodeCode = needs.has('npm') || analysis.scope.nodeDockerfiles().some((d) => analysis.scope.dockerfile(d).runtime === 'node');
      report('none', anchor, { needs: list, entries }, { key: 'dependency-updates-missing', ...(nodeCode ? {} : { severity: 'low' as const }) });
      return;
    }
    // Renovate covers every manager by default; it only misses what its configuration turns off.
    const renovate = configs.find((c) => c.tool === 'renovate');
    if (renovate) {
      for (const [eco, dirs] of needs) {
        const managers = RENOVATE_MANAGERS[eco];
        const off = renovate.disabled
          ? 'sets "enabled": false'
          : renovate.enabledManagers && !renovate.enabledManagers.some((m) => managers.includes(m))
            ? `limits enabledManagers to ${renovate.enabledManagers.join(', ')}`
            : managers.every((m) => renovate.disabledManagers.includes(m))
              ? `disables ${managers.join('/')}`
              : undefined;
        if (off) report('renovateOff', renovate.loc, { path: renovate.path, how: off, ecosystem: eco, dirs: listDirs(dirs), managers: managers.join(', ') });
      }
      return;
    }
    for (const config of configs) {
      for (const error of config.errors) {
        // ajv's message for an unknown key: `updates.0 must NOT have additional properties ("reviewers")`.
        const extra = /additional properties \("([^"]+)"\)$/.exec(error.message)?.[1];
        if (extra && RETIRED_DEPENDABOT_KEYS.has(extra)) {
          report('retired', error.loc, { path: config.path, key: extra }, { key: `retired:${extra}`, severity: 'low', group: { key: `retired:${config.path}:${extra}` } });
          continue;
        }
        report('invalid', error.loc, { path: config.path, error: error.message }, { key: `invalid:${error.message}` });
      }
    }
    // An unparsable file is reported by repo/parse-error; what it would cover is unknown.
    const dependabot = configs.find((c) => c.tool === 'dependabot' && c.parsed && c.errors.every((e) => RETIRED_DEPENDABOT_KEYS.has(/additional properties \("([^"]+)"\)$/.exec(e.message)?.[1] ?? '')));
    if (!dependabot) return;
    // Every entry at `open-pull-requests-limit: 0`: the team takes security updates only, by choice.
    const securityOnly = dependabot.updates.length > 0 && dependabot.updates.every((u) => u.openPullRequestsLimit?.value === '0');
    for (const [eco, dirs] of needs) {
      const missing = dirs.filter((d) => !covered(dependabot, eco, d));
      if (missing.length === 0) continue;
      const entries = missing.slice(0, 6).map((d) => `{ package-ecosystem: ${eco}, directory: "/${d}" }`).join(', ');
      // Actions referenced by a major tag (`@v4`) already get that major's fixes; only commit-pinned
      // ones stay frozen without update pull requests.
      const minor = (eco === 'github-actions' && !actionsPinnedToCommits(model)) || securityOnly;
      report('uncovered', dependabot.loc, { path: dependabot.path, ecosystem: eco, dirs: listDirs(missing), entries }, { key: `uncovered:${eco}:${missing.join(',')}`, ...(minor ? { severity: 'low' as const } : {}) });
    }
  },
});

function show(dir: string): string {
  return dir === '' ? 'the root' : dir;
}

/** At most five folders, then how many more: a message is read, not scrolled. */
function listDirs(dirs: string[]): string {
  const shown = dirs.slice(0, 5).map(show).join(', ');
  return dirs.length > 5 ? `${shown} and ${dirs.length - 5} more` : shown;
}

/**
 * Folders whose dependencies someone ships or runs, per ecosystem. Left out: examples, templates,
 * tests and their fixtures, GitHub Action helpers under .github/ (they run from a committed bundle),
 * development, unshipped and off-the-shelf database images, and package.json files no lockfile
 * locks and nothing installs (an Nx library the root lockfile covers, a stub with only `main`).
 */
function ecosystemsPresent(model: DeploymentModel, analysis: Analysis): Map<Ecosystem, string[]> {
  const out = new Map<Ecosystem, string[]>();
  const outside = (path: string) => isSampleOrTestDataPath(path) || nonProductionPath(path) !== undefined;
  // A workspace root covers its members: Dependabot updates a workspace from its root manifest and lockfile.
  const npm = model.projects
    .filter((p) => !outside(p.rootPackage.path))
    .filter((p) => p.lockfiles.length > 0 || (hasDependencies(p) && projectInstalls(model, p).length > 0))
    .map((p) => p.dir);
  if (npm.length) out.set('npm', [...new Set(npm)].sort());
  const docker = model.dockerfiles
    .filter((d) => d.stages.length > 0 && !outside(d.path))
    .filter((d) => {
      // Database and server images configured for local use (postgres, mysql, gotenberg) are not what ships.
      const role = analysis.scope.dockerfile(d).role;
      return role !== 'development' && role !== 'non-production' && role !== 'infrastructure';
    })
    .map((d) => d.dir);
  if (docker.length) out.set('docker', [...new Set(docker)].sort());
  if (model.workflows.length) out.set('github-actions', ['']);
  return out;
}

function hasDependencies(project: Project): boolean {
  return [project.rootPackage, ...project.members].some((pkg) => [...pkg.dependencies.values()].some((d) => d.kind !== 'peerDependencies'));
}

/**
 * Folders whose Dockerfiles a scheduled workflow keeps current by itself: it edits their FROM lines
 * (its script names the Dockerfile) and opens a pull request, as Dependabot would (outline's
 * update-node.yml reads `FROM node:X` from Dockerfile.base, bumps it to the latest LTS and opens a PR).
 */
function dockerBumpedByWorkflow(model: DeploymentModel): Map<string, Loc> {
  const out = new Map<string, Loc>();
  for (const workflow of model.workflows) {
    if (!workflow.triggers.some((t) => t.value === 'schedule')) continue;
    for (const job of workflow.jobs) {
      const opensPr = job.steps.some((step) =>
        /^peter-evans\/create-pull-request@/.test(step.uses?.value ?? '') ||
        step.commands.some((c) => (c.argv[0] === 'gh' && c.argv[1] === 'pr' && c.argv[2] === 'create') || (c.argv[0] === 'hub' && c.argv[1] === 'pull-request')));
      if (!opensPr) continue;
      const script = job.steps.map((step) => step.run?.value ?? '').join('\n');
      if (!/\bFROM\b|node:|sed\s/.test(script)) continue;
      const words = new Set(script.split(/[\s'"();|&<>=]+/).map((w) => w.replace(/^\.\//, '')));
      for (const dockerfile of model.dockerfiles) {
        // Scripts run at the repository root: a root Dockerfile is named by its file name, others by their path.
        const named = words.has(dockerfile.path);
        if (named && !out.has(dockerfile.dir)) out.set(dockerfile.dir, workflow.loc);
      }
    }
  }
  return out;
}

/** Dependabot options it no longer supports but still reads the file with: hygiene, not a broken configuration. */
const RETIRED_DEPENDABOT_KEYS = new Set(['reviewers']);

function covered(config: DependencyUpdateConfig, eco: Ecosystem, dir: string): boolean {
  const ecosystems = eco === 'npm' ? ['npm', 'bun'] : eco === 'docker' ? ['docker'] : ['github-actions'];
  for (const update of config.updates) {
    if (!ecosystems.includes(update.ecosystem.value)) continue;
    for (const d of update.directories) {
      const want = dependabotDir(d.value);
      if (eco === 'github-actions') return true;
      if (want === dir) return true;
      if (/[*?[{]/.test(want) && picomatch(want, { dot: true })(dir)) return true;
    }
  }
  return false;
}

/** Some workflow step uses an action pinned to a commit SHA, which only an update pull request moves. */
function actionsPinnedToCommits(model: DeploymentModel): boolean {
  return model.workflows.some((w) => w.jobs.some((j) => j.steps.some((s) => /@[0-9a-f]{40}$/.test(s.uses?.value ?? ''))));
}

/**
 * A real line to hang a repository-level finding on: the root package.json, else the manifest or
 * Dockerfile of the first folder that needs updates, else a workflow.
 */
function anchorLoc(model: DeploymentModel, needs: Map<Ecosystem, string[]>): Loc | undefined {
  const root = model.packages.find((p) => p.dir === '');
  if (root) return { file: root.path, line: 1 };
  const npmDir = needs.get('npm')?.[0];
  const project = npmDir !== undefined ? model.projects.find((p) => p.dir === npmDir) : undefined;
  if (project) return { file: project.rootPackage.path, line: 1 };
  const dockerDir = needs.get('docker')?.[0];
  const dockerfile = dockerDir !== undefined ? model.dockerfiles.find((d) => d.dir === dockerDir) : undefined;
  if (dockerfile) return { file: dockerfile.path, line: 1 };
  if (model.workflows[0]) return model.workflows[0].loc;
  return undefined;
}
