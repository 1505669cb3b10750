import type { FileIndex } from '../../discover/files.js';
import type { Loc } from '../../model/location.js';
import type { Lockfile, PackageManager, Project } from '../../model/packages.js';
import { defineRule, type RelatedLocation } from '../rule.js';
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
        '{{project}} has dependencies but no lockfile{{ignored}}: every install resolves versions anew, so an image can ship dependency versions nobody tested, and `{{frozen}}` refuses to run',
      fix: 'run `{{manager}} install` in {{dir}}, commit {{lockfile}}, and install with `{{frozen}}` in Dockerfiles and CI',
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
  check({ projects, git, files }, report) {
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
        const m = manager ?? 'npm';
        report(
          'missing',
          evidence?.manager && project.declaredManager ? project.declaredManager.loc : { file: project.rootPackage.path, line: 1 },
          {
            ...base,
            manager: m,
            lockfile: LOCKFILE_OF[m],
            frozen: FROZEN_INSTALL[m],
            ignored: ignored.length
              ? ` (${ignored.join(', ')} exists on this machine but .gitignore excludes it, so no clone, CI run or image build has it)`
              : '',
          },
          { key: `missing:${project.dir}` },
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
        report(
          'severalManagers',
          lockfileLoc(first),
          { ...base, count: lockManagers.length, lockfiles: project.lockfiles.map((l) => l.path).join(', '), example },
          { severity: 'medium', related: lockfileRelated(rest, (l) => `${l.manager} lockfile`), key: `several:${project.dir}` },
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
