import { finalStage } from '../../model/docker.js';
import { classifyInstall } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import {buildFacts } from './_build.js';
import { PrismaGeneration, prismaUses } from './_prisma.js';

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
      // A client generated into a custom output folder that is committed to the repository ships with the code.
      const uses = prismaUses(model, dockerfile).filter((u) => !(u.generator.output && model.files.isDir(u.generator.output.value)));
      if (uses.length === 0) continue;
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
