import picomatch from 'picomatch';
import { dependabotDir } from '../../discover/dependency-updates.js';
import type { DependencyUpdateConfig } from '../../model/compose.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';

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
    renovateOff: {
      message: '{{path}} {{how}}: {{ecosystem}} dependencies ({{dirs}}) get no update pull requests',
      fix: 'enable the {{managers}} manager(s) in the Renovate configuration',
    },
  },
  check(model, report) {
    const needs = ecosystemsPresent(model);
    if (needs.size === 0) return;
    const configs = model.dependencyUpdates;
    if (configs.length === 0) {
      const anchor = anchorLoc(model);
      if (!anchor) return;
      const list = [...needs].map(([eco, dirs]) => `${eco} (${listDirs(dirs)})`).join(', ');
      const entries = [...needs].flatMap(([eco, dirs]) => dirs.map((d) => `${eco} in "/${d}"`)).slice(0, 8).join(', ');
      report('none', anchor, { needs: list, entries }, { key: 'dependency-updates-missing' });
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
      for (const error of config.errors) report('invalid', error.loc, { path: config.path, error: error.message }, { key: `invalid:${error.message}` });
    }
    // An unparsable file is reported by repo/parse-error; what it would cover is unknown.
    const dependabot = configs.find((c) => c.tool === 'dependabot' && c.parsed && c.errors.length === 0);
    if (!dependabot) return;
    for (const [eco, dirs] of needs) {
      const missing = dirs.filter((d) => !covered(dependabot, eco, d));
      if (missing.length === 0) continue;
      const entries = missing.slice(0, 6).map((d) => `{ package-ecosystem: ${eco}, directory: "/${d}" }`).join(', ');
      report('uncovered', dependabot.loc, { path: dependabot.path, ecosystem: eco, dirs: listDirs(missing), entries }, { key: `uncovered:${eco}:${missing.join(',')}` });
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

/** Folders that need updates, per ecosystem. */
function ecosystemsPresent(model: DeploymentModel): Map<Ecosystem, string[]> {
  const out = new Map<Ecosystem, string[]>();
  // A workspace root covers its members: Dependabot updates a workspace from its root manifest and lockfile.
  const npm = [...new Set(model.projects.map((p) => p.dir))].sort();
  if (npm.length) out.set('npm', npm);
  const docker = [...new Set(model.dockerfiles.map((d) => d.dir))].sort();
  if (docker.length) out.set('docker', docker);
  if (model.workflows.length) out.set('github-actions', ['']);
  return out;
}

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

/** A real line to hang a repository-level finding on: the root package.json, else a Dockerfile or workflow. */
function anchorLoc(model: DeploymentModel): Loc | undefined {
  const root = model.packages.find((p) => p.dir === '') ?? model.projects[0]?.rootPackage;
  if (root) return { file: root.path, line: 1 };
  if (model.dockerfiles[0]) return { file: model.dockerfiles[0].path, line: 1 };
  if (model.workflows[0]) return model.workflows[0].loc;
  return undefined;
}
