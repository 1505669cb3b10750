import { classifyInstall, type InstallCommand } from '../../model/shell.js';
import type { Stage } from '../../model/docker.js';
import { defineRule } from '../rule.js';
import {buildFacts, stageChain, stageCommands } from './_build.js';

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

export default defineRule({
  id: 'docker/unfrozen-install',
  severity: 'medium',
  title: 'Dependency install in a Dockerfile does not follow the lockfile',
  messages: {
    unfrozen: {
      message: '"{{command}}" may resolve versions other than the lockfile\'s{{extra}}: the image can differ from what was tested',
      fix: 'use {{frozen}} after copying the lockfile, so the build fails instead of drifting',
    },
    legacyPeerDeps: {
      message: '"{{command}}" uses {{flag}}: peer dependency conflicts are silenced and the tree differs from a normal install',
      fix: 'resolve the peer conflict (align versions or add overrides) and drop {{flag}}',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      for (const stage of buildFacts(model, dockerfile).reachable) {
        const ci = ciEnvSet(stageChain(dockerfile, stage));
        for (const command of stageCommands(stage)) {
          const install = classifyInstall(command.argv);
          // Global tool installs (npm i -g pnpm) and `npm install <pkg>` are not lockfile installs.
          if (!install || install.global || install.addsPackages) continue;
          // pnpm --offline installs only what `pnpm fetch` put in the store from the lockfile.
          const offline = install.manager === 'pnpm' && command.argv.includes('--offline');
          const frozen = install.frozen || offline || (ci && (install.manager === 'pnpm' || install.manager === 'yarn'));
          const flag = command.argv.find((w) => w === '--legacy-peer-deps' || w === '--force');
          if (!frozen) {
            report('unfrozen', command.loc, {
              command: install.text,
              extra: flag ? ` (and ${flag} hides peer conflicts)` : '',
              frozen: FROZEN_FORM[install.manager],
            });
          } else if (flag) {
            report('legacyPeerDeps', command.loc, { command: install.text, flag }, { severity: 'low' });
          }
        }
      }
    }
  },
});
