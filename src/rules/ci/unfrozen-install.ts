import { posix } from 'node:path';
import { projectFor } from '../../discover/packages.js';
import type { DeploymentModel } from '../../model/index.js';
import { toolArgv } from '../../model/shell.js';
import type { Loc } from '../../model/location.js';
import type { StepCommand, WorkflowJob, WorkflowStep } from '../../model/workflow.js';
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
            // After a version bump the manifests name versions the lockfile does not have yet: the install must rewrite it.
            if (versionBumpBefore(job, step, loc)) continue;
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

/**
 * A command of the job, before this line, that rewrites the workspace's package versions:
 * `changeset version`, `npm version`, `lerna version`, `yarn version`, `nx release version`. A
 * snapshot or release publish then installs to bring the lockfile in line, on purpose.
 */
function versionBumpBefore(job: WorkflowJob, step: WorkflowStep, at: Loc): boolean {
  const earlier = job.steps.slice(0, job.steps.indexOf(step)).flatMap((s) => s.commands);
  const sameStep = step.commands.filter((c) => c.loc.file === at.file && c.loc.line < at.line);
  return [...earlier, ...sameStep].some(bumpsVersions);
}

function bumpsVersions(command: StepCommand): boolean {
  let argv = toolArgv(command.argv);
  // `yarn changeset version`, `pnpm changeset version`, `npm run`-less package bins.
  if (['yarn', 'pnpm', 'bun'].includes(argv[0]) && ['changeset', 'lerna', 'nx'].includes(argv[1])) argv = argv.slice(1);
  const [tool, verb, sub] = argv;
  if ((tool === 'changeset' || tool === '@changesets/cli') && verb === 'version') return true;
  if (tool === 'lerna' && verb === 'version') return true;
  if (tool === 'nx' && verb === 'release' && (sub === 'version' || sub === undefined)) return true;
  return ['npm', 'yarn', 'pnpm'].includes(tool) && verb === 'version' && argv.length > 2;
}

/** yarn 1: a yarn.lock without .yarnrc.yml, and no packageManager naming yarn 2 or later. */
function isYarnClassic(model: DeploymentModel, dir: string | undefined): boolean {
  if (dir === undefined) return false;
  const project = model.projects.find((p) => p.dir === dir);
  if (!project || !project.lockfiles.some((l) => l.manager === 'yarn')) return false;
  if (model.files.has(posix.join(dir || '.', '.yarnrc.yml'))) return false;
  const declared = project.rootPackage.packageManager?.value;
  return !declared || /^yarn@1\./.test(declared);
}
