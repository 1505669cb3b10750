import { calleePath, type Node } from '../ast.js';
import { routeFromMethodCall, serverFromListen } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Express (and its router): `app.get('/health', …)`, `router.route('/x').get(…)`, `app.listen(port, host)`. */
export const express: Detector = {
  name: 'express',
  packages: ['express'],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'src/app.ts', 'server/index.ts', 'server.js', 'index.js', 'app.js', 'src/server.js', 'src/index.js'],
  hints: /\.(get|post|put|delete|patch|all|route|listen)\s*\(/,
  call(call: Node, ctx: WalkContext) {
    const route = routeFromMethodCall(call);
    if (route) {
      ctx.routes.push({ ...route, framework: 'express', loc: ctx.loc(call) });
      return;
    }
    const path = calleePath(call) ?? '';
    if (path.endsWith('.listen')) {
      const server = serverFromListen(call, 'express', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
    }
  },
};
