import { calleePath, memberPath, stringValue, unwrap, type Node } from '../ast.js';
import { gateMiddleware, proxyDependentMember, trustProxySetting } from './middleware.js';
import { routeFromMethodCall, serverFromListen, staticRoot } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Mount paths that hold a health router (the routes inside are relative to them). */
const HEALTH_MOUNT = /^\/(.*\/)?(health|healthz|healthcheck|ready|readiness|live|liveness|ping|status)\b/i;

/** Express (and its router): `app.get('/health', …)`, `router.route('/x').get(…)`, `app.listen(port, host)`. */
export const express: Detector = {
  name: 'express',
  packages: ['express'],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'src/app.ts', 'server/index.ts', 'server.js', 'index.js', 'app.js', 'src/server.js', 'src/index.js'],
  hints: /\.(get|post|put|delete|patch|all|route|listen|use)\s*\(|trust proxy|\b(req|request)\.(ip|ips|protocol|secure)\b/,
  member(node: Node, ctx: WalkContext) {
    proxyDependentMember(node, ctx);
  },
  call(call: Node, ctx: WalkContext) {
    const route = routeFromMethodCall(call);
    if (route) {
      const on = memberPath(unwrap(call.callee).object);
      ctx.routes.push({ ...route, framework: 'express', loc: ctx.loc(call), ...(on ? { on } : {}) });
      return;
    }
    if (trustProxySetting(call, ctx)) return;
    const path = calleePath(call) ?? '';
    // In a Nest entry the nest detector records `app.use` (global, before every controller).
    if (path.endsWith('.use') && staticRoot(call, 'express', ctx)) return;
    if (path.endsWith('.use') && !/NestFactory/.test(ctx.text)) gateMiddleware(call, 'express', ctx);
    if (path.endsWith('.use') && call.arguments.length >= 2) {
      // `app.use('/health', healthRouter)`, `app.use('/healthz', healthcheck())`: a health router mounted at a path.
      const mount = stringValue(call.arguments[0]);
      if (mount && HEALTH_MOUNT.test(mount)) {
        const on = memberPath(unwrap(call.callee).object);
        ctx.routes.push({ method: 'USE', path: mount, framework: 'express', loc: ctx.loc(call), ...(on ? { on } : {}) });
      }
      return;
    }
    if (path.endsWith('.listen')) {
      const server = serverFromListen(call, 'express', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
    }
  },
};
