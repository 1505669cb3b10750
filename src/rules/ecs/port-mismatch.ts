import { isUnresolved, known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { appPorts, containerName, infraOf, linkedContainers, related, linkedReport } from './_common.js';

export default defineRule({
  id: 'ecs/port-mismatch',
  severity: 'high',
  title: 'Container port and app port disagree',
  messages: {
    appPort: {
      message:
        '{{container}} maps containerPort {{containerPorts}}, but the app listens on {{appPort}} ({{appText}}): the load balancer and health checks reach a closed port',
      fix: 'make them agree: set containerPort to {{appPort}}, or set the app\'s port (e.g. a PORT variable in "environment") to {{firstContainerPort}}',
    },
    healthCheckPort: {
      message: 'the target group health check calls port {{port}}, but the container \'{{name}}\' it checks maps only {{containerPorts}}: every check fails and the targets never become healthy',
      fix: 'remove the explicit health check port (the default "traffic-port" is the containerPort ECS registers), or set it to {{firstContainerPort}}',
    },
    exposeMismatch: {
      message: '{{dockerfile}} EXPOSEs {{exposed}}, but {{container}} maps containerPort {{containerPorts}}; EXPOSE is documentation only on ECS, but the two now tell different stories',
      fix: 'make EXPOSE in {{dockerfile}} say {{firstContainerPort}}, the port the task definition maps',
    },
    lbPort: {
      message: 'the ECS service routes the load balancer to container \'{{name}}\' on port {{port}}, but that container maps only {{containerPorts}}; ECS rejects the service (the container port must be in its port mappings)',
      fix: 'use one of the container\'s containerPort values ({{containerPorts}}) in the service\'s load balancer block, or add a port mapping for {{port}}',
    },
  },
  check(model, reportAny) {
    const report = reportAny;
    for (const linked of linkedContainers(model)) {
      const { container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      if (!container.portMappingsComplete || container.portMappings.length === 0) continue;
      const mapped = container.portMappings.map((p) => known(p.containerPort));
      if (mapped.some((p) => p === undefined)) continue;
      for (const dockerfile of service.dockerfiles) {
        const stage = dockerfile.stages[dockerfile.stages.length - 1];
        const exposed = (stage?.expose ?? []).map((e) => ({ port: Number(e.value.split('/')[0]), loc: e.loc })).filter((e) => Number.isInteger(e.port));
        if (exposed.length === 0 || exposed.length !== (stage?.expose.length ?? 0) || exposed.some((e) => mapped.includes(e.port))) continue;
        report('exposeMismatch', container.portMappings[0].containerPort!.loc, {
          dockerfile: dockerfile.path,
          exposed: exposed.map((e) => e.port).join(', '),
          container: label,
          containerPorts: mapped.join(', '),
          firstContainerPort: mapped[0]!,
        }, { severity: 'low', related: [related(exposed[0].loc, `EXPOSE ${exposed.map((e) => e.port).join(' ')}`)] });
      }
      const ports = appPorts(service, container);
      if (!ports) continue;
      if (ports.some((p) => mapped.includes(p.port))) continue;
      report(
        'appPort',
        container.portMappings[0].containerPort!.loc,
        { container: label, containerPorts: mapped.join(', '), appPort: ports[0].port, appText: ports[0].text, firstContainerPort: mapped[0]! },
        { related: [related(ports[0].loc, `the app listens here: ${ports[0].text}`)] },
      );
    }
    for (const ecs of infraOf(model).ecsServices) {
      const task = ecs.taskDefinition;
      if (!task || task.containersUnresolved) continue;
      for (const tg of ecs.targetGroups) {
        const hcPort = tg.healthCheck?.port;
        const port = known(hcPort);
        if (!hcPort || port === undefined || !/^\d+$/.test(port)) continue;
        const lb = ecs.loadBalancers.find((l) => l.targetGroupRef === tg.resourceName);
        const name = known(lb?.containerName);
        const container = name !== undefined ? task.containers.find((c) => known(c.name) === name) : task.containers.length === 1 ? task.containers[0] : undefined;
        if (!container || !container.portMappingsComplete || container.portMappings.length === 0) continue;
        if (container.portMappings.some((p) => p.containerPort === undefined || isUnresolved(p.containerPort.value))) continue;
        const mapped = container.portMappings.map((p) => known(p.containerPort)!);
        if (mapped.includes(Number(port))) continue;
        report('healthCheckPort', hcPort.loc, { port, name: containerName(container), containerPorts: mapped.join(', '), firstContainerPort: mapped[0] }, {
          related: [related(container.portMappings[0].loc, `container '${containerName(container)}' port mappings`)],
        });
      }
      for (const lb of ecs.loadBalancers) {
        const port = known(lb.containerPort);
        const name = known(lb.containerName);
        if (port === undefined || name === undefined) continue;
        const container = task.containers.find((c) => known(c.name) === name);
        if (!container || !container.portMappingsComplete || container.portMappings.length === 0) continue;
        if (container.portMappings.some((p) => p.containerPort === undefined || isUnresolved(p.containerPort.value))) continue;
        const mapped = container.portMappings.map((p) => known(p.containerPort)!);
        if (mapped.includes(port)) continue;
        report('lbPort', lb.containerPort!.loc, { name: containerName(container), port, containerPorts: mapped.join(', ') }, {
          severity: 'critical',
          related: [related(container.portMappings[0].loc, `container '${name}' port mappings`)],
        });
      }
    }
  },
});
