import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { DockerCommand, Dockerfile, Stage } from '../../model/docker.js';
import { contextCopies, contextPath } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import type { Dependency, PackageJson } from '../../model/packages.js';
import { clientGenerators, type PrismaGenerator, type PrismaSchema } from '../../model/prisma.js';
import { classifyInstall, effectiveArgv, scriptInvoked, splitShell, toolArgv } from '../../model/shell.js';
import type { RelatedLocation } from '../rule.js';
import { buildFacts, filteredNames, packageBySelector, packagesByDir, runtimePackages, stageChain } from './_build.js';
import { imageAnalysis } from './_image.js';
import { packageAtWorkdir, startSteps } from './_process.js';

/** A Prisma Client the image runs: the generator, its schema, and the `@prisma/client` dependency. */
export interface PrismaUse {
  schema: PrismaSchema;
  generator: PrismaGenerator;
  client: Dependency;
  manifest: PackageJson;
}

/** Prisma 7 generates a client without the native query engine. */
function enginePrisma(range: string): boolean {
  const major = /(\d+)/.exec(range)?.[1];
  return major === undefined || Number(major) < 7;
}

/**
 * Whether `prisma generate` would read this schema: it sits where Prisma looks by default
 * (`prisma/schema.prisma`, `schema.prisma`, a `prisma/schema/` folder of its project), or a
 * package script or Dockerfile names it (`--schema`). A `.prisma` file elsewhere (fixtures, schemas
 * a product imports as data) is not the application's.
 */
function schemaInUse(model: DeploymentModel, schema: PrismaSchema): boolean {
  const owners = new Set([schema.projectDir, schema.packageDir].filter((d): d is string => d !== undefined));
  for (const dir of owners) {
    const rel = dir ? schema.path.slice(dir.length + 1) : schema.path;
    if (rel === 'prisma/schema.prisma' || rel === 'schema.prisma' || /^prisma\/schema\/[^/]+\.prisma$/.test(rel)) return true;
  }
  const mentions = (text: string) => text.includes(schema.path) || [...owners].some((dir) => text.includes(dir ? schema.path.slice(dir.length + 1) : schema.path));
  if (model.packages.some((p) => [...p.scripts.values()].some((s) => s.value.includes('prisma') && mentions(s.value)))) return true;
  return model.dockerfiles.some((d) => d.stages.some((s) => s.runs.some((r) => r.command.text.includes('prisma') && mentions(r.command.text))));
}

export function prismaUses(model: DeploymentModel, dockerfile: Dockerfile): PrismaUse[] {
  if (model.prismaSchemas.length === 0) return [];
  const uses: PrismaUse[] = [];
  const packages = runtimePackages(model, dockerfile);
  const withClient = packages.filter((p) => p.dependencies.get('@prisma/client')?.kind === 'dependencies');
  if (withClient.length === 0) return [];
  for (const schema of model.prismaSchemas) {
    const owner = packages.find((p) => p.dir === schema.packageDir);
    if (!owner || !schemaInUse(model, schema)) continue;
    // A schema of an Nx project without its own package.json belongs to that project, not to every
    // image built from the workspace root: only a Dockerfile of that project runs its client.
    const project = schema.projectDir;
    if (project !== undefined && project !== schema.packageDir && !(dockerfile.dir === project || dockerfile.dir.startsWith(project + '/'))) continue;
    const manifest = withClient.includes(owner) ? owner : withClient[0];
    const client = manifest.dependencies.get('@prisma/client')!;
    if (!enginePrisma(client.range)) continue;
    for (const generator of clientGenerators(schema)) uses.push({ schema, generator, client, manifest });
  }
  return uses;
}

/** Where `prisma generate` runs in the image (or may run: an unknown script). */
export interface GenerateSite {
  stage: Stage;
  command: DockerCommand;
  certain: boolean;
  /** "RUN npx prisma generate", "postinstall script", "@prisma/client's own postinstall"… */
  how: string;
  via: RelatedLocation[];
}

type Verdict = { generates: 'yes' | 'no' | 'unknown'; via: RelatedLocation[] };

const UNKNOWN_RUNNERS = new Set(['turbo', 'nx', 'lerna', 'make', 'sh', 'bash', 'zx', 'just', 'task', 'moon', 'rush', 'ultra', 'wireit']);

export { isPrismaGenerate };

function isPrismaGenerate(argv: string[]): boolean {
  const words = effectiveArgv(argv);
  const at = words.findIndex((w) => /^prisma(@[\w.^~-]+)?$/.test(posix.basename(w)));
  if (at < 0) return false;
  return words.slice(at + 1).find((w) => !w.startsWith('-')) === 'generate';
}

export class PrismaGeneration {
  private readonly byDir: Map<string, PackageJson>;
  readonly sites: GenerateSite[] = [];

  constructor(
    private readonly model: DeploymentModel,
    private readonly dockerfile: Dockerfile,
    private readonly uses: PrismaUse[],
  ) {
    this.byDir = packagesByDir(model);
    this.findSites();
  }

  /** Does a package script run prisma generate (following the scripts it runs)? */
  private script(pkg: PackageJson, name: string, depth: number): Verdict {
    const body = pkg.scripts.get(name);
    if (!body || depth > 5) return { generates: body ? 'unknown' : 'no', via: [] };
    const here: RelatedLocation = { ...body.loc, message: `"${name}": "${body.value}" in ${pkg.path}` };
    let result: Verdict = { generates: 'no', via: [] };
    for (const hook of [`pre${name}`, `post${name}`]) {
      if (!pkg.scripts.has(hook)) continue;
      const v = this.script(pkg, hook, depth + 1);
      if (v.generates === 'yes') return v;
      if (v.generates === 'unknown') result = v;
    }
    for (const c of splitShell(body.value)) {
      const v = this.command(c.argv, pkg, depth + 1);
      if (v.generates === 'yes') return { generates: 'yes', via: [here, ...v.via] };
      if (v.generates === 'unknown') result = { generates: 'unknown', via: [here, ...v.via] };
    }
    return result;
  }

  /** Does a command (in a RUN or a script) run prisma generate? */
  private command(argv: string[], pkg: PackageJson | undefined, depth: number): Verdict {
    if (isPrismaGenerate(argv)) return { generates: 'yes', via: [] };
    const words = toolArgv(argv);
    const program = posix.basename(words[0] ?? '');
    if (UNKNOWN_RUNNERS.has(program) || program.endsWith('.sh') || words[0]?.startsWith('./')) return { generates: 'unknown', via: [] };
    // npm-run-all: `run-s build:*` runs every script the pattern names (`*` within a `:` segment, `**` across).
    if ((program === 'run-s' || program === 'run-p' || program === 'npm-run-all') && pkg) {
      let result: Verdict = { generates: 'no', via: [] };
      for (const pattern of words.slice(1).filter((w) => !w.startsWith('-'))) {
        const isMatch = picomatch(pattern.replace(/:/g, '/'));
        for (const name of pkg.scripts.keys()) {
          if (!isMatch(name.replace(/:/g, '/'))) continue;
          const v = this.script(pkg, name, depth);
          if (v.generates === 'yes') return v;
          if (v.generates === 'unknown') result = v;
        }
      }
      return result;
    }
    const script = scriptInvoked(words);
    if (!script) return { generates: 'no', via: [] };
    const selectors = filteredNames(words);
    const recursive = words.includes('-r') || words.includes('--recursive') || words.includes('--workspaces') || words.includes('-ws');
    const targets = recursive
      ? this.model.packages.filter((p) => p.projectDir === (pkg?.projectDir ?? ''))
      : selectors.length > 0
        ? selectors.map((s) => packageBySelector(this.model, s, pkg?.projectDir ?? ''))
        : [pkg];
    let result: Verdict = { generates: 'no', via: [] };
    for (const target of targets) {
      if (!target) return { generates: 'unknown', via: [] };
      // pnpm turbo run build / yarn nx build: no such script, so the package manager runs the binary.
      const v = !target.scripts.has(script.script) && script.manager !== 'npm' && selectors.length === 0 && !recursive
        ? this.command(words.slice(1), target, depth + 1)
        : this.script(target, script.script, depth);
      if (v.generates === 'yes') return v;
      if (v.generates === 'unknown') result = v;
    }
    return result;
  }

  /** Does the container run prisma generate when it starts (CMD, entrypoint script, npm start)? 'unknown' for scripts it cannot follow. */
  atStart(stage: Stage): 'yes' | 'no' | 'unknown' {
    const pkg = packageAtWorkdir(this.model, this.dockerfile, stage);
    let result: 'yes' | 'no' | 'unknown' = 'no';
    for (const step of startSteps(this.model, this.dockerfile, stage)) {
      const v = this.command(step.argv, pkg, 0).generates;
      if (v === 'yes') return 'yes';
      if (v === 'unknown') result = 'unknown';
    }
    return result;
  }

  /** Is a schema of the image in the stage chain, copied before `line`? */
  private schemaCopiedBefore(stage: Stage, line: number, contextDir: string): boolean {
    for (const s of stageChain(this.dockerfile, stage)) {
      for (const copy of contextCopies(s)) {
        if (s === stage && copy.loc.line > line) continue;
        for (const source of copy.sources) {
          const path = contextPath(contextDir, source.value);
          if (path === undefined) continue;
          if (this.uses.some((u) => path === '' || u.schema.path === path || u.schema.path.startsWith(path + '/'))) return true;
        }
      }
    }
    return false;
  }

  private findSites(): void {
    const facts = buildFacts(this.model, this.dockerfile);
    const contextDir = facts.contexts[0]?.dir ?? this.dockerfile.dir;
    const analysis = imageAnalysis(this.model, this.dockerfile, contextDir);
    for (const stage of facts.reachable) {
      for (const run of stage.runs) {
        let cwd = run.workdir;
        for (const command of run.commands) {
          const argv = effectiveArgv(command.argv);
          if (argv[0] === 'cd' && argv[1]) {
            cwd = posix.resolve(cwd, argv[1]);
            continue;
          }
          const repoDir = analysis.repoDirAt(stage, cwd);
          const pkg = (repoDir !== undefined ? this.byDir.get(repoDir) : undefined) ?? facts.packages[0];
          const install = classifyInstall(command.argv);
          if (install) {
            if (install.global || argv.includes('--ignore-scripts')) continue;
            // The project's own install hooks.
            const hooks = ['preinstall', 'install', 'postinstall', 'prepare'];
            const members = pkg ? this.model.packages.filter((p) => p.projectDir === pkg.projectDir) : [];
            const hooked = members.flatMap((p) => hooks.map((h) => ({ p, h }))).map(({ p, h }) => this.script(p, h, 0)).find((v) => v.generates !== 'no');
            if (hooked) {
              this.sites.push({ stage, command, certain: hooked.generates === 'yes', how: 'an install script', via: hooked.via });
              continue;
            }
            // @prisma/client's own postinstall generates when the schema is already there and the CLI gets installed.
            const cli = this.uses[0]?.manifest.dependencies.get('prisma') ?? pkg?.dependencies.get('prisma');
            const cliInstalled = cli && (cli.kind === 'dependencies' || (!install.production && run.environment.get('NODE_ENV')?.value !== 'production'));
            if (cliInstalled && this.schemaCopiedBefore(stage, run.loc.line, contextDir)) {
              this.sites.push({ stage, command, certain: true, how: "@prisma/client's postinstall (the schema is copied before the install)", via: [] });
            }
            continue;
          }
          const verdict = this.command(command.argv, pkg, 0);
          if (verdict.generates !== 'no') this.sites.push({ stage, command, certain: verdict.generates === 'yes', how: verdict.generates === 'yes' ? `"${argv.join(' ')}"` : `"${argv.join(' ')}" (not followed)`, via: verdict.via });
        }
      }
    }
  }

  /**
   * Whether the node_modules a stage ends with holds a generated client: follows installs (which
   * replace node_modules), generate commands and COPY --from of node_modules or of a folder holding
   * it. `provider` is the instruction that last replaced node_modules.
   */
  clientState(stage: Stage, depth = 0): { state: 'generated' | 'missing' | 'unknown'; provider?: Loc; providerText?: string } {
    if (depth > 8) return { state: 'unknown' };
    let state: 'generated' | 'missing' | 'unknown' = 'missing';
    let provider: Loc | undefined;
    let providerText: string | undefined;
    for (const s of [...stageChain(this.dockerfile, stage)].reverse()) {
      const ops: { line: number; apply: () => void }[] = [];
      for (const run of s.runs) {
        for (const command of run.commands) {
          ops.push({
            line: command.loc.line + run.commands.indexOf(command) / 1000,
            apply: () => {
              const site = this.sites.find((x) => x.command === command);
              const install = classifyInstall(command.argv);
              if (install && !install.global) {
                state = site ? (site.certain ? 'generated' : 'unknown') : 'missing';
                provider = command.loc;
                providerText = `"${install.text}" (stage ${s.name?.value ?? s.index})`;
              } else if (site) state = site.certain ? 'generated' : state === 'generated' ? 'generated' : 'unknown';
            },
          });
        }
      }
      for (const copy of s.copies) {
        ops.push({
          line: copy.loc.line,
          apply: () => {
            if (copy.fromStage === undefined) {
              if (copy.from) {
                state = 'unknown';
                provider = copy.loc;
              }
              return;
            }
            const from = this.dockerfile.stages[copy.fromStage];
            const fromWorkdir = from.workdir?.value ?? '/';
            const carries = copy.sources.some((src) => {
              const abs = posix.resolve(fromWorkdir, src.value);
              return /(^|\/)node_modules(\/|$)/.test(abs) || fromWorkdir === abs || fromWorkdir.startsWith(abs.endsWith('/') ? abs : abs + '/');
            });
            if (!carries) return;
            const inner = this.clientState(from, depth + 1);
            state = inner.state;
            provider = copy.loc;
            providerText = `stage ${copy.from!.value} (COPY --from=${copy.from!.value} ${copy.sources.map((x) => x.value).join(' ')}${inner.providerText ? `, installed there by ${inner.providerText}` : ''})`;
          },
        });
      }
      ops.sort((a, b) => a.line - b.line).forEach((op) => op.apply());
    }
    return { state, provider, providerText };
  }
}
