import { healthRoutes } from '../../model/source.js';
import { isUnresolved, known, servicesRunning, type TargetGroup } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { appPorts, containerName, healthCheckUrls, infraOf, linkedContainers, related, routesAreReadable, servesPath, linkedReport } from './_common.js';

interface HttpCheck {
  source: 'container' | 'target group';
  path: string;
  port?: number;
  loc: Loc;
}

export default defineRule({
  id: 'ecs/healthcheck',
  severity: 'high',
  title: 'Health check does not match the service',
  messages: {
    pathNotServed: {
      message:
        'the {{source}} health check requests {{path}}, which no route of service \'{{service}}\' serves ({{known}}); every check gets a 404, so tasks are marked unhealthy and replaced in a loop. Evidence: {{container}}',
      fix: 'point the health check at a route the app serves ({{suggestion}}), or add a GET {{path}} route that answers 200',
    },
    portNotServed: {
      message: 'the container health check calls port {{port}}, but service \'{{service}}\' listens on {{appPort}} ({{appText}}); the check can never succeed. Evidence: {{container}}',
      fix: 'use the port the app listens on ({{appPort}}) in the health check command',
    },
    workerHttpCheck: {
      message:
        'service \'{{service}}\' starts no HTTP server (a worker), but the {{source}} health check makes an HTTP request to {{path}}: it always fails and ECS keeps killing healthy workers. Evidence: {{container}}',
      fix: 'drop the HTTP health check for this worker (rely on the process staying up) or use a command that checks the worker itself, e.g. a heartbeat file it touches',
    },
    noHealthCheck: {
      message:
        'service \'{{service}}\' serves HTTP but {{container}} has no container health check and its ECS service has no load balancer target group: ECS only notices a crash, never a hung or broken process',
      fix: 'add a container "healthCheck" that calls the app\'s health route{{suggestionSuffix}}, e.g. ["CMD-SHELL", "wget -qO- http://127.0.0.1:PORT/health || exit 1"], or attach the service to a target group with a health check path',
    },
  },
  check(model, reportAny) {
    const infra = infraOf(model);
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const checks: HttpCheck[] = [];
      const hc = container.healthCheck;
      if (hc && !isUnresolved(hc.command.value)) {
        for (const url of healthCheckUrls(hc.command.value)) checks.push({ source: 'container', path: url.path, port: url.port, loc: hc.loc });
      }
      const ecsServices = servicesRunning(infra, task);
      const groups = new Set<TargetGroup>();
      for (const ecs of ecsServices) {
        for (const tg of ecs.targetGroups) {
          const lb = ecs.loadBalancers.find((l) => l.targetGroupRef === tg.resourceName);
          const forContainer = known(lb?.containerName);
          if (forContainer !== undefined && forContainer !== known(container.name)) continue;
          groups.add(tg);
        }
      }
      for (const tg of groups) {
        const h = tg.healthCheck;
        if (h && known(h.enabled) === false) continue;
        const protocol = (known(h?.protocol) ?? known(tg.protocol) ?? 'HTTP').toUpperCase();
        if (protocol !== 'HTTP' && protocol !== 'HTTPS') continue;
        if (h?.path && isUnresolved(h.path.value)) continue;
        // Without a path the target group checks `/`.
        checks.push({ source: 'target group', path: known(h?.path) ?? '/', loc: h?.path?.loc ?? h?.loc ?? tg.loc });
      }

      if (service.kind === 'worker') {
        for (const check of checks) {
          report('workerHttpCheck', check.loc, { service: service.name, source: check.source, path: check.path, container: label }, {
            related: service.entries[0] ? [related(service.entries[0].loc ?? { file: service.entries[0].file, line: 1 }, `entry of service '${service.name}': no HTTP server is started`)] : [],
          });
        }
        continue;
      }
      if (service.kind !== 'http') continue;

      const health = healthRoutes(service);
      const suggestion = health[0] ? `GET ${health[0].path}` : 'a GET /health route';
      if (routesAreReadable(service.routes)) {
        for (const check of checks) {
          if (servesPath(service.routes, check.path)) continue;
          // `/` is answered by static file serving (express.static, a built client's index.html), which
          // registers no route: an unserved `/` cannot be proven, so it is not judged.
          if (check.path.split('?')[0].replace(/\/+$/, '') === '') continue;
          const known_ = health.length ? `its health routes: ${health.map((r) => r.path).join(', ')}` : `${service.routes.length} routes found`;
          report(
            'pathNotServed',
            check.loc,
            { source: check.source, path: check.path, service: service.name, known: known_, container: label, suggestion },
            { related: health[0] ? [related(health[0].loc, `the app serves ${health[0].method} ${health[0].path} here`)] : [] },
          );
        }
      }
      const ports = appPorts(service, container);
      if (ports) {
        for (const check of checks) {
          if (check.source !== 'container' || check.port === undefined) continue;
          if (ports.some((p) => p.port === check.port)) continue;
          report('portNotServed', check.loc, { port: check.port, service: service.name, appPort: ports[0].port, appText: ports[0].text, container: label }, {
            related: [related(ports[0].loc, `the app listens here: ${ports[0].text}`)],
          });
        }
      }
      if (!hc && !container.healthCheckUnresolved && ecsServices.length > 0 && ecsServices.every((s) => s.loadBalancersComplete && s.loadBalancers.length === 0)) {
        report('noHealthCheck', container.loc, { service: service.name, container: `container '${containerName(container)}'`, suggestionSuffix: health[0] ? ` (${health[0].path})` : '' }, {
          severity: 'medium',
          related: service.servers[0] ? [related(service.servers[0].loc, 'the app starts an HTTP server here')] : [],
        });
      }
    }
  },
});
