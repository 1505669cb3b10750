import { known } from '../../model/infra.js';
import { healthRoutes, type RouteFact, type Service } from '../../model/source.js';
import { defineRule } from '../rule.js';
import { ecsServicesOf, notRunOnEcs } from './_deployment.js';

/**
 * A route of `/` that answers without running the service's code or dependencies: a handler that
 * only writes a literal response (`app.get('/', (_req, res) => res.send('ok'))`) registered where
 * the server starts (so no router prefix moves it), or a static-file middleware at the root. The
 * load balancer's default probe, `/`, gets a cheap 200 from it.
 */
function cheapRoot(service: Service): RouteFact | undefined {
  const serverFiles = new Set(service.servers.map((s) => s.loc.file));
  return service.routes.find(
    (r) => r.path === '/' && (r.method === 'GET' || r.method === 'ALL') && (r.static || (r.answersOnly === true && serverFiles.has(r.loc.file))),
  );
}

/** The health check paths of the target groups in front of the service's tasks, as the infrastructure writes them. */
function probePaths(model: Parameters<typeof ecsServicesOf>[0], service: Service): string[] {
  const paths = new Set<string>();
  for (const ecs of ecsServicesOf(model, service)) {
    for (const tg of ecs.targetGroups) {
      const path = known(tg.healthCheck?.path);
      if (path) paths.add(path);
    }
  }
  return [...paths];
}

export default defineRule({
  id: 'src/no-health-endpoint',
  severity: 'medium',
  title: 'HTTP service without a health route',
  messages: {
    none: {
      message: 'the {{framework}} server of {{service}} has no health route among the {{count}} routes found (none with health, ready, live, ping or status in its path, and "/" is not a constant answer): the load balancer can only probe "/" or a business route, which may need auth, hit the database or answer 404',
      fix: 'add a cheap GET /health that answers 200 without authentication, and point the target group health check (and the task\'s healthCheck) at it',
    },
    readyChecksNothing: {
      message: 'the readiness route {{path}} answers without checking anything (no call, no await in its handler): it reports ready while the database or queue it needs is down',
      fix: 'check what the service needs in it (a SELECT 1 with a short timeout, a Redis PING) and answer 503 when one fails; keep the liveness route cheap',
    },
    noRoutes: {
      message: 'the {{framework}} server of {{service}} starts here but shipready found no route registered in its code, so no health route either (routes may be registered in a way it does not follow)',
      fix: 'add a cheap GET /health that answers 200 without authentication, and point the target group health check at it',
    },
  },
  check(model, report, analysis) {
    for (const service of model.services) {
      if (service.kind !== 'http') continue;
      if (notRunOnEcs(model, analysis, service)) continue;
      const health = healthRoutes(service);
      // A readiness route is there to say "my dependencies answer": one that only writes a response says nothing.
      for (const route of health) {
        if (/ready|readiness/i.test(route.path) && route.answersOnly) report('readyChecksNothing', route.loc, { path: route.path }, { severity: 'low' });
      }
      if (health.length > 0) continue;
      // The probe the infrastructure configures is served: whether it is a good one is ecs/healthcheck's question.
      const probes = probePaths(model, service);
      if (probes.some((p) => service.routes.some((r) => r.path === p && r.method !== 'POST'))) continue;
      if (cheapRoot(service)) continue;
      const server = service.servers[0];
      const data = { framework: server.framework, service: service.name, count: service.routes.length };
      if (service.routes.length > 0) report('none', server.loc, data);
      else report('noRoutes', server.loc, data, { severity: 'low' });
    }
  },
});
