import { posix } from 'node:path';
import type { Analysis } from '../../analysis/index.js';
import type { FileIndex } from '../../discover/files.js';
import { projectInstalls } from '../../discover/packages.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc, Located } from '../../model/location.js';
import type { Lockfile, PackageManager, Project } from '../../model/packages.js';
import { defineRule, type RelatedLocation, type Severity } from '../rule.js';
import { isSampleOrTestDataPath } from './_paths.js';

const LOCKFILE_OF: Record<PackageManager, string> = {
  npm: 'package-lock.json',
  pnpm: 'pnpm-lock.yaml',
  yarn: 'yarn.lock',
  bun: 'bun.lock',
};

const FROZEN_INSTALL: Record<PackageManager, string> = {
  npm: 'npm ci',
  pnpm: 'pnpm install --frozen-lockfile',
  yarn: 'yarn install --immutable',
  bun: 'bun install --frozen-lockfile',
};

/** What says which package manager a project uses, strongest first. */
interface ManagerEvidence {
  manager: PackageManager;
  what: string;
  loc: Loc;
}

function expectedManager(project: Project): ManagerEvidence | undefined {
  if (project.declaredManager) {
    return {
      manager: project.declaredManager.value,
      // The "+sha512.…" integrity suffix says nothing to a reader.
      what: `packageManager "${(project.rootPackage.packageManager?.value ?? project.declaredManager.value).replace(/\+.*$/, '')}"`,
      loc: project.declaredManager.loc,
    };
  }
  if (project.pnpmWorkspace) return { manager: 'pnpm', what: project.pnpmWorkspace.path, loc: { file: project.pnpmWorkspace.path, line: 1 } };
  return undefined;
}

function hasDependencies(project: Project): boolean {
  return [project.rootPackage, ...project.members].some((pkg) =>
    [...pkg.dependencies.values()].some((d) => d.kind !== 'peerDependencies'),
  );
}

/**
 * pnpm accepts a workspace root with pnpm-workspace.yaml and pnpm-lock.yaml but no package.json: its
 * packages then look standalone here, yet the root lockfile covers them.
 */
function underPnpmWorkspaceWithoutPackageJson(files: FileIndex, dir: string): boolean {
  const segments = dir === '' ? [] : dir.split('/');
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    const ancestor = segments.slice(0, depth).join('/');
    const at = (name: string) => (ancestor ? `${ancestor}/${name}` : name);
    if (files.has(at('pnpm-workspace.yaml')) && files.has(at('pnpm-lock.yaml')) && !files.has(at('package.json'))) return true;
  }
  return false;
}

/**
 * The pnpm major that first wrote a lockfileVersion that older pnpm refuses outright. (Lockfile 6.0
 * is left out: late pnpm 7 releases read it behind a setting, so it proves nothing alone.)
 */
const PNPM_FOR_LOCKFILE: [prefix: string, pnpmMajor: number][] = [['9.', 9]];

function declaredMajor(project: Project): number | undefined {
  const spec = project.rootPackage.packageManager?.value.replace(/\+.*$/, '') ?? '';
  const version = /@v?(\d+)(?:\.|$)/.exec(spec);
  return version ? Number(version[1]) : undefined;
}

type LockfileReport = (
  id: 'lockfileTooNew' | 'lockfileTooOld',
  loc: Loc,
  data: Record<string, string | number>,
  options: { related: RelatedLocation[]; key: string },
) => void;

/** A lockfile whose format the declared package manager version cannot use as is. */
function checkLockfileFormat(project: Project, base: Record<string, string>, report: LockfileReport): void {
  const declared = project.declaredManager!;
  const major = declaredMajor(project);
  if (major === undefined) return;
  const declaredText = (project.rootPackage.packageManager?.value ?? '').replace(/\+.*$/, '');
  const related = [{ ...declared.loc, message: `packageManager "${declaredText}"` }];
  for (const lockfile of project.lockfiles) {
    if (!lockfile.format || lockfile.manager !== declared.value) continue;
    if (lockfile.manager === 'pnpm') {
      const needed = PNPM_FOR_LOCKFILE.find(([prefix]) => lockfile.format!.value.startsWith(prefix))?.[1];
      if (needed !== undefined && major < needed) {
        report('lockfileTooNew', lockfile.format.loc, {
          ...base,
          file: lockfile.path,
          format: `lockfileVersion ${lockfile.format.value} (pnpm ${needed} or newer)`,
          declared: declaredText,
          frozen: FROZEN_INSTALL.pnpm,
          needed,
        }, { related, key: `format:${lockfile.path}` });
      }
    }
    if (lockfile.manager === 'yarn' && lockfile.format.value === '1' && major >= 2) {
      report('lockfileTooOld', lockfile.format.loc, { ...base, file: lockfile.path, declared: declaredText, major }, { related, key: `format:${lockfile.path}` });
    }
  }
}

/**
 * A workspace root whose globs name this folder's parent pattern but not the folder itself
 * (`infra/*` for infra/package.json): the package was meant to be a member, so the root lockfile was
 * meant to lock it, and the right fix is the glob.
 */
function nearMissWorkspace(projects: Project[], project: Project): { root: Project; glob: Located<string> } | undefined {
  for (const root of projects) {
    if (root === project || !(root.dir === '' || project.dir.startsWith(root.dir + '/'))) continue;
    const globs = [...(root.pnpmWorkspace?.packages ?? []), ...root.rootPackage.workspaces];
    for (const glob of globs) {
      const pattern = glob.value.trim().replace(/\/$/, '');
      const base = /^(.*)\/\*{1,2}$/.exec(pattern)?.[1];
      if (base && posix.join(root.dir, base) === project.dir) return { root, glob };
    }
  }
  return undefined;
}

/**
 * Why a project without a lockfile matters, and how much: an install that runs in it (a production
 * image build or a CI step: medium; only a development or test image: low), or a workspace glob that
 * misses it by one level. A folder nothing installs — an Nx library the root lockfile covers, a
 * generator's template, a package the workspace excludes on purpose — is not reported.
 */
function unlockedInstall(model: DeploymentModel, analysis: Analysis, project: Project):
  | { consequence: string; severity: Severity; related: RelatedLocation[]; workspace?: { fix: string } }
  | undefined {
  const near = nearMissWorkspace(model.projects, project);
  const workspace = near
    ? {
        fix: `add "${posix.relative(near.root.dir, project.dir)}" to the workspace globs next to ${near.glob.loc.file}:${near.glob.loc.line} ("${near.glob.value}" matches only folders below it) so that ${near.root.lockfiles[0]?.path ?? 'the root lockfile'} locks it; or `,
      }
    : undefined;
  const installs = projectInstalls(model, project);
  const production = installs.filter((i) => !i.dockerfile || analysis.scope.dockerfile(i.dockerfile).production);
  const chosen = production[0] ?? installs[0];
  const related: RelatedLocation[] = [];
  if (near) related.push({ ...near.glob.loc, message: `"${near.glob.value}" does not match ${project.dir}` });
  if (chosen) {
    related.push({ ...chosen.loc, message: `\`${chosen.command.text}\` installs ${project.rootPackage.path} without a lockfile` });
    const what = chosen.dockerfile ? `the image built from ${chosen.dockerfile.path}` : 'CI';
    const at = `${chosen.loc.file}:${chosen.loc.line}`;
    // npm ci and pnpm's frozen install stop without a lockfile: that build breaks outright.
    const breaks = chosen.command.frozen && chosen.command.manager !== 'yarn';
    return {
      consequence: breaks
        ? `\`${chosen.command.text}\` (${at}) stops for lack of one, so ${what} fails to build`
        : `\`${chosen.command.text}\` (${at}) resolves every version anew on each run, so ${what} can get dependency versions nobody tested`,
      // A development or test image that floats is a nuisance, not a production risk.
      severity: production.length === 0 ? 'low' : breaks ? 'high' : 'medium',
      related,
      workspace,
    };
  }
  if (!near) return undefined;
  return {
    consequence: `${near.glob.loc.file}:${near.glob.loc.line} lists "${near.glob.value}", which matches only folders below ${project.dir}, so ${project.rootPackage.path} is in no workspace and every install of it resolves versions anew`,
    severity: 'medium',
    related,
    workspace,
  };
}

function label(project: Project): string {
  const name = project.rootPackage.name?.value;
  const where = project.dir === '' ? 'the repository root' : project.dir;
  return name ? `${name} (${where})` : where;
}

function lockfileLoc(lockfile: Lockfile): Loc {
  // A lockfile is generated: its first line is where a reader opens it.
  return { file: lockfile.path, line: 1 };
}

function lockfileRelated(lockfiles: Lockfile[], message: (l: Lockfile) => string): RelatedLocation[] {
  return lockfiles.map((l) => ({ ...lockfileLoc(l), message: message(l) }));
}

export default defineRule({
  id: 'repo/lockfile-mismatch',
  severity: 'high',
  title: 'Lockfile missing, duplicated or not the package manager’s',
  messages: {
    missing: {
      message:
        '{{project}} has dependencies but no lockfile{{ignored}}: {{consequence}}, and `{{frozen}}` refuses to run',
      fix: '{{workspaceFix}}run `{{manager}} install` in {{dir}}, commit {{lockfile}}, and install with `{{frozen}}` in Dockerfiles and CI',
    },
    wrongManager: {
      message:
        '{{evidence}} says {{manager}}, but the only lockfile of {{project}} is {{lockfiles}}: {{manager}} ignores it and resolves every version anew, and `{{frozen}}` fails for lack of {{lockfile}}',
      fix: 'generate {{lockfile}} with `{{manager}} install`, commit it and delete {{lockfiles}}; or, if {{other}} is the real package manager, {{alternative}}',
    },
    strayLockfile: {
      message:
        '{{file}} is the lockfile of {{other}}, but {{project}} uses {{manager}} ({{evidence}}): the two lockfiles drift apart, and a Dockerfile or CI job that installs with {{other}} gets different versions than {{lockfile}} pins',
      fix: 'delete {{file}} (and add it to .gitignore) so that {{lockfile}} is the only source of versions',
    },
    severalManagers: {
      message:
        '{{project}} has lockfiles of {{count}} package managers ({{lockfiles}}) and nothing says which one is used (no packageManager field, no pnpm-workspace.yaml): developers, CI and Dockerfiles can each install from a different one',
      fix: 'keep the lockfile of the package manager the team uses, delete the others, and declare it with "packageManager" (e.g. "{{example}}") in {{packageJson}}',
    },
    lockfileTooNew: {
      message:
        '{{file}} is written in {{format}}, which {{declared}} cannot read: `{{frozen}}` fails in CI and in the image build',
      fix: 'set packageManager to a pnpm {{needed}} release (with its full version, e.g. "pnpm@{{needed}}.0.0" or later; corepack refuses a bare major), or regenerate {{file}} with {{declared}}',
    },
    lockfileTooOld: {
      message:
        '{{file}} is in Yarn 1 format (`# yarn lockfile v1`) but packageManager is {{declared}}: Yarn {{major}} must rewrite it on install, so `yarn install --immutable` fails in CI and in the image build',
      fix: 'run `yarn install` once with {{declared}} and commit the converted {{file}}',
    },
    pnpmIgnoresWorkspaces: {
      message:
        '{{project}} uses pnpm ({{evidence}}) and lists its workspaces in package.json "workspaces", which pnpm ignores: without pnpm-workspace.yaml, `pnpm install` links none of the {{members}} workspace packages and `workspace:*` dependencies fail to resolve',
      fix: 'create pnpm-workspace.yaml in {{dir}} with "packages:" listing the same globs ({{globs}})',
    },
    pnpmWorkspaceUnused: {
      message:
        '{{project}} declares its workspace packages only in {{pnpmWorkspace}}, but uses {{manager}} ({{evidence}}), which does not read that file: `{{manager}} install` installs none of the workspace packages',
      fix: 'either switch the project to pnpm (packageManager "pnpm@<version>", pnpm-lock.yaml), or list the workspaces in the "workspaces" field of {{packageJson}}',
    },
  },
  check(model, report, analysis) {
    const { projects, git, files } = model;
    for (const project of projects) {
      if (isSampleOrTestDataPath(project.rootPackage.path)) continue;
      const evidence = expectedManager(project);
      const lockManagers = [...new Set(project.lockfiles.map((l) => l.manager))];
      const manager = evidence?.manager ?? (lockManagers.length === 1 ? lockManagers[0] : undefined);
      const dir = project.dir === '' ? 'the repository root' : project.dir;
      const base = { project: label(project), dir, packageJson: project.rootPackage.path };

      if (project.lockfiles.length === 0) {
        // A lockfile that .gitignore excludes but git tracks anyway (committed first) is still in every clone.
        const ignored = (project.gitignoredLockfiles ?? []).filter((p) => !git?.tracked.has(p));
        if ((project.gitignoredLockfiles ?? []).some((p) => git?.tracked.has(p))) continue;
        if (!hasDependencies(project)) continue;
        if (underPnpmWorkspaceWithoutPackageJson(files, project.dir)) continue;
        const unlocked = unlockedInstall(model, analysis, project);
        if (!unlocked) continue;
        const m = manager ?? 'npm';
        report(
          'missing',
          evidence?.manager && project.declaredManager ? project.declaredManager.loc : { file: project.rootPackage.path, line: 1 },
          {
            ...base,
            manager: m,
            lockfile: LOCKFILE_OF[m],
            frozen: FROZEN_INSTALL[m],
            consequence: unlocked.consequence,
            workspaceFix: unlocked.workspace?.fix ?? '',
            ignored: ignored.length
              ? ` (${ignored.join(', ')} exists on this machine but .gitignore excludes it, so no clone, CI run or image build has it)`
              : '',
          },
          { key: `missing:${project.dir}`, severity: unlocked.severity, related: unlocked.related },
        );
        continue;
      }

      if (evidence && !lockManagers.includes(evidence.manager)) {
        const other = lockManagers.join(' / ');
        const lockfiles = project.lockfiles.map((l) => l.path).join(', ');
        report(
          'wrongManager',
          project.declaredManager ? evidence.loc : lockfileLoc(project.lockfiles[0]),
          {
            ...base,
            evidence: evidence.what,
            manager: evidence.manager,
            other,
            lockfiles,
            lockfile: LOCKFILE_OF[evidence.manager],
            frozen: FROZEN_INSTALL[evidence.manager],
            alternative: project.declaredManager
              ? `change packageManager to ${other}@<version>`
              : `delete ${evidence.what} and list the workspaces in the "workspaces" field of ${project.rootPackage.path}`,
          },
          {
            related: [
              ...(project.declaredManager ? lockfileRelated(project.lockfiles, (l) => `${l.manager} lockfile`) : []),
              ...(project.pnpmWorkspace && !project.declaredManager ? [{ file: project.pnpmWorkspace.path, line: 1, message: 'pnpm workspace definition' }] : []),
            ],
            key: `wrong:${project.dir}`,
          },
        );
      } else if (evidence) {
        const own = project.lockfiles.filter((l) => l.manager === evidence.manager);
        for (const stray of project.lockfiles.filter((l) => l.manager !== evidence.manager)) {
          report(
            'strayLockfile',
            lockfileLoc(stray),
            { ...base, file: stray.path, other: stray.manager, manager: evidence.manager, evidence: evidence.what, lockfile: own[0].path },
            {
              severity: 'medium',
              related: [{ ...evidence.loc, message: `says ${evidence.manager}` }, ...lockfileRelated(own, () => `the ${evidence.manager} lockfile`)],
              key: `stray:${stray.path}`,
            },
          );
        }
      } else if (lockManagers.length > 1) {
        const [first, ...rest] = project.lockfiles;
        const example = first.manager === 'npm' ? 'npm@10.9.2' : first.manager === 'pnpm' ? 'pnpm@9.15.0' : first.manager === 'yarn' ? 'yarn@4.6.0' : 'bun@1.2.0';
        // The lockfiles only diverge in what ships when installs read different ones; while every
        // install found uses one manager, the other lockfile is clutter.
        const installManagers = new Set(projectInstalls(model, project).map((i) => i.command.manager).filter((m) => lockManagers.includes(m)));
        report(
          'severalManagers',
          lockfileLoc(first),
          { ...base, count: lockManagers.length, lockfiles: project.lockfiles.map((l) => l.path).join(', '), example },
          { severity: installManagers.size > 1 ? 'medium' : 'low', related: lockfileRelated(rest, (l) => `${l.manager} lockfile`), key: `several:${project.dir}` },
        );
      }

      if (project.declaredManager) checkLockfileFormat(project, base, report);

      const npmStyleGlobs = project.rootPackage.workspaces;
      if (manager === 'pnpm' && !project.pnpmWorkspace && npmStyleGlobs.length > 0) {
        report(
          'pnpmIgnoresWorkspaces',
          npmStyleGlobs[0].loc,
          {
            ...base,
            evidence: evidence?.what ?? project.lockfiles.find((l) => l.manager === 'pnpm')?.path ?? 'pnpm-lock.yaml',
            members: project.members.length,
            globs: npmStyleGlobs.map((g) => g.value).join(', '),
          },
          { key: `pnpm-workspaces:${project.dir}` },
        );
      }
      if (project.pnpmWorkspace && manager && manager !== 'pnpm' && npmStyleGlobs.length === 0 && project.pnpmWorkspace.packages.length > 0) {
        const ev = evidence ?? { what: project.lockfiles.map((l) => l.path).join(', '), loc: lockfileLoc(project.lockfiles[0]) };
        report(
          'pnpmWorkspaceUnused',
          project.pnpmWorkspace.packages[0].loc,
          { ...base, pnpmWorkspace: project.pnpmWorkspace.path, manager, evidence: ev.what },
          { related: [{ ...ev.loc, message: `says ${manager}` }], key: `pnpm-unused:${project.dir}` },
        );
      }
    }
  },
});
