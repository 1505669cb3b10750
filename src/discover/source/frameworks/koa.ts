import { calleePath, type Node } from '../ast.js';
import { routeFromMethodCall, serverFromListen, staticRoot } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Koa with @koa/router (or koa-router): `router.get('/health', …)`, `app.listen(port)`. Path checks on `ctx.path` are read by the http detector. */
export const koa: Detector = {
  name: 'koa',
  packages: ['koa', '@koa/router', 'koa-router'],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'src/app.ts', 'server.js', 'index.js', 'app.js'],
  hints: /\.(get|post|put|delete|patch|all|listen|use)\s*\(/,
  call(call: Node, ctx: WalkContext) {
    const route = routeFromMethodCall(call);
    if (route) {
      ctx.routes.push({ ...route, framework: 'koa', loc: ctx.loc(call) });
      return;
    }
    if ((calleePath(call) ?? '').endsWith('.use')) {
      staticRoot(call, 'koa', ctx);
      return;
    }
    if ((calleePath(call) ?? '').endsWith('.listen')) {
      // Enabled only in packages that depend on Koa: their `x.listen(port)` starts the Koa server.
      const server = serverFromListen(call, 'koa', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
    }
  },
};
