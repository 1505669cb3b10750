import { posix } from 'node:path';
import type { CommandSpec, Dockerfile, Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { classifyMigrationCommand, effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import {buildFacts, flagValue, forwardsArguments, isEntrypointScript, nodeEntry, packagesByDir, scriptFor } from './_build.js';
import { imageAnalysis, type ImageAnalysis, type Presence } from './_image.js';

/** The process argv the final stage starts, with the instruction that says so. */
function startCommand(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): { argv: string[]; spec: CommandSpec } | undefined {
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
    // docker-entrypoint.sh that ends with exec "$@": the CMD is what finally runs.
    if (entrypoint.form === 'exec' && cmd && isEntrypointScript(effectiveArgv(entrypoint.argv)[0] ?? '')) {
      const script = scriptFor(model, dockerfile, stage, effectiveArgv(entrypoint.argv)[0]);
      return script && forwardsArguments(script) ? { argv: pick(cmd), spec: cmd } : undefined;
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
  const pkg = repoDir !== undefined ? packagesByDir(model).get(repoDir) : undefined;
  const body = pkg?.scripts.get(script.script)?.value;
  if (!body) return undefined;
  const commands = splitShell(body);
  if (commands.length !== 1) return undefined;
  const file = nodeEntry(commands[0].argv);
  return file ? { file, via: `${argv.join(' ')} → "${body}"` } : undefined;
}

/** A migration run at container start, and the files it reads (any one of `paths` is enough). */
interface StartupMigration {
  tool: string;
  paths: string[];
  text: string;
  loc: Loc;
  /** The ENTRYPOINT that runs the script holding the command. */
  via?: Loc;
}


/** `prisma migrate deploy`, `knex migrate:latest`, `node-pg-migrate up`, `typeorm migration:run`, `drizzle-kit migrate`. */
function migrationOf(argv: string[]): { tool: string; paths: string[] } | undefined {
  const migration = classifyMigrationCommand(argv);
  if (migration?.action !== 'run') return undefined;
  const { tool, args: rest, text } = migration;
  if (tool === 'prisma') return { tool: text, paths: [flagValue(rest, '--schema') ?? 'prisma/schema.prisma'] };
  if (tool === 'knex') {
    const file = flagValue(rest, '--knexfile');
    return { tool: text, paths: file ? [file] : ['knexfile.js', 'knexfile.cjs', 'knexfile.mjs', 'knexfile.ts'] };
  }
  if (tool === 'node-pg-migrate') return { tool: text, paths: [flagValue(rest, '-m', '--migrations-dir') ?? 'migrations'] };
  if (tool === 'typeorm') {
    const source = flagValue(rest, '-d', '--dataSource');
    return source ? { tool: text, paths: [source] } : undefined;
  }
  if (tool === 'drizzle-kit') {
    const config = flagValue(rest, '--config');
    return { tool: text, paths: config ? [config] : ['drizzle.config.ts', 'drizzle.config.js', 'drizzle.config.mjs'] };
  }
  return undefined;
}

/**
 * Migrations the container runs before (or instead of) the server: in a shell-form CMD, an
 * `sh -c` string, the entrypoint script, or a package script those call.
 */
function startupMigrations(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): StartupMigration[] {
  const commands: { argv: string[]; loc: Loc; via?: Loc }[] = [];
  for (const spec of [stage.entrypoint, stage.cmd]) {
    if (!spec) continue;
    if (spec.form === 'shell') commands.push(...splitShell(spec.text).map((c) => ({ argv: c.argv, loc: spec.loc })));
    else {
      const c = spec.argv.indexOf('-c');
      if (c > 0 && /(^|\/)(ba|d|a)?sh$/.test(spec.argv[0]) && spec.argv[c + 1]) commands.push(...splitShell(spec.argv[c + 1]).map((x) => ({ argv: x.argv, loc: spec.loc })));
      else commands.push({ argv: spec.argv, loc: spec.loc });
    }
  }
  const program = stage.entrypoint?.form === 'exec' ? effectiveArgv(stage.entrypoint.argv)[0] : undefined;
  if (program && isEntrypointScript(program)) {
    const via = stage.entrypoint?.loc;
    commands.push(...(scriptFor(model, dockerfile, stage, program)?.commands ?? []).map((c) => ({ ...c, via })));
  }
  const found: StartupMigration[] = [];
  const facts = buildFacts(model, dockerfile);
  const workdir = stage.workdir?.value ?? '/';
  let pkg: ReturnType<typeof model.packages.find>;
  let pkgResolved = false;
  for (const command of commands) {
    let migration = migrationOf(command.argv);
    let text = command.argv.join(' ');
    if (!migration) {
      const script = scriptInvoked(command.argv);
      if (!script) continue;
      if (!pkgResolved) {
        const repoDir = imageAnalysis(model, dockerfile, facts.contexts[0].dir).repoDirAt(stage, workdir);
        pkg = repoDir !== undefined ? packagesByDir(model).get(repoDir) : undefined;
        pkgResolved = true;
      }
      const body = pkg?.scripts.get(script.script)?.value;
      if (!body) continue;
      for (const inner of splitShell(body)) {
        migration = migrationOf(inner.argv);
        if (migration) {
          text = `${command.argv.join(' ')} → ${inner.argv.join(' ')}`;
          break;
        }
      }
    }
    if (migration) found.push({ ...migration, text, loc: command.loc, via: command.via });
  }
  return found;
}

/** A note recorded for the path the final stage copies the entry from (COPY --from=build /app/dist ./dist). */
function noteThroughCopies(analysis: ImageAnalysis, stage: Stage, abs: string): string | undefined {
  for (const copy of stage.copies) {
    if (copy.fromStage === undefined) continue;
    const dest = posix.resolve(copy.workdir, copy.dest.value);
    if (abs !== dest && !abs.startsWith(dest.endsWith('/') ? dest : dest + '/')) continue;
    for (const source of copy.sources) {
      const note = analysis.noteFor(posix.join(posix.resolve('/', source.value), abs.slice(dest.length)));
      if (note) return note;
    }
  }
  return undefined;
}

export default defineRule({
  id: 'docker/runtime-asset-missing',
  severity: 'critical',
  title: 'A file the container needs at start never reaches the final image',
  messages: {
    entryMissing: {
      message: '{{keyword}} runs {{via}}, but {{path}} is neither built in the final stage nor copied into it{{detail}}. The task exits at start with "Cannot find module"',
      fix: 'copy the build output into the final stage (e.g. COPY --from=build /app/dist ./dist) or start the file the build really produces',
    },
    migrationsMissing: {
      message: 'the container runs {{tool}} at start ({{text}}), but {{paths}} never reaches the final stage: the migration step fails and the task exits before serving',
      fix: 'copy the migration files into the final stage, e.g. COPY --from=build /app/prisma ./prisma (schema and migrations folder)',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage || stage.from.unresolved) continue;
      const workdirForMigrations = stage.workdir?.value ?? '/';
      for (const migration of startupMigrations(model, dockerfile, stage)) {
        for (const context of buildFacts(model, dockerfile).contexts) {
          const analysis = imageAnalysis(model, dockerfile, context.dir);
          const presence = migration.paths.map((p) => analysis.has(stage, posix.resolve(workdirForMigrations, p)));
          if (presence.includes('yes') || presence.includes('unknown')) continue;
          report('migrationsMissing', migration.loc, {
            tool: migration.tool,
            text: migration.text,
            paths: migration.paths.map((p) => posix.resolve(workdirForMigrations, p)).join(' or '),
          }, {
            key: `${context.dir}|${migration.tool}`,
            related: migration.via ? [{ ...migration.via, message: 'ENTRYPOINT runs this script' }] : [],
          });
          break;
        }
      }
      const start = startCommand(model, dockerfile, stage);
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
          detail: analysis.noteFor(abs) ?? noteThroughCopies(analysis, stage, abs)
            ? ` (${analysis.noteFor(abs) ?? noteThroughCopies(analysis, stage, abs)})`
            : related.length ? ` (the final stage copies into that folder only at line${related.length > 1 ? 's' : ''} ${related.map((r) => r.line).join(', ')})` : '',
        }, { related: related.slice(0, 3), key: `${context.dir}|${abs}` });
        break;
      }
    }
  },
});
