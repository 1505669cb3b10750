import { posix } from 'node:path';
import { finalStage } from '../../model/docker.js';
import { effectiveArgv, toolArgv } from '../../model/shell.js';
import { defineRule } from '../rule.js';

import { startSteps } from './_process.js';

/** Programs that compile TypeScript in memory or restart on file changes: development tools. */
const DEV_PROGRAMS: Record<string, string> = {
  'ts-node': 'ts-node compiles TypeScript in memory at every start',
  'ts-node-esm': 'ts-node compiles TypeScript in memory at every start',
  'ts-node-dev': 'ts-node-dev watches files and compiles TypeScript in memory',
  tsnd: 'ts-node-dev watches files and compiles TypeScript in memory',
  tsx: 'tsx compiles TypeScript at every start',
  nodemon: 'nodemon is a file watcher that restarts the process',
  'babel-node': 'babel-node compiles in memory at every start',
};

/** Framework commands that start a development server. */
function devServer(program: string, args: string[]): string | undefined {
  const sub = args.find((a) => !a.startsWith('-'));
  if (program === 'next' && sub === 'dev') return 'next dev is the development server (no build, on-demand compilation)';
  // vite [root] [--host …]: anything but build/preview/optimize starts the dev server.
  if (program === 'vite' && !['build', 'preview', 'optimize'].includes(sub ?? '')) return 'vite without build is the development server';
  if ((program === 'nuxt' || program === 'nuxi') && sub === 'dev') return 'nuxt dev is the development server';
  if (program === 'nest' && sub === 'start' && args.some((a) => a === '--watch' || a === '-w')) return 'nest start --watch recompiles and restarts on file changes';
  if (program === 'react-scripts' && sub === 'start') return 'react-scripts start is the development server';
  if (program === 'astro' && sub === 'dev') return 'astro dev is the development server';
  if (program === 'ng' && sub === 'serve') return 'ng serve is the development server';
  if (program === 'webpack' && sub === 'serve') return 'webpack serve is the development server';
  if (program === 'webpack-dev-server') return 'webpack-dev-server is the development server';
  return undefined;
}

/** Why a command is a development runtime; undefined when it is not one. */
export function devRuntimeOf(rawArgv: string[]): string | undefined {
  // npx ts-node, pnpm exec tsx, yarn exec nodemon, bunx tsx, npm exec -- ts-node
  const argv = toolArgv(rawArgv);
  const program = posix.basename(argv[0] ?? '');
  if (DEV_PROGRAMS[program]) return DEV_PROGRAMS[program];
  const server = devServer(program, argv.slice(1));
  if (server) return server;
  if (program === 'node' || program === 'nodejs') {
    for (let i = 1; i < argv.length; i++) {
      const word = argv[i];
      const [flag, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
      if (flag === '--watch' || flag === '--watch-path') return 'node --watch restarts on file changes';
      if (['-r', '--require', '--loader', '--experimental-loader', '--import'].includes(flag)) {
        const value = inline ?? argv[i + 1] ?? '';
        if (/^(ts-node|tsx|@swc-node\/register|@babel\/register|esbuild-register)(\/|$)/.test(value)) return `node ${flag} ${value} compiles TypeScript in memory at every start`;
      }
      if (!word.startsWith('-') && !['-r', '--require', '--loader', '--experimental-loader', '--import'].includes(argv[i - 1])) break;
    }
  }
  return undefined;
}

export default defineRule({
  id: 'docker/dev-runtime-in-production',
  severity: 'medium',
  title: 'ts-node, tsx, nodemon or a dev server runs in production',
  messages: {
    devRuntime: {
      message: '{{keyword}} starts "{{command}}"{{via}}: {{why}}, which adds start time and memory to every task and is not meant to serve production traffic',
      fix: 'compile in a build stage (tsc, nest build, next build, vite build) and start the output with node, e.g. CMD ["node", "dist/main.js"]{{serverHint}}',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved) continue;
      const seen = new Set<number>();
      for (const step of startSteps(model, dockerfile, stage)) {
        const why = devRuntimeOf(step.argv);
        if (!why || seen.has(step.loc.line)) continue;
        seen.add(step.loc.line);
        const command = effectiveArgv(step.argv).join(' ');
        const last = step.via[step.via.length - 1];
        report('devRuntime', step.loc, {
          keyword: step.keyword,
          command,
          via: last ? ` (${last.message})` : '',
          why,
          serverHint: /next dev/.test(command) ? ' (for Next.js: next build, then next start or the standalone server.js)' : /^vite/.test(command) ? ' (for a Vite front end: vite build and serve dist/ with a static server)' : '',
        }, { related: step.via });
      }
    }
  },
});
