import { calleePath, stringValue, type Node } from '../ast.js';
import { routeFromMethodCall, serverFromListen } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Mount paths that hold a health router (the routes inside are relative to them). */
const HEALTH_MOUNT = /^\/(.*\/)?(health|healthz|healthcheck|ready|readiness|live|liveness|ping|status)\b/i;

/** Express (and its router): `app.get('/health', …)`, `router.route('/x').get(…)`, `app.listen(port, host)`. */
export const express: Detector = {
  name: 'express',
  packages: ['express'],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'src/app.ts', 'server/index.ts', 'server.js', 'index.js', 'app.js', 'src/server.js', 'src/index.js'],
  hints: /\.(get|post|put|delete|patch|all|route|listen|use)\s*\(/,
  call(call: Node, ctx: WalkContext) {
    const route = routeFromMethodCall(call);
    if (route) {
      ctx.routes.push({ ...route, framework: 'express', loc: ctx.loc(call) });
      return;
    }
    const path = calleePath(call) ?? '';
    if (path.endsWith('.use') && call.arguments.length >= 2) {
      // `app.use('/health', healthRouter)`, `app.use('/healthz', healthcheck())`: a health router mounted at a path.
      const mount = stringValue(call.arguments[0]);
      if (mount && HEALTH_MOUNT.test(mount)) ctx.routes.push({ method: 'USE', path: mount, framework: 'express', loc: ctx.loc(call) });
      return;
    }
    if (path.endsWith('.listen')) {
      const server = serverFromListen(call, 'express', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
    }
  },
};
