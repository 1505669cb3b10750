import { finalStage, stageCommands, type Dockerfile, type Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import { known } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { effectiveArgv } from '../../model/shell.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import {stageChain } from './_build.js';
import { NON_ROOT_BASES } from './runs-as-root.js';

/** Ports below this need root or CAP_NET_BIND_SERVICE (net.ipv4.ip_unprivileged_port_start defaults to 1024). */
const FIRST_UNPRIVILEGED_PORT = 1024;

interface PortEvidence {
  port: number;
  loc: Loc;
  /** For messages: "app.listen(80) in src/server.ts:12", "ENV PORT=80", "EXPOSE 80". */
  text: string;
}

function numeric(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/** The non-root user the final stage runs as, or undefined when it runs as root (or the user is unknown). */
function nonRootUser(stage: Stage): { text: string; loc: Loc } | undefined {
  if (stage.user) {
    const value = stage.user.value.trim();
    if (/^(root|0)(:.*)?$/.test(value) || value.includes('$')) return undefined;
    return { text: `USER ${value}`, loc: stage.user.loc };
  }
  if (NON_ROOT_BASES.test(stage.rootImage.raw)) return { text: `the ${stage.rootImage.raw} image's nonroot user`, loc: stage.from.loc };
  return undefined;
}

/** A capability grant in the image: setcap cap_net_bind_service on the node binary, or authbind. */
function grantsBindCapability(dockerfile: Dockerfile, stage: Stage): boolean {
  if (stage.osPackages.some((p) => p.value === 'authbind')) return true;
  return stageChain(dockerfile, stage).some((s) =>
    stageCommands(s).some((c) => {
      const argv = effectiveArgv(c.argv);
      return argv[0] === 'setcap' && argv.some((w) => /cap_net_bind_service/i.test(w));
    }),
  );
}

/**
 * The port the server of this image listens on, with the evidence: the listen call in the service's
 * source (its PORT variable resolved with the image's ENV and the task definition's environment),
 * else ENV PORT, else EXPOSE. Undefined when nothing says.
 */
function listenPort(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): PortEvidence | undefined {
  const services = model.services.filter((s) => s.dockerfiles.includes(dockerfile));
  const taskEnv = (name: string): { value: number; loc: Loc } | undefined => {
    for (const task of model.infra.taskDefinitions) {
      for (const container of task.containers) {
        if (!container.link || !services.includes(container.link.service)) continue;
        const variable = container.environment.find((e) => e.name === name);
        const value = numeric(known(variable?.value));
        if (variable && value !== undefined) return { value, loc: variable.loc };
      }
    }
    return undefined;
  };
  const sourcePorts: PortEvidence[] = [];
  for (const service of services) {
    for (const server of service.servers) {
      const port = server.port;
      if (!port) continue;
      const where = `${port.loc.file}:${port.loc.line}`;
      if (port.env) {
        const fromTask = taskEnv(port.env);
        if (fromTask) {
          sourcePorts.push({ port: fromTask.value, loc: port.loc, text: `${port.text} in ${where}, with ${port.env}=${fromTask.value} from the task definition (${fromTask.loc.file}:${fromTask.loc.line})` });
          continue;
        }
        const fromImage = stage.runtimeEnv.get(port.env);
        const imageValue = numeric(fromImage?.value);
        if (fromImage && imageValue !== undefined) {
          sourcePorts.push({ port: imageValue, loc: fromImage.loc, text: `ENV ${port.env}=${imageValue}, which ${port.text} in ${where} reads` });
          continue;
        }
        if (fromImage) return undefined; // set to something the audit cannot read
      }
      if (port.value !== undefined) {
        const text = port.env ? `listen(${port.text}) at ${where}: ${port.env} defaults to ${port.value} and neither the image nor a task definition sets it` : `listen(${port.text}) at ${where}`;
        sourcePorts.push({ port: port.value, loc: port.loc, text });
      }
    }
  }
  if (sourcePorts.length > 0) {
    // Several servers: judge only when every one of them is privileged.
    return sourcePorts.every((p) => p.port < FIRST_UNPRIVILEGED_PORT) ? sourcePorts[0] : undefined;
  }
  if (services.some((s) => s.servers.length > 0)) return undefined;
  const envPort = stage.runtimeEnv.get('PORT');
  if (envPort) {
    const value = numeric(envPort.value);
    const fromTask = taskEnv('PORT');
    if (fromTask) return fromTask.value < FIRST_UNPRIVILEGED_PORT ? { port: fromTask.value, loc: fromTask.loc, text: `PORT=${fromTask.value} in the task definition` } : undefined;
    return value !== undefined ? { port: value, loc: envPort.loc, text: `ENV PORT=${value}` } : undefined;
  }
  const exposed = stage.expose.map((e) => ({ port: numeric(e.value.replace(/\/(tcp|udp)$/i, '')), loc: e.loc, raw: e.value }));
  if (exposed.length > 0) {
    if (exposed.some((e) => e.port === undefined || e.port >= FIRST_UNPRIVILEGED_PORT)) return undefined;
    return { port: exposed[0].port!, loc: exposed[0].loc, text: `EXPOSE ${exposed[0].raw}` };
  }
  // Nothing in the image or the source: the containerPort the task definition sends traffic to.
  const mapped = model.infra.taskDefinitions
    .flatMap((t) => t.containers)
    .filter((c) => c.link && services.includes(c.link.service))
    .flatMap((c) => c.portMappings.map((p) => ({ port: known(p.containerPort), loc: p.containerPort?.loc ?? p.loc })));
  if (mapped.length === 0 || mapped.some((m) => m.port === undefined || m.port >= FIRST_UNPRIVILEGED_PORT)) return undefined;
  return { port: mapped[0].port!, loc: mapped[0].loc, text: `containerPort ${mapped[0].port} in the task definition, where the load balancer sends traffic` };
}

export default defineRule({
  id: 'docker/privileged-port-non-root',
  severity: 'high',
  title: 'Non-root container listens on a port below 1024',
  messages: {
    privilegedPort: {
      message: 'the container\'s port is {{port}} ({{evidence}}) but the final stage runs as {{user}}: an unprivileged process cannot bind a port below 1024, so it crashes with "listen EACCES: permission denied 0.0.0.0:{{port}}" (Docker Desktop allows it, Fargate does not, and Fargate cannot add NET_BIND_SERVICE)',
      fix: 'listen on a port of 1024 or above (e.g. ENV PORT=8080, containerPort 8080; the load balancer keeps 80/443 on its listener), or grant the server binary the capability in the image (RUN setcap cap_net_bind_service=+ep "$(command -v node)", with libcap installed)',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved) continue;
      const user = nonRootUser(stage);
      if (!user || grantsBindCapability(dockerfile, stage)) continue;
      // The task definition may run the container as root (user "0"): then it can bind.
      const services = model.services.filter((s) => s.dockerfiles.includes(dockerfile));
      const taskUsers = model.infra.taskDefinitions.flatMap((t) => t.containers).filter((c) => c.link && services.includes(c.link.service)).map((c) => known(c.user));
      if (taskUsers.some((u) => u !== undefined && /^(root|0)(:.*)?$/.test(u))) continue;
      const port = listenPort(model, dockerfile, stage);
      if (!port || port.port >= FIRST_UNPRIVILEGED_PORT || port.port === 0) continue;
      const related: RelatedLocation[] = [{ ...user.loc, message: `runs as ${user.text.replace(/^USER /, '')}` }];
      report('privilegedPort', port.loc, { port: port.port, evidence: port.text, user: user.text }, { related, key: `${dockerfile.path} ${port.port}` });
    }
  },
});
