import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import type { Dockerfile, Stage } from '../../model/docker.js';
import { effectiveArgv, splitShell } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import {imageTools, stageChain, stageCommands } from './_build.js';

/** `apk add curl`, `apt-get install -y curl wget`, `dnf install curl`. */
function installsTool(dockerfile: Dockerfile, stage: Stage, tool: string): boolean {
  for (const s of stageChain(dockerfile, stage)) {
    for (const command of stageCommands(s)) {
      const argv = effectiveArgv(command.argv);
      const manager = posix.basename(argv[0] ?? '');
      const verb = argv[1];
      const installs =
        (manager === 'apk' && verb === 'add') ||
        ((manager === 'apt-get' || manager === 'apt') && verb === 'install') ||
        (['yum', 'dnf', 'microdnf'].includes(manager) && verb === 'install');
      if (installs && argv.slice(2).some((w) => w === tool || w.startsWith(`${tool}=`))) return true;
    }
    // A binary copied in from another stage or image (COPY --from=curlimages/curl /usr/bin/curl …).
    if (s.copies.some((c) => c.sources.some((src) => posix.basename(src.value) === tool))) return true;
  }
  return false;
}

/** The HTTP URL a health check command requests, if any. */
function requestedUrl(argv: string[]): { tool: string; url: URL } | undefined {
  for (const command of [argv, ...argv.flatMap((w) => (/\s/.test(w) ? splitShell(w).map((c) => c.argv) : []))]) {
    const program = posix.basename(effectiveArgv(command)[0] ?? '');
    if (program !== 'curl' && program !== 'wget') continue;
    for (const word of command) {
      if (!/^https?:\/\//.test(word)) continue;
      try {
        return { tool: program, url: new URL(word) };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Ports the image says the app listens on: EXPOSE and a literal ENV PORT. */
function appPorts(stage: Stage): string[] {
  const ports = stage.expose.map((p) => p.value.split('/')[0]);
  for (const env of stage.env) if (env.name === 'PORT' && /^\d+$/.test(env.value)) ports.push(env.value);
  return [...new Set(ports)];
}

function serviceFor(model: DeploymentModel, dockerfile: Dockerfile) {
  return model.services.find((s) => s.dockerfiles.includes(dockerfile));
}

export default defineRule({
  id: 'docker/healthcheck',
  severity: 'low',
  title: 'Dockerfile HEALTHCHECK is missing, broken or aimed at the wrong thing',
  messages: {
    noTool: {
      message: 'HEALTHCHECK runs {{tool}}, but {{image}} has no {{tool}} and the Dockerfile never installs it: the check always fails and the container is reported unhealthy',
      fix: 'check with node instead, e.g. HEALTHCHECK CMD ["node", "-e", "fetch(\'http://127.0.0.1:\'+(process.env.PORT||3000)+\'/health\').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"], or install {{tool}} in the final stage',
    },
    noShell: {
      message: 'HEALTHCHECK is in shell form but {{image}} has no /bin/sh: the check cannot start',
      fix: 'use exec form: HEALTHCHECK CMD ["/nodejs/bin/node", "healthcheck.js"] (or the node path of the image)',
    },
    httpForWorker: {
      message: 'HEALTHCHECK requests {{url}}, but {{service}} starts no HTTP server (it is a worker): the check can never pass',
      fix: 'drop the HTTP check; check the worker\'s liveness another way (a heartbeat file, a queue ping) or rely on the process staying up',
    },
    wrongPort: {
      message: 'HEALTHCHECK requests port {{port}}, but the image exposes {{ports}}: the check hits nothing',
      fix: 'request the port the app listens on (or read it from $PORT in a node -e check)',
    },
    unknownPath: {
      message: 'HEALTHCHECK requests {{path}}, which {{service}} does not serve (its routes include {{routes}})',
      fix: 'point the check at a route the app serves, or add a {{path}} route that answers 200',
    },
    missing: {
      message: 'the final stage (FROM {{image}}) exposes {{ports}} but has no HEALTHCHECK, and the repository has no ECS task definition that could define one',
      fix: 'define the check where ECS reads it: the task definition\'s healthCheck (and the target group). Without one, add HEALTHCHECK CMD ["node", "-e", …] requesting the health route',
    },
  },
  check(model, report, analysis) {
    const hasTaskDefinition = model.infra.taskDefinitions.length > 0;
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage || stage.from.unresolved) continue;
      const image = stage.rootImage.raw;
      const health = stage.healthcheck;
      const service = serviceFor(model, dockerfile);
      // A worker by the source analysis, unless the image itself says it serves a port.
      const isWorker = service?.kind === 'worker' && stage.expose.length === 0;
      if (!health) {
        // ECS ignores a Dockerfile HEALTHCHECK: only without a task definition in the repository is it the only check there is.
        const ports = appPorts(stage);
        if (!hasTaskDefinition && !isWorker && (ports.length > 0 || service?.kind === 'http')) {
          report('missing', stage.from.loc, { image, ports: ports.length ? `port ${ports.join(', ')}` : 'an HTTP server' });
        }
        continue;
      }
      if (health.none || !health.command) continue;
      const command = health.command;
      const tools = imageTools(stage);
      if (tools && command.form === 'shell' && !tools.shell) {
        report('noShell', health.loc, { image }, { severity: 'medium' });
        continue;
      }
      const programs = command.form === 'shell'
        ? splitShell(command.text).map((c) => posix.basename(effectiveArgv(c.argv)[0] ?? ''))
        : [posix.basename(effectiveArgv(command.argv)[0] ?? ''), ...command.argv.filter((w) => /\s/.test(w)).flatMap((w) => splitShell(w).map((c) => posix.basename(c.argv[0] ?? '')))];
      let toolMissing = false;
      for (const tool of ['curl', 'wget'] as const) {
        if (!programs.includes(tool) || !tools || tools[tool] || installsTool(dockerfile, stage, tool)) continue;
        report('noTool', health.loc, { tool, image }, { severity: 'medium' });
        toolMissing = true;
        break;
      }
      if (toolMissing) continue;
      const request = requestedUrl(command.form === 'shell' ? splitShell(command.text).flatMap((c) => [c.argv]).flat() : command.argv);
      if (!request) continue;
      const { url } = request;
      if (isWorker && service) {
        report('httpForWorker', health.loc, { url: url.href, service: service.name }, { severity: 'medium' });
        continue;
      }
      // The port the source listens on counts too (a literal, or the default of process.env.PORT).
      const ports = [...new Set([...appPorts(stage), ...(service?.servers ?? []).map((s) => s.port?.value).filter((p): p is number => p !== undefined).map(String)])];
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      const local = ['localhost', '127.0.0.1', '0.0.0.0', '[::1]'].includes(url.hostname);
      if (local && ports.length > 0 && !ports.includes(port)) {
        report('wrongPort', health.loc, { port, ports: ports.join(', ') }, { severity: 'medium' });
        continue;
      }
      const routes = (service?.routes ?? []).filter((r) => r.method === 'GET' || r.method === 'ALL');
      const path = url.pathname.replace(/\/$/, '') || '/';
      const dynamic = routes.some((r) => /[:*{(]/.test(r.path));
      if (local && routes.length > 0 && !dynamic && !routes.some((r) => (r.path.replace(/\/$/, '') || '/') === path)) {
        report('unknownPath', health.loc, {
          path,
          service: service!.name,
          routes: routes.slice(0, 4).map((r) => r.path).join(', '),
        }, { severity: 'medium', related: routes.slice(0, 1).map((r) => ({ ...r.loc, message: `route ${r.method} ${r.path}` })) });
      }
    }
  },
});
