import { calleePath, memberPath, objectProperties, propertyName, stringValue, unwrap, type Node } from '../ast.js';
import type { Detector, WalkContext } from './types.js';

/**
 * State a process keeps for its clients (socket.io connections and rooms, sessions) and the
 * libraries that read the client's address (rate limiters). One task is fine; several tasks behind
 * a round-robin load balancer each see only their share.
 */

/** The socket.io `Server` constructor or factory, however it was imported. */
function isSocketIoFactory(callee: Node, ctx: WalkContext): boolean {
  const c = unwrap(callee);
  if (c?.type === 'Identifier') return ctx.importedFrom(c.name)?.module === 'socket.io';
  // `new socketio.Server(server)`, `require('socket.io')(server)`
  if (c?.type === 'MemberExpression') return ctx.importedFrom(memberPath(c.object) ?? '')?.module === 'socket.io' && propertyName(c.property) === 'Server';
  if (c?.type === 'CallExpression' && memberPath(c.callee) === 'require') return stringValue(c.arguments[0]) === 'socket.io';
  return false;
}

function recordSocketIo(node: Node, ctx: WalkContext): void {
  // `new Server(httpServer, opts)`, `new Server(opts)`, `new Server(3000, opts)`: the options are the last object.
  const options = [...node.arguments].reverse().find((a: Node) => unwrap(a)?.type === 'ObjectExpression');
  const props = objectProperties(options);
  const transports = unwrap(props.get('transports')?.value);
  const websocketOnly = transports?.type === 'ArrayExpression' && transports.elements.length > 0 && transports.elements.every((e: Node) => stringValue(e) === 'websocket');
  ctx.realtimeServers.push({ library: 'socket.io', websocketOnly, adapterOption: props.has('adapter'), text: ctx.source(node).split('\n')[0].slice(0, 80), loc: ctx.loc(node) });
}

/** socket.io servers and the adapter that shares rooms and broadcasts between processes. */
export const socketIo: Detector = {
  name: 'socket.io',
  packages: ['socket.io', '@nestjs/platform-socket.io'],
  importBased: true,
  hints: /socket\.io|\.adapter\s*\(|WebSocketGateway/,
  construct(node: Node, ctx: WalkContext) {
    if (isSocketIoFactory(node.callee, ctx)) recordSocketIo(node, ctx);
  },
  call(call: Node, ctx: WalkContext) {
    if (isSocketIoFactory(call.callee, ctx)) {
      recordSocketIo(call, ctx);
      return;
    }
    // `io.adapter(createAdapter(pub, sub))`: with an argument it sets the adapter; without, it reads it.
    if ((calleePath(call) ?? '').endsWith('.adapter') && call.arguments.length === 1 && ctx.imports('socket.io')) {
      ctx.realtimeAdapters.push({ value: ctx.source(call).split('\n')[0].slice(0, 80), loc: ctx.loc(call) });
    }
  },
  klass(node: Node, ctx: WalkContext) {
    // Nest: `@WebSocketGateway()` on a class, served by socket.io when @nestjs/platform-socket.io is the platform.
    const decorator = (node.decorators ?? []).find((d: Node) => {
      const e = unwrap(d.expression);
      return (e?.type === 'CallExpression' ? memberPath(e.callee) : memberPath(e)) === 'WebSocketGateway';
    });
    if (!decorator || !ctx.imports('@nestjs/websockets')) return;
    const e = unwrap(decorator.expression);
    recordSocketIo({ ...e, arguments: e.type === 'CallExpression' ? e.arguments : [] }, ctx);
    ctx.realtimeServers[ctx.realtimeServers.length - 1].loc = ctx.loc(decorator);
  },
};

/** Session middleware that keeps sessions in the process unless given a store. */
const SESSION_PACKAGES = new Set(['express-session', '@fastify/session', 'fastify-session']);

/** A `cookie.secure` value that is true in production: `true`, `NODE_ENV === 'production'`, `isProduction`. */
function secureInProduction(value: Node, ctx: WalkContext): boolean {
  const v = unwrap(value);
  if (v?.type === 'Literal') return v.value === true;
  const text = ctx.source(v);
  return /production|\bprod\b|isProd/i.test(text) && !/!==|!=/.test(text);
}

/** express-session (and Fastify's): the store, the secure cookie and the `proxy` option. */
export const sessions: Detector = {
  name: 'sessions',
  packages: [...SESSION_PACKAGES],
  importBased: true,
  hints: /express-session|fastify-session|@fastify\/session/,
  call(call: Node, ctx: WalkContext) {
    const callee = unwrap(call.callee);
    const path = calleePath(call) ?? '';
    const root = path.split('.')[0];
    let library = ctx.importedFrom(root)?.module;
    let options: Node | undefined;
    if (library === 'express-session' && callee?.type === 'Identifier') options = call.arguments[0];
    else if (library && SESSION_PACKAGES.has(library) && path.endsWith('.register')) options = call.arguments[1];
    else if (path.endsWith('.register') && call.arguments[0]) {
      // `fastify.register(fastifySession, { secret })`
      const plugin = unwrap(call.arguments[0]);
      library = plugin?.type === 'Identifier' ? ctx.importedFrom(plugin.name)?.module : undefined;
      if (!library || library === 'express-session' || !SESSION_PACKAGES.has(library)) return;
      options = call.arguments[1];
    } else return;
    if (ctx.devOnly()) return;
    const opts = unwrap(options);
    if (options && opts?.type !== 'ObjectExpression') return; // options built elsewhere: unknown
    const props = objectProperties(opts);
    const storeProp = props.get('store');
    const store = storeProp ? ctx.source(storeProp.value) : undefined;
    // `new MemoryStore()`, `new session.MemoryStore()`, the `memorystore` package: still one process's memory.
    const memoryStore = !!store && (/\bMemoryStore\b/.test(store) || [...(store.match(/\b[A-Za-z_$][\w$]*/g) ?? [])].some((n) => ctx.importedFrom(n)?.module === 'memorystore'));
    const cookie = objectProperties(props.get('cookie')?.value);
    const secure = cookie.get('secure');
    const proxy = unwrap(props.get('proxy')?.value);
    ctx.sessionStores.push({
      library,
      ...(store !== undefined ? { store } : {}),
      inMemory: !storeProp || memoryStore,
      ...(secure && secureInProduction(secure.value, ctx) ? { secureCookie: ctx.loc(secure) } : {}),
      trustsProxy: proxy?.type === 'Literal' && proxy.value === true,
      loc: ctx.loc(call),
    });
  },
};

/** express-rate-limit and express-slow-down: keyed by `req.ip` unless given a `keyGenerator`. */
export const rateLimit: Detector = {
  name: 'rate-limit',
  packages: ['express-rate-limit', 'express-slow-down'],
  importBased: true,
  hints: /express-rate-limit|express-slow-down/,
  call(call: Node, ctx: WalkContext) {
    const callee = unwrap(call.callee);
    if (callee?.type !== 'Identifier') return;
    const from = ctx.importedFrom(callee.name)?.module;
    if (from !== 'express-rate-limit' && from !== 'express-slow-down') return;
    if (objectProperties(call.arguments[0]).has('keyGenerator')) return;
    ctx.proxyDependentUses.push({ kind: 'rate-limit', text: `${callee.name}() from ${from}`, loc: ctx.loc(call) });
  },
};
