import { calleePath, memberPath, objectProperties, stringValue, unwrap, type Node } from '../ast.js';
import { recordCorsOptions } from './cors.js';
import { recordTimeoutOptions, routeFromMethodCall, serverFromListen } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/**
 * Fastify's `trustProxy` constructor option (`Fastify({ trustProxy: true })`, Nest's `new FastifyAdapter({ trustProxy: 1 })`):
 * Fastify's counterpart of Express's 'trust proxy', read when computing request.ip, request.protocol and request.hostname
 * from the X-Forwarded-* headers the load balancer adds. The value as written: `true`, `1`, `'10.0.0.0/8'`, a function.
 * Options kept in a variable declared in the same file (`const options = { trustProxy: true }`) are followed.
 */
export function recordTrustProxyOption(options: Node | undefined, ctx: WalkContext): void {
  const value = unwrap(options);
  const declared = value?.type === 'Identifier' ? ctx.constant(value.name) : value;
  const prop = objectProperties(declared).get('trustProxy');
  if (!prop) return;
  const loc = ctx.loc(prop);
  if (ctx.trustProxy.some((t) => t.loc.line === loc.line && t.loc.column === loc.column)) return;
  ctx.trustProxy.push({ value: ctx.source(prop.shorthand ? prop.key : prop.value), loc });
}

/** Fastify: shorthand routes, `fastify.route({ method, url })`, `fastify.listen({ port, host })`, `register(cors, opts)`. */
export const fastify: Detector = {
  name: 'fastify',
  packages: ['fastify'],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'src/app.ts', 'server.js', 'index.js', 'app.js'],
  hints: /fastify|\.(get|post|put|delete|patch|all|route|listen|register)\s*\(/i,
  call(call: Node, ctx: WalkContext) {
    const path = calleePath(call) ?? '';
    // `fastify({ keepAliveTimeout: 65000 })`, `Fastify.fastify({...})`: Fastify's own default is 72 s.
    const factory = unwrap(call.callee);
    const factoryName = factory?.type === 'Identifier' ? factory.name : factory?.type === 'MemberExpression' ? memberPath(factory.object) : undefined;
    if (factoryName && ctx.importedFrom(factoryName)?.module === 'fastify') {
      recordTimeoutOptions(call.arguments[0], 'fastify option', ctx);
      recordTrustProxyOption(call.arguments[0], ctx);
      return;
    }
    const route = routeFromMethodCall(call);
    if (route) {
      ctx.routes.push({ ...route, framework: 'fastify', loc: ctx.loc(call) });
      return;
    }
    if (path.endsWith('.route')) {
      const props = objectProperties(call.arguments[0]);
      const url = stringValue(props.get('url')?.value ?? props.get('path')?.value);
      const methodNode = unwrap(props.get('method')?.value);
      const methods: string[] =
        methodNode?.type === 'ArrayExpression'
          ? methodNode.elements.map((e: Node) => stringValue(e)).filter((m: string | undefined): m is string => !!m)
          : [stringValue(methodNode) ?? 'GET'];
      if (url?.startsWith('/')) for (const method of methods) ctx.routes.push({ method: method.toUpperCase(), path: url, framework: 'fastify', loc: ctx.loc(call) });
      return;
    }
    if (path.endsWith('.listen')) {
      const server = serverFromListen(call, 'fastify', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
      return;
    }
    if (path.endsWith('.register')) {
      const plugin = unwrap(call.arguments[0]);
      const from = plugin?.type === 'Identifier' ? ctx.importedFrom(plugin.name)?.module : undefined;
      if (from === '@fastify/cors' || from === 'fastify-cors') {
        recordCorsOptions(call.arguments[1], from, ctx, call);
      } else if (from === 'fastify-healthcheck') {
        ctx.routes.push({ method: 'GET', path: stringValue(objectProperties(call.arguments[1]).get('healthcheckUrl')?.value) ?? '/health', framework: 'fastify', loc: ctx.loc(call) });
      } else if (from === '@fastify/under-pressure') {
        const status = objectProperties(call.arguments[1]).get('exposeStatusRoute');
        const value = status ? unwrap(status.value) : undefined;
        const route = value?.type === 'Literal' && value.value === true ? '/status' : stringValue(value) ?? stringValue(objectProperties(value).get('url')?.value);
        if (route) ctx.routes.push({ method: 'GET', path: route, framework: 'fastify', loc: ctx.loc(call) });
      }
    }
  },
};

