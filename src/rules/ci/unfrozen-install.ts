import { posix } from 'node:path';
import { projectFor } from '../../discover/packages.js';
import type { DeploymentModel } from '../../model/index.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ci/unfrozen-install',
  severity: 'medium',
  title: 'CI installs dependencies without the lockfile',
  messages: {
    unfrozen: {
      message: '"{{command}}" resolves versions afresh instead of installing {{lockfile}}: CI tests a different dependency tree from the one committed{{extra}}',
      fix: 'use "{{frozen}}"',
    },
  },
  check(model, report) {
    for (const workflow of model.workflows) {
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          for (const { command, loc } of step.installs) {
            if (command.frozen) continue;
            const project = step.cwd === undefined ? undefined : projectFor(model.projects, step.cwd);
            // Without the project and its lockfile there is nothing to freeze to (repo/lockfile-mismatch reports a missing lockfile).
            const lockfile = project?.lockfiles.find((l) => l.manager === command.manager);
            if (!project || !lockfile) continue;
            // pnpm turns --frozen-lockfile on by itself in CI; yarn 2+ turns on --immutable. Only yarn 1 needs the flag.
            const explicitlyUnfrozen = /--no-frozen-lockfile|--frozen-lockfile=false|--no-immutable/.test(command.text);
            if (command.manager === 'pnpm' && !explicitlyUnfrozen) continue;
            if (command.manager === 'yarn' && !explicitlyUnfrozen && !isYarnClassic(model, project?.dir)) continue;
            const frozen =
              command.manager === 'npm' ? 'npm ci' : command.manager === 'pnpm' ? 'pnpm install --frozen-lockfile' : command.manager === 'yarn' ? (isYarnClassic(model, project?.dir) ? 'yarn install --frozen-lockfile' : 'yarn install --immutable') : 'bun install --frozen-lockfile';
            const extra = command.legacyPeerDeps ? '; --legacy-peer-deps / --force also hide peer dependency conflicts' : '';
            report('unfrozen', loc, { command: command.text, frozen, extra, lockfile: lockfile.path });
          }
        }
      }
    }
  },
});

/** yarn 1: a yarn.lock without .yarnrc.yml, and no packageManager naming yarn 2 or later. */
function isYarnClassic(model: DeploymentModel, dir: string | undefined): boolean {
  if (dir === undefined) return false;
  const project = model.projects.find((p) => p.dir === dir);
  if (!project || !project.lockfiles.some((l) => l.manager === 'yarn')) return false;
  if (model.files.has(posix.join(dir || '.', '.yarnrc.yml'))) return false;
  const declared = project.rootPackage.packageManager?.value;
  return !declared || /^yarn@1\./.test(declared);
}
