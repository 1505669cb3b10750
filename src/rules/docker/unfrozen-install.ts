import { classifyInstall, type InstallCommand } from '../../model/shell.js';
import type { Dockerfile, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Lockfile } from '../../model/packages.js';
import { defineRule } from '../rule.js';
import { buildFacts, installGroupKey, stageChain } from './_build.js';
import { liveCommands, shippedStages } from './_image.js';

/** pnpm and Yarn 2+ install frozen by default when CI is set in the environment. */
function ciEnvSet(chain: Stage[]): boolean {
  return chain.some((s) => s.env.some((e) => e.name === 'CI' && /^(true|1|yes)$/i.test(e.value.replace(/^["']|["']$/g, ''))));
}

const FROZEN_FORM: Record<InstallCommand['manager'], string> = {
  npm: 'npm ci (npm ci --omit=dev for the runtime stage)',
  pnpm: 'pnpm install --frozen-lockfile',
  yarn: 'yarn install --immutable (Yarn 2+) or yarn install --frozen-lockfile (Yarn 1)',
  bun: 'bun install --frozen-lockfile',
};

/**
 * The committed lockfile an install of this manager can follow: the project's, or one inside a
 * build context. Without one there is nothing to freeze (`npm ci` would fail); the repository
 * rules report the missing lockfile.
 */
function lockfileFor(model: DeploymentModel, dockerfile: Dockerfile, manager: InstallCommand['manager']): Lockfile | undefined {
  const facts = buildFacts(model, dockerfile);
  const ignored = new Set(facts.project?.gitignoredLockfiles ?? []);
  const usable = (l: Lockfile) => l.manager === manager && !ignored.has(l.path);
  const own = facts.project?.lockfiles.find(usable);
  if (own) return own;
  const inContext = (l: Lockfile) => facts.contexts.some((c) => c.dir === '' || l.dir === c.dir || l.dir.startsWith(c.dir + '/'));
  return model.projects.flatMap((p) => p.lockfiles).find((l) => usable(l) && inContext(l));
}

export default defineRule({
  id: 'docker/unfrozen-install',
  severity: 'medium',
  title: 'Dependency install in a Dockerfile does not follow the lockfile',
  messages: {
    unfrozen: {
      message: '"{{command}}" may resolve versions other than those locked in {{lockfile}}{{extra}}: the image can differ from what was tested',
      fix: 'use {{frozen}} after copying the lockfile, so the build fails instead of drifting',
    },
    legacyPeerDeps: {
      message: '"{{command}}" uses {{flag}}: peer dependency conflicts are silenced and the tree differs from a normal install',
      fix: 'resolve the peer conflict (align versions or add overrides) and drop {{flag}}',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const reachable = new Set(buildFacts(model, dockerfile).reachable);
      // A static bundle served by nginx or caddy: drift changes the built front end, not a Node service's runtime.
      const staticImage = analysis.scope.dockerfile(dockerfile).runtime === 'static';
      // Only installs whose node_modules (or what a build made from them) reach the image: a builder
      // from which the final stage copies only repository files is thrown away.
      for (const stage of shippedStages(model, dockerfile)) {
        if (!reachable.has(stage)) continue;
        const ci = ciEnvSet(stageChain(dockerfile, stage));
        for (const { command, argv } of liveCommands(model, dockerfile, stage)) {
          const install = classifyInstall(argv);
          // Global tool installs (npm i -g pnpm) and `npm install <pkg>` are not lockfile installs.
          if (!install || install.global || install.addsPackages) continue;
          // pnpm --offline installs only what `pnpm fetch` put in the store from the lockfile.
          const offline = install.manager === 'pnpm' && argv.includes('--offline');
          const frozen = install.frozen || offline || (ci && (install.manager === 'pnpm' || install.manager === 'yarn'));
          const flag = argv.find((w) => w === '--legacy-peer-deps' || w === '--force');
          const group = { key: installGroupKey(command.loc.file, command.loc.line), acrossRules: true };
          if (!frozen) {
            const lockfile = lockfileFor(model, dockerfile, install.manager);
            if (!lockfile) continue;
            report('unfrozen', command.loc, {
              command: install.text,
              lockfile: lockfile.path,
              extra: flag ? ` (and ${flag} hides peer conflicts)` : '',
              frozen: FROZEN_FORM[install.manager],
            }, { group, related: [{ file: lockfile.path, line: 1, message: 'the lockfile the install ignores' }], severity: staticImage ? 'low' : undefined });
          } else if (flag) {
            report('legacyPeerDeps', command.loc, { command: install.text, flag }, { severity: 'low', group });
          }
        }
      }
    }
  },
});
