import { contextCopies, contextPath, finalStage, type Dockerfile } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { classifyInstall, effectiveArgv, scriptInvoked, splitShell } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { buildFacts } from './_build.js';
import { imageAnalysis } from './_image.js';
import { isPrismaGenerate, PrismaGeneration, prismaUses } from './_prisma.js';

/**
 * Whether the service's own code loads Prisma Client: the source graph of the service this image
 * runs imports @prisma/client. Undefined when no service with a known graph is linked to the image.
 */
function importsClient(model: DeploymentModel, dockerfile: Dockerfile): boolean | undefined {
  const services = model.services.filter((s) => s.dockerfiles.includes(dockerfile) && s.files.length > 0);
  if (services.length === 0) return undefined;
  return services.some((s) => s.externalImports.some((i) => i.packageName === '@prisma/client' || i.packageName === '.prisma'));
}

/**
 * The image's code is built: a stage it needs runs a build (tsc, nest build, a build script), or
 * the image copies build output that exists only where CI built it (a git-ignored dist/).
 */
function buildsCode(model: DeploymentModel, dockerfile: Dockerfile): boolean {
  const facts = buildFacts(model, dockerfile);
  const context = facts.contexts[0]?.dir ?? dockerfile.dir;
  const analysis = imageAnalysis(model, dockerfile, context);
  for (const stage of facts.reachable) {
    for (const copy of contextCopies(stage)) {
      for (const source of copy.sources) {
        const path = contextPath(context, source.value);
        if (path && !model.files.exists(path) && model.files.isGitignored(path)) return true;
      }
    }
    for (const { command, cwd } of analysis.commandsWithCwd(stage)) {
      const argv = effectiveArgv(command.argv);
      if (classifyInstall(argv)) continue;
      const output = analysis.outputOf(stage, argv, cwd);
      if (output && (output.dirs.length > 0 || !output.exact)) return true;
    }
  }
  return false;
}

/**
 * A CI job that runs `prisma generate` (itself or through a package script) before the step that
 * builds this Dockerfile: the client is generated on the runner and reaches the image with the
 * copied build output or node_modules.
 */
function generatedByCi(model: DeploymentModel, dockerfile: Dockerfile): Loc | undefined {
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      const buildAt = job.steps.findIndex((step) => step.dockerBuilds.some((b) => b.dockerfilePaths.includes(dockerfile.path) || b.targets.some((t) => t.dockerfilePath === dockerfile.path)));
      if (buildAt < 0) continue;
      for (const step of job.steps.slice(0, buildAt)) {
        for (const command of step.commands) {
          if (isPrismaGenerate(command.argv)) return command.loc;
          const script = scriptInvoked(command.argv);
          const root = model.packages.find((p) => p.dir === (step.cwd ?? ''));
          const body = script ? root?.scripts.get(script.script)?.value : undefined;
          if (body && splitShell(body).some((c) => isPrismaGenerate(c.argv))) return command.loc;
        }
      }
    }
  }
  return undefined;
}

export default defineRule({
  id: 'docker/prisma-client-not-generated',
  severity: 'critical',
  title: 'Prisma Client is never generated in the image',
  messages: {
    neverGenerated: {
      message: 'the image runs @prisma/client ({{manifest}}) with the schema {{schema}}, but no stage runs "prisma generate": no RUN, no install or build script that calls it, and the schema is not copied before an install that would let @prisma/client generate itself; the first query fails with "@prisma/client did not initialize yet. Please run prisma generate"',
      fix: 'run the generator after the install in the build stage: RUN npx prisma generate (or add "postinstall": "prisma generate" to {{manifest}}), and copy the schema in before it',
    },
    notCopied: {
      message: 'the final stage takes node_modules from {{provider}}, where Prisma Client is never generated; "prisma generate" runs only at {{sites}}, and what it generated (node_modules/.prisma/client) does not reach the final stage, so the first query fails with "@prisma/client did not initialize yet"',
      fix: 'copy node_modules from the stage that ran prisma generate (COPY --from=<that stage> /app/node_modules ./node_modules), or run "npx prisma generate" in the final stage after its install (with the schema and the prisma CLI available)',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved) continue;
      // A client generated into a custom output folder outside node_modules is source code: committed,
      // it ships with the code; otherwise the build that compiles or bundles it (in the image, or on
      // CI before `docker build` when the image copies prebuilt output) fails loudly without it.
      const sourceClient = (output: string) => !output.includes('node_modules') && (model.files.isDir(output) || buildsCode(model, dockerfile));
      const uses = prismaUses(model, dockerfile).filter((u) => !(u.generator.output && sourceClient(u.generator.output.value)));
      if (uses.length === 0) continue;
      // The service's own code never imports the client (it is only a dependency of the workspace root).
      if (importsClient(model, dockerfile) === false) continue;
      // FROM the repository's own app image, which generated the client when it was built.
      if (analysis.scope.parentDockerfile(dockerfile)) continue;
      if (generatedByCi(model, dockerfile)) continue;
      const generation = new PrismaGeneration(model, dockerfile, uses);
      // Generated when the container starts (CMD "npx prisma generate && node …"): the client exists at run time.
      if (generation.atStart(stage) !== 'no') continue;
      const use = uses[0];
      const related: RelatedLocation[] = [
        { ...use.generator.loc, message: `generator ${use.generator.name} (${use.generator.provider?.value ?? 'provider unknown'})` },
        { ...use.client.loc, message: `@prisma/client ${use.client.range}` },
      ];
      if (generation.sites.length === 0) {
        // Point at the install that provides the final image's node_modules: generate belongs after it.
        const facts = buildFacts(model, dockerfile);
        const installs = facts.reachable.flatMap((s) => s.runs.flatMap((r) => r.commands)).filter((c) => classifyInstall(c.argv) && !classifyInstall(c.argv)?.global);
        const loc = installs[installs.length - 1]?.loc ?? stage.from.loc;
        report('neverGenerated', loc, { manifest: use.manifest.path, schema: use.schema.path }, { related, key: `never ${use.schema.path}` });
        continue;
      }
      // A custom output folder outside node_modules travels with the code; only the default location is followed.
      if (uses.some((u) => u.generator.output && !u.generator.output.value.includes('node_modules'))) continue;
      if (generation.sites.some((s) => !s.certain)) continue;
      const final = generation.clientState(stage);
      if (final.state !== 'missing' || !final.provider) continue;
      const sites = generation.sites.map((s) => `${s.command.loc.file}:${s.command.loc.line} (${s.how}, stage ${s.stage.name?.value ?? s.stage.index})`).join(', ');
      report('notCopied', final.provider, { provider: final.providerText ?? `${final.provider.file}:${final.provider.line}`, sites }, {
        related: [...generation.sites.map((s) => ({ ...s.command.loc, message: `prisma generate runs here (${s.how})` })), ...related],
        key: `not-copied ${use.schema.path}`,
      });
    }
  },
});
