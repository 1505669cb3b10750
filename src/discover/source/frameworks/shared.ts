import type { PortOrDuration, ServerFact } from '../../../model/source.js';
import { isProcessEnv, memberPath, numberValue, objectProperties, propertyName, stringValue, unwrap, type Node } from '../ast.js';
import type { WalkContext } from './types.js';

/**
 * Shapes shared by the router-style frameworks (Express, Fastify, Koa router, Hono): the detectors
 * decide when they apply; these helpers only read the call.
 */

export const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'all', 'head', 'options']);

/** `app.get('/health', handler)` → { method, path }; undefined when the call is not a route registration. */
export function routeFromMethodCall(call: Node): { method: string; path: string; answersOnly?: boolean } | undefined {
  const route = routeShape(call);
  if (!route) return undefined;
  const only = answersOnly(call.arguments[call.arguments.length - 1]);
  return only === undefined ? route : { ...route, answersOnly: only };
}

function routeShape(call: Node): { method: string; path: string } | undefined {
  const callee = unwrap(call.callee);
  if (callee?.type !== 'MemberExpression' || callee.computed) return undefined;
  const method = propertyName(callee.property);
  if (!method || !ROUTE_METHODS.has(method) || call.arguments.length < 1) return undefined;
  // `router.route('/health').get(list)`, `.route('/x').get(a).post(b)`: the path is the route's; one handler is enough.
  const routePath = chainedRoutePath(unwrap(callee.object));
  if (routePath !== undefined) return { method: method === 'all' ? 'ALL' : method.toUpperCase(), path: routePath };
  // `app.get('env')` reads a setting: a route has a path and a handler.
  if (call.arguments.length < 2) return undefined;
  const path = stringValue(call.arguments[0]);
  if (path === undefined || !path.startsWith('/')) return undefined;
  return { method: method === 'all' ? 'ALL' : method.toUpperCase(), path };
}

/** The path of `x.route('/p')` at the head of a chain of method registrations (`x.route('/p').get(a).post(b)`). */
function chainedRoutePath(object: Node): string | undefined {
  let inner = object;
  for (let i = 0; i < 8 && inner?.type === 'CallExpression'; i++) {
    const callee = unwrap(inner.callee);
    if (callee?.type !== 'MemberExpression') return undefined;
    const name = propertyName(callee.property);
    if (name === 'route') {
      const path = stringValue(inner.arguments[0]);
      return path?.startsWith('/') ? path : undefined;
    }
    if (!name || !ROUTE_METHODS.has(name)) return undefined;
    inner = unwrap(callee.object);
  }
  return undefined;
}

/** Calls that only write the response (`res.json`, `reply.code(200).send`, `c.text`, `ctx.body =` needs no call). */
const RESPONSE_CALL = /^(res|response|reply|c|ctx|h)\.(json|send|status|sendStatus|end|code|text|body|type|header|set|writeHead|response)$|\.(json|send|end|code|status|text)$/;

/**
 * Whether an inline route handler only answers (no other call, no await). Undefined when the
 * handler is a reference to a function elsewhere.
 */
export function answersOnly(handler: Node | undefined): boolean | undefined {
  const fn = unwrap(handler);
  if (fn?.type !== 'ArrowFunctionExpression' && fn?.type !== 'FunctionExpression') return undefined;
  let only = true;
  const visit = (node: Node): void => {
    if (!only || !node || typeof node !== 'object') return;
    if (node.type === 'AwaitExpression') only = false;
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const path = memberPath(node.callee) ?? '';
      const inner = unwrap(node.callee);
      // `res.status(200).json(...)`: the chain's root is a response call too.
      const chained = inner?.type === 'MemberExpression' && unwrap(inner.object)?.type === 'CallExpression';
      if (!chained && !RESPONSE_CALL.test(path)) only = false;
      if (chained && !/^(json|send|end|text)$/.test(propertyName(inner.property) ?? '')) only = false;
    }
    for (const key in node) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && typeof value.type === 'string') visit(value);
    }
  };
  visit(fn.body);
  return only;
}

/** Follows a local constant to its initializer, up to a few steps (`const port = process.env.PORT ?? 3000`). */
export function valueOf(node: Node, ctx: { constant(name: string): Node | undefined }): Node {
  let n = unwrap(node);
  for (let i = 0; i < 4 && n?.type === 'Identifier'; i++) {
    const init = ctx.constant(n.name);
    if (!init) break;
    n = unwrap(init);
  }
  return n;
}

/**
 * A port or a duration as the code computes it: a literal, or an environment variable and its
 * default (`Number(process.env.PORT ?? 3000)`, `parseInt(process.env.PORT || '8080', 10)`).
 */
export function portOrDuration(node: Node, ctx: WalkContext): PortOrDuration {
  const loc = ctx.loc(node);
  const text = ctx.source(node);
  const result: PortOrDuration = { text, loc };
  const visit = (raw: Node, depth: number): void => {
    if (depth > 6 || !raw) return;
    const n = valueOf(raw, ctx);
    const literal = numberValue(n);
    if (literal !== undefined) {
      if (result.value === undefined) result.value = literal;
      return;
    }
    if (n.type === 'MemberExpression' && isProcessEnv(n.object)) {
      const name = propertyName(n.property, n.computed);
      if (name && !result.env) result.env = name;
      return;
    }
    if (n.type === 'MemberExpression' && /^(env|config|cfg|settings|ENV|CONFIG)$/.test(memberPath(n.object) ?? '')) {
      // `config.SHUTDOWN_TIMEOUT_MS`, `env.PORT`: a validated environment object keeps the variable's name.
      const name = propertyName(n.property, n.computed);
      if (name && /^[A-Z][A-Z0-9_]*$/.test(name) && !result.env) result.env = name;
      return;
    }
    if (n.type === 'LogicalExpression' && (n.operator === '??' || n.operator === '||')) {
      visit(n.left, depth + 1);
      visit(n.right, depth + 1);
      return;
    }
    if (n.type === 'CallExpression' && n.arguments.length <= 2 && !/(^|\.)(get|getOrThrow)$/.test(memberPath(n.callee) ?? '')) {
      // Number(x), parseInt(x, 10), normalizePort(x), ms(x): the value comes from the first argument.
      visit(n.arguments[0], depth + 1);
      return;
    }
    if (n.type === 'CallExpression' && /(^|\.)(get|getOrThrow)$/.test(memberPath(n.callee) ?? '')) {
      // NestJS ConfigService: `config.get<number>('PORT', 3000)`
      const name = stringValue(n.arguments[0]);
      if (name && /^[A-Z][A-Z0-9_]*$/.test(name)) {
        if (!result.env) result.env = name;
        if (n.arguments[1]) visit(n.arguments[1], depth + 1);
      }
      return;
    }
    if (n.type === 'UnaryExpression' && n.operator === '+') visit(n.argument, depth + 1);
    if (n.type === 'BinaryExpression' && n.operator === '*') {
      // `30 * 1000`
      const a = numberValue(valueOf(n.left, ctx));
      const b = numberValue(valueOf(n.right, ctx));
      if (a !== undefined && b !== undefined && result.value === undefined) result.value = a * b;
    }
  };
  visit(node, 0);
  return result;
}

/** The host a server binds, when written as a literal or an env variable with a literal default. */
function hostOf(node: Node | undefined, ctx: WalkContext): Pick<ServerFact, 'host' | 'hostEnv'> {
  if (!node) return {};
  const n = valueOf(node, ctx);
  const literal = stringValue(n);
  if (literal !== undefined) return { host: { value: literal, loc: ctx.loc(node) } };
  if (n?.type === 'LogicalExpression' && (n.operator === '??' || n.operator === '||')) {
    const fallback = stringValue(valueOf(n.right, ctx));
    const left = unwrap(n.left);
    const env = left?.type === 'MemberExpression' && isProcessEnv(left.object) ? propertyName(left.property, left.computed) : undefined;
    if (fallback !== undefined) return { host: { value: fallback, loc: ctx.loc(node) }, ...(env ? { hostEnv: env } : {}) };
  }
  return {};
}

/**
 * `server.listen(port, host?, cb?)` or `app.listen({ port, host })`. Returns undefined for calls
 * whose first argument cannot be a port (a callback, a string path of a Unix socket).
 */
export function serverFromListen(
  call: Node,
  framework: string,
  ctx: WalkContext,
): ServerFact | undefined {
  const callee = unwrap(call.callee);
  if (callee?.type !== 'MemberExpression' || propertyName(callee.property) !== 'listen') return undefined;
  if (ctx.devOnly()) return undefined; // a development server (`if (isDev) app.listen(3000, 'localhost')`) never runs in the task
  const [first, second] = call.arguments;
  const loc = ctx.loc(call);
  if (!first) return { framework, loc };
  const firstValue = unwrap(first);
  if (firstValue.type === 'ObjectExpression') {
    const props = objectProperties(firstValue);
    const port = props.get('port');
    const host = props.get('host');
    return {
      framework,
      loc,
      ...(port ? { port: portOrDuration(port.shorthand ? port.key : port.value, ctx) } : {}),
      ...(host ? hostOf(host.shorthand ? host.key : host.value, ctx) : {}),
    };
  }
  if (firstValue.type === 'ArrowFunctionExpression' || firstValue.type === 'FunctionExpression') return { framework, loc };
  const asString = stringValue(firstValue);
  if (asString !== undefined && !/^\d+$/.test(asString)) return undefined;
  const secondIsHost = second && unwrap(second).type !== 'ArrowFunctionExpression' && unwrap(second).type !== 'FunctionExpression';
  return { framework, loc, port: portOrDuration(first, ctx), ...(secondIsHost ? hostOf(second, ctx) : {}) };
}

/** Server timeouts a load balancer in front cares about. */
const SERVER_TIMEOUTS = ['keepAliveTimeout', 'headersTimeout'] as const;

/** `{ keepAliveTimeout: 65000, headersTimeout: 66000 }` given to a server factory (Fastify, createServer). */
export function recordTimeoutOptions(options: Node | undefined, via: string, ctx: WalkContext): void {
  const props = objectProperties(options);
  for (const setting of SERVER_TIMEOUTS) {
    const prop = props.get(setting);
    if (!prop) continue;
    ctx.serverTimeouts.push({ setting, value: portOrDuration(prop.shorthand ? prop.key : prop.value, ctx), via, loc: ctx.loc(prop) });
  }
}

/** `server.keepAliveTimeout = 65000`, `app.server.headersTimeout = 66 * 1000` (any object: the property names only exist on Node servers). */
export function recordTimeoutAssignment(assignment: Node, ctx: WalkContext): void {
  if (assignment.operator !== '=') return;
  const left = unwrap(assignment.left);
  if (left?.type !== 'MemberExpression') return;
  const setting = propertyName(left.property, left.computed);
  if (setting !== 'keepAliveTimeout' && setting !== 'headersTimeout') return;
  if (ctx.devOnly()) return;
  ctx.serverTimeouts.push({ setting, value: portOrDuration(assignment.right, ctx), via: `${memberPath(left) ?? setting} =`, loc: ctx.loc(assignment) });
}

/** Packages whose middleware serves a folder's files: `express.static`, serve-static, koa-static, @koa/static. */
const STATIC_PACKAGES = new Set(['serve-static', 'koa-static', '@koa/static', 'koa-static-cache']);

/**
 * `app.use(express.static('public'))`, `app.use('/', serveStatic(dir))`, `app.use(serve('public'))`
 * (koa-static): a static-file middleware at the root, recorded as a GET route of `/`.
 */
export function staticRoot(call: Node, framework: string, ctx: WalkContext): boolean {
  const args: Node[] = call.arguments ?? [];
  const mount = args.length >= 2 ? stringValue(args[0]) : '/';
  if (mount !== '/') return false;
  const middleware = unwrap(args[args.length - 1]);
  if (middleware?.type !== 'CallExpression') return false;
  const callee = unwrap(middleware.callee);
  const path = memberPath(callee) ?? '';
  const root = path.split('.')[0];
  const from = ctx.importedFrom(root)?.module;
  const isStatic = (path.endsWith('.static') && from === 'express') || (!!from && STATIC_PACKAGES.has(from));
  if (!isStatic || ctx.devOnly()) return false;
  const on = memberPath(unwrap(call.callee).object);
  ctx.routes.push({ method: 'GET', path: '/', framework, loc: ctx.loc(call), static: true, ...(on ? { on } : {}) });
  return true;
}
