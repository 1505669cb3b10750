import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { CopyInstruction, Stage } from '../../model/docker.js';
import type { Lockfile, Project } from '../../model/packages.js';
import { classifyInstall } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts, installGroupKey, stageChain } from './_build.js';
import { liveCommands } from './_image.js';

/** Why the project uses its manager, as a related location. */
function managerEvidence(project: Project): RelatedLocation | undefined {
  if (project.declaredManager) {
    return { ...project.declaredManager.loc, message: `packageManager says ${project.rootPackage.packageManager?.value ?? project.declaredManager.value}` };
  }
  const lockfile = project.lockfiles.find((l) => l.manager === project.manager);
  if (lockfile) return { file: lockfile.path, line: 1, message: `${lockfile.path} is the project's lockfile` };
  if (project.pnpmWorkspace) return { file: project.pnpmWorkspace.path, line: 1, message: 'pnpm workspace definition' };
  return undefined;
}

/** Does this COPY bring the lockfile into the image? Directories and globs are checked by name. */
function copiesLockfile(copy: CopyInstruction, lockfile: Lockfile): boolean {
  const name = posix.basename(lockfile.path);
  return copy.sources.some(({ value }) => {
    const source = value.replace(/\/+$/, '');
    const base = posix.basename(source);
    if (base === name) return true;
    if (/[*?[]/.test(base)) return picomatch(base, { dot: true })(name);
    // A folder copy (".", "./", "app/") may hold it; only a file name that is not the lockfile rules it out.
    return source === '.' || source === '' || !/\.[A-Za-z0-9]+$/.test(base);
  });
}

export default defineRule({
  id: 'docker/package-manager-mismatch',
  severity: 'high',
  title: 'Dockerfile installs with another package manager, or without the lockfile',
  messages: {
    wrongManager: {
      message: '"{{command}}" installs with {{used}}, but the project uses {{manager}} ({{evidence}}){{copyNote}}: {{consequence}}',
      fix: 'install with {{manager}} as the rest of the repository does: copy {{lockfile}} and run {{frozen}}',
    },
    lockfileNotCopied: {
      message: '"{{command}}" runs before {{lockfile}} is copied into the image{{copyNote}}: {{manager}} resolves versions afresh',
      fix: 'COPY {{lockfile}} (with package.json{{workspaceFile}}) before this install and make it frozen',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      const project = facts.project;
      const manager = project?.manager;
      if (!project || !manager) continue;
      const evidence = managerEvidence(project);
      const lockfile = project.lockfiles.find((l) => l.manager === manager);
      const frozen = manager === 'pnpm' ? 'pnpm install --frozen-lockfile' : manager === 'yarn' ? 'yarn install --immutable' : manager === 'bun' ? 'bun install --frozen-lockfile' : 'npm ci';
      const lockfileName = lockfile ? posix.basename(lockfile.path) : { pnpm: 'pnpm-lock.yaml', yarn: 'yarn.lock', npm: 'package-lock.json', bun: 'bun.lock' }[manager];
      for (const stage of facts.reachable) {
        const chain = stageChain(dockerfile, stage);
        const earlierCopies = (line: number): CopyInstruction[] =>
          chain.flatMap((s: Stage) => s.copies).filter((c) => c.loc.line < line);
        // Branches of `if [ -f yarn.lock ] … elif [ -f package-lock.json ]` that cannot run for the files copied in are left out.
        for (const { command, argv, run } of liveCommands(model, dockerfile, stage)) {
          const install = classifyInstall(argv);
          if (!install || install.global || install.addsPackages) continue;
          const copies = earlierCopies(command.loc.line);
          const npmStyleCopy = copies.find((c) => c.sources.some((s) => /^(\.\/)?package\*\.json$/.test(s.value)));
          const copyNote = npmStyleCopy ? `; line ${npmStyleCopy.loc.line} copies package*.json, which matches no ${lockfileName}` : '';
          const related = [
            ...(evidence ? [evidence] : []),
            ...(npmStyleCopy ? [{ ...npmStyleCopy.loc, message: 'copies package*.json (npm\'s lockfile pattern)' }] : []),
          ];
          // One install line is one finding, whichever rules object to it.
          const group = { key: installGroupKey(command.loc.file, command.loc.line), acrossRules: true };
          if (install.manager !== manager) {
            // The repository also keeps a lockfile for that manager: repo/lockfile-mismatch reports the ambiguity.
            if (project.lockfiles.some((l) => l.manager === install.manager)) continue;
            // `npm ci` and `pnpm install --frozen-lockfile` stop when their lockfile is missing: the build fails.
            const fails = install.frozen && (install.manager === 'npm' || install.manager === 'pnpm');
            report('wrongManager', command.loc, {
              command: install.text,
              used: install.manager,
              manager,
              evidence: evidence?.message ?? 'its workspace files',
              copyNote,
              lockfile: lockfileName,
              frozen,
              consequence: fails
                ? `${install.manager === 'npm' ? 'npm ci' : 'pnpm'} stops without its own lockfile (${install.manager === 'npm' ? 'package-lock.json' : 'pnpm-lock.yaml'}, which the repository does not have), so the image does not build`
                : 'the image gets a dependency tree nobody tested',
            }, { related, group, severity: fails ? 'critical' : undefined });
            continue;
          }
          if (!lockfile) continue;
          // RUN --mount=type=bind,source=pnpm-lock.yaml,… reads the lockfile without copying it.
          const mounted = run.mounts.some((m) => m.includes(lockfileName));
          if (mounted || copies.some((c) => copiesLockfile(c, lockfile))) continue;
          report('lockfileNotCopied', command.loc, {
            command: install.text,
            lockfile: lockfileName,
            manager,
            copyNote,
            workspaceFile: project.pnpmWorkspace ? ', pnpm-workspace.yaml' : '',
          // The right manager without its lockfile resolves afresh: drift, as with an unfrozen install, not a broken build.
          }, { related: [{ file: lockfile.path, line: 1, message: 'the lockfile the install should use' }, ...related.filter((r) => r.file !== lockfile.path)], group, severity: 'medium' });
        }
      }
    }
  },
});
