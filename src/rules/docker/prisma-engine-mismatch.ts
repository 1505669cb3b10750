import { finalStage, prismaEngineFor } from '../../model/docker.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import {runtimeArchs } from './_build.js';
import { PrismaGeneration, prismaUses } from './_prisma.js';

export default defineRule({
  id: 'docker/prisma-engine-mismatch',
  severity: 'critical',
  title: 'Prisma query engine does not match the runtime image',
  messages: {
    missingEngine: {
      message: 'the final stage FROM {{image}} at {{fromLoc}} is {{os}}{{arch}} and needs the Prisma engine {{engineText}}; {{schema}}:{{line}} generates {{targets}}{{native}}, so the first query fails with "Prisma Client could not locate the Query Engine for runtime {{engine}}"',
      fix: 'add "{{engine}}" to binaryTargets in the generator block of {{schema}} (keep "native" for local development), or run prisma generate in a stage built from the same base image as the final stage',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved || !stage.os) continue;
      const uses = prismaUses(model, dockerfile);
      if (uses.length === 0) continue;
      const { archs, evidence } = runtimeArchs(model, dockerfile, stage);
      const required = archs.map((a) => prismaEngineFor(stage.os!, a));
      if (required.some((e) => e === undefined)) continue;
      let generation: PrismaGeneration | undefined;
      for (const use of uses) {
        const { generator } = use;
        if (generator.binaryTargetsUnknown) continue;
        const targets = generator.binaryTargets?.map((t) => t.value) ?? ['native'];
        if (required.some((e) => targets.includes(e!))) continue;
        generation ??= new PrismaGeneration(model, dockerfile, uses);
        // prisma generate at container start runs on the runtime image itself: native is its engine.
        if (generation.atStart(stage) !== 'no') continue;
        // "native" (and, to be safe, any generate run) yields the engine of the image prisma generate runs in.
        const nativeEngines = generation.sites.map((site) => (site.stage.os ? archs.map((a) => prismaEngineFor(site.stage.os!, a)) : [undefined]));
        if (nativeEngines.some((engines) => engines.some((e) => e === undefined || required.includes(e)))) continue;
        const listsNative = targets.includes('native');
        // With "native" only, the engine is the generating machine's: judged only when generate runs in the image.
        if (listsNative && generation.sites.length === 0) continue;
        const site = generation.sites[0];
        // Unknown CPU: name the X86_64 engine (the ECS default) and the ARM64 one beside it.
        const engine = required[0]!;
        const engineText = required.length > 1 ? `${required[0]} (X86_64, the ECS default; ${required[1]} on ARM64)` : engine;
        const at = generator.binaryTargetsLoc ?? generator.loc;
        const related: RelatedLocation[] = [{ ...stage.from.loc, message: `runtime image ${stage.from.raw}: ${stage.os.description}` }];
        if (site) related.push({ ...site.command.loc, message: `prisma generate runs here (${site.how}) in ${site.stage.rootImage.raw}${site.stage.os ? `: ${site.stage.os.description}` : ''}` });
        report('missingEngine', at, {
          image: stage.from.raw === stage.rootImage.raw ? stage.from.raw : `${stage.from.raw} (${stage.rootImage.raw})`,
          fromLoc: `${stage.from.loc.file}:${stage.from.loc.line}`,
          os: stage.os.description,
          arch: evidence,
          engine,
          engineText,
          schema: use.schema.path,
          line: at.line,
          targets: generator.binaryTargets ? `binaryTargets ${JSON.stringify(targets).replace(/","/g, '", "')}` : 'only the "native" engine (no binaryTargets)',
          native: listsNative && site?.stage.os ? `, and "native" is ${prismaEngineFor(site.stage.os, archs[0])} because prisma generate runs in ${site.stage.rootImage.raw} at ${site.command.loc.file}:${site.command.loc.line}` : '',
        }, { related, key: `${dockerfile.path} ${use.schema.path} ${generator.name}` });
      }
    }
  },
});
