import { posix } from 'node:path';
import type { CommandSpec, Dockerfile, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import { effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts } from './_build.js';
import { imageAnalysis, type Presence } from './_image.js';

/** node flags that take the next word as their value. */
const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print', '--env-file', '--title', '--inspect-port']);

/** The script file a node command line runs: `node --enable-source-maps dist/index.js` → dist/index.js. */
export function nodeEntry(argv: string[]): string | undefined {
  const program = effectiveArgv(argv);
  const name = posix.basename(program[0] ?? '');
  if (name !== 'node' && name !== 'nodejs') return undefined;
  for (let i = 1; i < program.length; i++) {
    const word = program[i];
    if (word === '-e' || word === '--eval' || word === '-p' || word === '--print') return undefined;
    if (NODE_VALUE_FLAGS.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    return word;
  }
  return undefined;
}

/** The process argv the final stage starts, with the instruction that says so. */
function startCommand(stage: Stage): { argv: string[]; spec: CommandSpec } | undefined {
  const { entrypoint, cmd } = stage;
  const pick = (spec: CommandSpec): string[] => {
    if (spec.form === 'exec') return spec.argv;
    const commands = splitShell(spec.text);
    const withNode = commands.find((c) => nodeEntry(c.argv) !== undefined) ?? commands[commands.length - 1];
    return withNode?.argv ?? [];
  };
  if (entrypoint) {
    const program = posix.basename(effectiveArgv(entrypoint.argv)[0] ?? '');
    if (entrypoint.form === 'exec' && (program === 'node' || /^(tini|dumb-init)$/.test(program)) && cmd) {
      const argv = [...entrypoint.argv, ...(cmd.form === 'exec' ? cmd.argv : pick(cmd))];
      // tini -- node app.js
      const dash = argv.indexOf('--');
      return { argv: /^(tini|dumb-init)$/.test(program) ? argv.slice(dash >= 0 ? dash + 1 : 1) : argv, spec: cmd };
    }
    return { argv: pick(entrypoint), spec: entrypoint };
  }
  return cmd ? { argv: pick(cmd), spec: cmd } : undefined;
}

/** Node resolves `dist/index` as dist/index.js or dist/index/index.js. */
function candidates(abs: string): string[] {
  return posix.extname(abs) ? [abs] : [abs, `${abs}.js`, `${abs}/index.js`];
}

function resolveEntry(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage, argv: string[]): { file: string; via: string } | undefined {
  const direct = nodeEntry(argv);
  if (direct) return { file: direct, via: argv.join(' ') };
  // distroless nodejs images run node as their entrypoint: CMD ["dist/index.js"].
  if (/distroless\/nodejs/.test(stage.rootImage.name) && /\.[cm]?js$/.test(argv[0] ?? '')) return { file: argv[0], via: argv.join(' ') };
  // npm start / npm run start: the start script of the package in the working directory.
  const script = scriptInvoked(argv);
  if (!script) return undefined;
  const workdir = stage.workdir?.value ?? '/';
  const facts = buildFacts(model, dockerfile);
  const analysis = imageAnalysis(model, dockerfile, facts.contexts[0].dir);
  const repoDir = analysis.repoDirAt(stage, workdir);
  const pkg = repoDir !== undefined ? model.packages.find((p) => p.dir === repoDir) : undefined;
  const body = pkg?.scripts.get(script.script)?.value;
  if (!body) return undefined;
  const commands = splitShell(body);
  if (commands.length !== 1) return undefined;
  const file = nodeEntry(commands[0].argv);
  return file ? { file, via: `${argv.join(' ')} → "${body}"` } : undefined;
}

export default defineRule({
  id: 'docker/runtime-asset-missing',
  severity: 'critical',
  title: 'The file the container starts never reaches the final image',
  messages: {
    entryMissing: {
      message: '{{keyword}} runs {{via}}, but {{path}} is neither built in the final stage nor copied into it{{detail}}: the task exits at start with "Cannot find module"',
      fix: 'copy the build output into the final stage (e.g. COPY --from=build /app/dist ./dist) or start the file the build really produces',
    },
  },
  check(model, report) {
    for (const dockerfile of model.dockerfiles) {
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage || stage.from.unresolved) continue;
      const start = startCommand(stage);
      if (!start) continue;
      const entry = resolveEntry(model, dockerfile, stage, start.argv);
      if (!entry || entry.file.includes('$')) continue;
      const workdir = stage.workdir?.value ?? '/';
      const abs = posix.resolve(workdir, entry.file);
      const facts = buildFacts(model, dockerfile);
      // Every context must give the file; report the first one that does not.
      for (const context of facts.contexts) {
        const analysis = imageAnalysis(model, dockerfile, context.dir);
        const presence: Presence[] = candidates(abs).map((c) => analysis.has(stage, c));
        if (presence.includes('yes') || presence.includes('unknown')) continue;
        // What does arrive near it: the copies into its folder, to show where the path goes wrong.
        const related: RelatedLocation[] = [];
        for (const copy of stage.copies) {
          const dest = posix.resolve(copy.workdir, copy.dest.value);
          if (abs.startsWith(dest.endsWith('/') ? dest : dest + '/') || posix.dirname(abs).startsWith(dest)) {
            related.push({ ...copy.loc, message: `${copy.keyword} ${copy.from ? `--from=${copy.from.value} ` : ''}${copy.sources.map((s) => s.value).join(' ')} ${copy.dest.value}` });
          }
        }
        report('entryMissing', start.spec.loc, {
          keyword: start.spec === stage.entrypoint ? 'ENTRYPOINT' : 'CMD',
          via: `"${entry.via}"`,
          path: abs,
          detail: related.length ? ` (the closest copy, line ${related[0].line}, does not contain it)` : '',
        }, { related: related.slice(0, 3), key: `${context.dir}|${abs}` });
        break;
      }
    }
  },
});
