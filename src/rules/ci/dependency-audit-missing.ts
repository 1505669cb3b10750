import type { DeploymentModel } from '../../model/index.js';
import type { DependencyUpdateConfig } from '../../model/compose.js';
import type { Workflow } from '../../model/workflow.js';
import { defineRule } from '../rule.js';
import { allSteps, deployEvidence, findActivity, runsOnPullRequests } from './_pipeline.js';

export default defineRule({
  id: 'ci/dependency-audit-missing',
  severity: 'medium',
  title: 'No dependency vulnerability audit in CI',
  security: true,
  messages: {
    missing: {
      message: 'no workflow audits dependencies (npm/pnpm/yarn audit, osv-scanner, Snyk, dependency-review){{bot}}: known-vulnerable packages ship to production unnoticed; this repository {{evidence}}',
      fix: 'add a step {{where}} that fails on serious advisories, e.g. "{{audit}}", or use actions/dependency-review-action on pull requests',
    },
  },
  check(model, report) {
    const evidence = deployEvidence(model);
    if (!evidence) return;
    if (findActivity(model, 'audit')) return;
    // The audit belongs where dependencies are installed, preferably in the workflow that gates every pull request.
    let install: { loc: { file: string; line: number }; text: string; manager: string } | undefined;
    for (const pass of ['every-pr', 'pr', 'any'] as const) {
      for (const { workflow, step } of allSteps(model)) {
        if (pass !== 'any' && !runsOnPullRequests(workflow)) continue;
        // A pull-request workflow that skips dependency changes (`paths-ignore: [pnpm-lock.yaml]`) skips the very changes an audit is for.
        if (pass === 'every-pr' && !seesDependencyChanges(workflow)) continue;
        const first = step.installs[0];
        if (first) {
          install = { loc: first.loc, text: first.command.text, manager: first.command.manager };
          break;
        }
      }
      if (install) break;
    }
    if (!install && model.projects.length === 0) return;
    const manager = install?.manager ?? model.projects[0]?.manager ?? 'npm';
    const audit = manager === 'pnpm' ? 'pnpm audit --audit-level=high' : manager === 'yarn' ? 'yarn npm audit --severity high (yarn 1: yarn audit --level high)' : 'npm audit --audit-level=high';
    // Dependabot or Renovate on the npm ecosystem already raise vulnerable dependencies, as alerts and pull requests:
    // an audit in CI only adds a gate on the pull request itself.
    const bot = npmUpdateBot(model);
    report(
      'missing',
      install?.loc ?? evidence.loc,
      {
        evidence: `${evidence.kind === 'push' ? 'builds and pushes images' : 'deploys'} (${evidence.loc.file}:${evidence.loc.line})`,
        where: install ? `after "${install.text}"` : 'to the workflow that tests pull requests (after the dependency install)',
        audit,
        bot: bot ? ` (${bot.path} has ${bot.tool === 'dependabot' ? 'Dependabot' : 'Renovate'} raise vulnerable npm dependencies, but nothing stops a pull request that adds one)` : '',
      },
      { key: 'dependency-audit-missing', ...(bot ? { severity: 'low', related: [{ file: bot.path, line: bot.loc.line, message: `${bot.tool === 'dependabot' ? 'Dependabot' : 'Renovate'} covers npm dependencies` }] } : {}) },
    );
  },
});

/** Lockfiles and manifests: a pull request that changes dependencies changes one of them. */
const DEPENDENCY_FILE = /(^|\/|\*)(package\.json|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?)$/;

/** The workflow runs on the pull requests that change dependencies (no path filter excludes the lockfile). */
function seesDependencyChanges(workflow: Workflow): boolean {
  if (workflow.pullRequestPathsIgnore.some((p) => DEPENDENCY_FILE.test(p.value))) return false;
  if (workflow.pullRequestPaths.length === 0) return true;
  return workflow.pullRequestPaths.some((p) => DEPENDENCY_FILE.test(p.value) || /^\*\*(\/\*)?$/.test(p.value));
}

/** A Dependabot or Renovate configuration that updates npm dependencies. */
function npmUpdateBot(model: DeploymentModel): DependencyUpdateConfig | undefined {
  return model.dependencyUpdates.find((c) => {
    if (!c.parsed) return false;
    if (c.tool === 'dependabot') return c.updates.some((u) => u.ecosystem.value === 'npm');
    if (c.disabled || c.disabledManagers.includes('npm')) return false;
    return !c.enabledManagers || c.enabledManagers.includes('npm');
  });
}
