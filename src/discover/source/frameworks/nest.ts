import { calleePath, objectProperties, stringValue, unwrap, type Node } from '../ast.js';
import { recordCorsOptions } from './cors.js';
import { recordTrustProxyOption } from './fastify.js';
import { recordTimeoutOptions, serverFromListen } from './shared.js';
import { gateMiddleware, proxyDependentMember, trustProxySetting } from './middleware.js';
import type { Detector, WalkContext } from './types.js';

const HTTP_DECORATORS: Record<string, string> = { Get: 'GET', Post: 'POST', Put: 'PUT', Delete: 'DELETE', Patch: 'PATCH', All: 'ALL', Head: 'HEAD', Options: 'OPTIONS' };

function decoratorCall(decorator: Node): { name: string; args: Node[] } | undefined {
  const expr = unwrap(decorator.expression);
  if (expr?.type === 'CallExpression' && expr.callee.type === 'Identifier') return { name: expr.callee.name, args: expr.arguments };
  if (expr?.type === 'Identifier') return { name: expr.name, args: [] };
  return undefined;
}

function joinPath(prefix: string, path: string): string {
  const parts = [prefix, path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  return '/' + parts.join('/');
}

/**
 * NestJS: routes from `@Controller(prefix)` + `@Get(path)`, the server from `app.listen` after
 * `NestFactory.create`, graceful shutdown from `app.enableShutdownHooks()`, CORS from `enableCors`.
 */
export const nest: Detector = {
  name: 'nest',
  packages: ['@nestjs/core'],
  entryConventions: ['src/main.ts', 'src/main.js', 'main.ts'],
  hints: /@Controller|NestFactory|enableShutdownHooks|enableCors|FastifyAdapter|\.use\s*\(|useWebSocketAdapter|trust proxy|\b(req|request)\.(ip|ips|protocol|secure)\b/,
  member(node: Node, ctx: WalkContext) {
    proxyDependentMember(node, ctx);
  },
  construct(node: Node, ctx: WalkContext) {
    // `new FastifyAdapter({ keepAliveTimeout: 65000 })`
    const callee = unwrap(node.callee);
    if (callee?.type === 'Identifier' && ctx.importedFrom(callee.name)?.module === '@nestjs/platform-fastify') {
      recordTimeoutOptions(node.arguments[0], 'FastifyAdapter option', ctx);
      recordTrustProxyOption(node.arguments[0], ctx);
    }
  },
  klass(node: Node, ctx: WalkContext) {
    const controller = (node.decorators ?? []).map(decoratorCall).find((d: { name: string } | undefined) => d?.name === 'Controller');
    if (!controller) return;
    const first = controller.args[0];
    const prefix = stringValue(first) ?? stringValue(objectProperties(first).get('path')?.value) ?? '';
    for (const member of node.body?.body ?? []) {
      if (member.type !== 'MethodDefinition') continue;
      for (const decorator of member.decorators ?? []) {
        const call = decoratorCall(decorator);
        const method = call ? HTTP_DECORATORS[call.name] : undefined;
        if (!call || !method) continue;
        const path = call.args.length ? stringValue(call.args[0]) : '';
        if (path === undefined) continue;
        ctx.routes.push({ method, path: joinPath(prefix, path), framework: 'nest', loc: ctx.loc(decorator) });
      }
    }
  },
  call(call: Node, ctx: WalkContext) {
    const path = calleePath(call) ?? '';
    if (path.endsWith('.enableShutdownHooks')) {
      // Nest installs SIGTERM/SIGINT listeners that run onModuleDestroy/beforeApplicationShutdown/onApplicationShutdown and close the HTTP server.
      ctx.signalHandlers.push({ signal: 'SIGTERM', loc: ctx.loc(call), calls: [{ value: 'app.close', loc: ctx.loc(call) }], via: 'enableShutdownHooks' });
      return;
    }
    if (trustProxySetting(call, ctx)) return;
    if (path.endsWith('.useWebSocketAdapter')) {
      ctx.realtimeAdapters.push({ value: ctx.source(call), loc: ctx.loc(call) });
      return;
    }
    if (path.endsWith('.use') && /NestFactory/.test(ctx.text)) {
      // `app.use(...)` in main: Nest applies it to every controller route, whatever the order.
      gateMiddleware(call, 'nest', ctx);
      return;
    }
    if (path.endsWith('.enableCors')) {
      recordCorsOptions(call.arguments[0], 'nest enableCors', ctx, call);
      return;
    }
    if (path === 'NestFactory.create') {
      const corsOption = objectProperties(call.arguments[1]).get('cors');
      if (corsOption) {
        const value = unwrap(corsOption.value);
        if (value?.type === 'Literal' && value.value === true) ctx.cors.push({ library: 'nest cors option', origin: '(default)', anyOrigin: true, credentials: false, loc: ctx.loc(corsOption) });
        else if (value?.type === 'ObjectExpression') recordCorsOptions(value, 'nest cors option', ctx, corsOption);
      }
      return;
    }
    if (path.endsWith('.listen') && /NestFactory/.test(ctx.text)) {
      const server = serverFromListen(call, 'nest', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
    }
  },
};
