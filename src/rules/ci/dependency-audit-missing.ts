import { defineRule } from '../rule.js';
import { allSteps, deployEvidence, findActivity, runsOnPullRequests } from './_pipeline.js';

export default defineRule({
  id: 'ci/dependency-audit-missing',
  severity: 'medium',
  title: 'No dependency vulnerability audit in CI',
  security: true,
  messages: {
    missing: {
      message: 'no workflow audits dependencies (npm/pnpm/yarn audit, osv-scanner, Snyk, dependency-review): known-vulnerable packages ship to production unnoticed; this repository {{evidence}}',
      fix: 'add a step {{where}} that fails on serious advisories, e.g. "{{audit}}", or use actions/dependency-review-action on pull requests',
    },
  },
  check(model, report) {
    const evidence = deployEvidence(model);
    if (!evidence) return;
    if (findActivity(model, 'audit')) return;
    // The audit belongs where dependencies are installed, preferably in the workflow that gates pull requests.
    let install: { loc: { file: string; line: number }; text: string; manager: string } | undefined;
    for (const pass of [true, false]) {
      for (const { workflow, step } of allSteps(model)) {
        if (pass && !runsOnPullRequests(workflow)) continue;
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
    report(
      'missing',
      install?.loc ?? evidence.loc,
      { evidence: `${evidence.text === 'docker build and push' ? 'builds and pushes images' : 'deploys'} (${evidence.loc.file}:${evidence.loc.line})`, where: install ? `after "${install.text}"` : 'to the workflow that tests pull requests (after the dependency install)', audit },
      { key: 'dependency-audit-missing' },
    );
  },
});
