import { objectProperties, stringValue, unwrap, type Node } from '../ast.js';
import { portOrDuration, routeFromMethodCall, valueOf } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Hono on Node: `app.get('/health', (c) => …)` and `serve({ fetch: app.fetch, port, hostname })` from @hono/node-server. */
export const hono: Detector = {
  name: 'hono',
  packages: ['hono', '@hono/node-server'],
  entryConventions: ['src/index.ts', 'src/server.ts', 'src/main.ts'],
  hints: /\.(get|post|put|delete|patch|all|on)\s*\(|\bserve\s*\(/,
  call(call: Node, ctx: WalkContext) {
    const route = routeFromMethodCall(call);
    if (route) {
      ctx.routes.push({ ...route, framework: 'hono', loc: ctx.loc(call) });
      return;
    }
    const callee = unwrap(call.callee);
    if (callee?.type !== 'Identifier' || ctx.importedFrom(callee.name)?.module !== '@hono/node-server') return;
    const options = objectProperties(call.arguments[0]);
    const port = options.get('port');
    const host = options.get('hostname');
    const hostValue = host ? stringValue(valueOf(host.shorthand ? host.key : host.value, ctx)) : undefined;
    ctx.servers.push({
      framework: 'hono',
      loc: ctx.loc(call),
      ...(port ? { port: portOrDuration(port.shorthand ? port.key : port.value, ctx) } : { port: { value: 3000, text: '(default 3000)', loc: ctx.loc(call) } }),
      ...(host && hostValue !== undefined ? { host: { value: hostValue, loc: ctx.loc(host) } } : {}),
    });
  },
};
