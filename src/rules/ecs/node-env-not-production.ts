import { finalStage } from '../../model/docker.js';
import { known } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { nodeMajorOfImage } from '../../model/packages.js';
import { defineRule } from '../rule.js';
import { linkedContainers, related, linkedReport } from './_common.js';
import { containerStartSteps } from './migrations-on-boot.js';

/** Public base images known not to set NODE_ENV themselves (a company base image might). */
const PLAIN_BASES = /(^|\/)(node|alpine|debian|ubuntu|amazonlinux|busybox|distroless\/nodejs\d*(-debian\d+)?|chainguard\/node|wolfi-base)$/;

/** `NODE_ENV=x node …`, `env NODE_ENV=x …`, `cross-env NODE_ENV=x …` in a start command. */
function nodeEnvInCommand(argv: string[]): string | undefined {
  for (const word of argv) {
    const m = /^NODE_ENV=(.*)$/.exec(word);
    if (m) return m[1].replace(/^["']|["']$/g, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && !/^(env|cross-env|npx|exec)$/.test(word) && !word.startsWith('-')) return undefined;
  }
  return undefined;
}

export default defineRule({
  id: 'ecs/node-env-not-production',
  severity: 'medium',
  title: 'NODE_ENV is not production in the container',
  messages: {
    notProduction: {
      message: '{{label}} runs with NODE_ENV={{value}} ({{where}}{{overrides}}): Express, Nest, Next.js and most libraries switch on their production behaviour only for "production" — view caching, terse error pages without stack traces, no dev-only checks',
      fix: 'set NODE_ENV=production for the deployed container (task definition environment, or ENV NODE_ENV=production in the final stage), and use another variable (APP_ENV, DEPLOY_ENV) to tell staging from production',
    },
    unset: {
      message: "{{label}} never sets NODE_ENV: the final stage of {{dockerfile}} (FROM {{image}}) has no ENV NODE_ENV and the task definition's environment does not set it, so the app runs in development mode (stack traces in error responses, no view caching)",
      fix: 'add ENV NODE_ENV=production to the final stage of {{dockerfile}}, or NODE_ENV=production to the container environment in the task definition',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const fromTask = container.environment.find((e) => e.name === 'NODE_ENV');
      if (fromTask && known(fromTask.value) === undefined) continue;
      const steps = containerStartSteps(model, container, service);
      if (!steps) continue;
      // A value on the start command line wins for that process.
      const inCommand = steps.map((s) => ({ s, v: nodeEnvInCommand(s.argv) })).find((x) => x.v !== undefined);
      if (inCommand) {
        if (inCommand.v !== 'production' && !inCommand.v!.includes('$')) {
          const loc: Loc = inCommand.s.via[inCommand.s.via.length - 1] ?? inCommand.s.loc;
          report('notProduction', loc, { label, value: inCommand.v!, where: `set on the start command, ${inCommand.s.where}`, overrides: '' }, { key: `${label}:cmd` });
        }
        continue;
      }
      const dockerfiles = service.dockerfiles.filter((d) => finalStage(d));
      const imageValues = dockerfiles.map((d) => ({ d, env: finalStage(d)!.runtimeEnv.get('NODE_ENV') }));
      if (fromTask) {
        const value = known(fromTask.value)!;
        if (value === 'production') continue;
        const image = imageValues.find((x) => x.env?.value === 'production');
        report('notProduction', fromTask.value.loc, {
          label, value: value === '' ? '(empty)' : value, where: `task definition environment, ${fromTask.value.loc.file}:${fromTask.value.loc.line}`,
          overrides: image ? `, which overrides NODE_ENV=production from ${image.d.path}:${image.env!.loc.line}` : '',
        }, { related: image ? [related(image.env!.loc, 'the image sets NODE_ENV=production')] : [], key: `${label}:task` });
        continue;
      }
      if (!container.environmentComplete || container.environmentFiles.length > 0) continue;
      if (dockerfiles.length !== 1) continue;
      const { d, env } = imageValues[0];
      if (env) {
        if (env.value === undefined || env.value === 'production' || env.value.includes('$')) continue;
        report('notProduction', env.loc, { label, value: env.value === '' ? '(empty)' : env.value, where: `${env.source} in the final stage of ${d.path}`, overrides: ', not overridden by the task definition' }, { key: `${label}:image` });
        continue;
      }
      // Next.js (`next start`, the standalone server.js) and the Remix / React Router servers set NODE_ENV=production themselves.
      if (['next', '@remix-run/serve', '@react-router/serve'].some((p) => service.package?.dependencies.has(p))) continue;
      const root = finalStage(d)!.rootImage;
      if (root.unresolved || (!PLAIN_BASES.test(root.name) && nodeMajorOfImage(root) === undefined)) continue;
      report('unset', container.environmentLoc ?? container.loc, { label, dockerfile: d.path, image: root.raw }, { related: [related(finalStage(d)!.from.loc, `final stage FROM ${finalStage(d)!.from.raw}`)], key: `${label}:unset` });
    }
  },
});
