import { defineRule } from '../rule.js';
import type { GateMiddlewareFact, RouteFact } from '../../model/source.js';
import { healthRoutes } from '../../model/source.js';

const WHAT: Record<GateMiddlewareFact['kind'], string> = {
  'https-redirect': 'redirects plain HTTP to HTTPS (the probe is plain HTTP and carries no X-Forwarded-Proto: https), so it gets 301/302',
  auth: 'requires credentials the probe does not send, so it gets 401/403 or a redirect to the login page',
  'host-check': "rejects unknown Host headers (the probe's Host is the task's private IP), so it gets 4xx",
};

/** The middleware's mount covers the route's path (`app.use(auth)`, `app.use('/', auth)`; not `app.use('/api', auth)` for `/health`). */
function covers(gate: GateMiddlewareFact, route: RouteFact): boolean {
  if (!gate.mountPaths) return true;
  return gate.mountPaths.some((mount) => {
    const prefix = mount.replace(/\/+$/, '');
    return prefix === '' || prefix === '*' || route.path === prefix || route.path.startsWith(prefix + '/');
  });
}

/** Registered before: same file and object, earlier in the text (Express runs middleware and routes in registration order). */
function before(gate: GateMiddlewareFact, route: RouteFact): boolean {
  if (gate.framework === 'nest') return route.framework === 'nest'; // global middleware runs before every controller route
  if (route.framework !== 'express' || gate.loc.file !== route.loc.file || !gate.on || gate.on !== route.on) return false;
  return gate.loc.line < route.loc.line || (gate.loc.line === route.loc.line && (gate.loc.column ?? 0) < (route.loc.column ?? 0));
}

export default defineRule({
  id: 'src/health-route-intercepted',
  severity: 'high',
  title: 'Health route behind a redirect, auth or host-check middleware',
  messages: {
    global: {
      message: '{{text}} ({{evidence}}) is applied by the Nest app to every route, the health route {{method}} {{path}} ({{routeAt}}) included, and {{what}}: the target group marks every task unhealthy',
      fix: "mount it on the paths it protects (a Nest middleware consumer with `.exclude('{{path}}')`, or `app.use('/api', …)`), or let the health path through it",
    },
    intercepted: {
      message: '{{text}} ({{evidence}}) is registered before the health route {{method}} {{path}} ({{routeAt}}) and {{what}}: the target group marks every task unhealthy',
      fix: 'register the health route before this middleware, or let the health path through it (`if (req.path === \'{{path}}\') return next()`)',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind !== 'http' || service.gateMiddleware.length === 0) continue;
      for (const route of healthRoutes(service)) {
        for (const gate of service.gateMiddleware.filter((g) => covers(g, route) && before(g, route))) {
          const key = `${gate.loc.file}:${gate.loc.line}:${route.path}`;
          if (seen.has(key)) continue;
          seen.add(key);
          report(
            gate.framework === 'nest' ? 'global' : 'intercepted',
            gate.loc,
            { text: gate.text, evidence: gate.evidence, method: route.method, path: route.path, routeAt: `${route.loc.file}:${route.loc.line}`, what: WHAT[gate.kind] },
            { key: `${gate.text}:${route.path}`, related: [{ file: route.loc.file, line: route.loc.line, message: `health route ${route.method} ${route.path}` }] },
          );
        }
      }
    }
  },
});
