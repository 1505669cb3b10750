import { calleePath, memberPath, stringValue, unwrap, type Node } from '../ast.js';
import { recordTimeoutAssignment, recordTimeoutOptions, serverFromListen } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/** Names that hold the request path in hand-written routing (`req.url`, `url.pathname`, `ctx.path`). */
const PATH_HOLDER = /(^|\.)(url|path|pathname|originalUrl|route)$/i;

/**
 * Node's own http/https server: `http.createServer(handler).listen(port, host)` and the routes a
 * handler recognises by comparing the path (`if (req.url === '/health')`, `case '/healthz':`).
 * Koa middlewares that test `ctx.path` are read the same way.
 */
export const http: Detector = {
  name: 'http',
  packages: [],
  entryConventions: ['src/server.ts', 'src/index.ts', 'src/main.ts', 'server.js', 'index.js', 'src/server.js', 'src/index.js'],
  hints: /createServer|\.listen\s*\(|\.(url|path|pathname|originalUrl)\b|case\s+['"`]\/|keepAliveTimeout|headersTimeout/,
  assign(node: Node, ctx: WalkContext) {
    recordTimeoutAssignment(node, ctx);
  },
  call(call: Node, ctx: WalkContext) {
    const path = calleePath(call) ?? '';
    // `http.createServer({ keepAliveTimeout: 65000 }, app)`
    if (/(^|\.)createServer$/.test(path) && unwrap(call.arguments[0])?.type === 'ObjectExpression') recordTimeoutOptions(call.arguments[0], 'createServer option', ctx);
    if (path.endsWith('.listen') && /createServer|from ['"](node:)?https?['"]|require\(['"](node:)?https?['"]\)/.test(ctx.text)) {
      const server = serverFromListen(call, 'http', ctx);
      if (server && !ctx.servers.some((s) => s.loc.line === server.loc.line)) ctx.servers.push(server);
      return;
    }
    // `req.url.startsWith('/health')`
    if (path.endsWith('.startsWith') && PATH_HOLDER.test(path.slice(0, -'.startsWith'.length))) {
      const prefix = stringValue(call.arguments[0]);
      if (prefix?.startsWith('/')) ctx.routes.push({ method: 'ALL', path: prefix, framework: 'http', loc: ctx.loc(call) });
    }
  },
  compare(left: Node, right: Node, at: Node, ctx: WalkContext) {
    const [holder, value] = stringValue(right) !== undefined ? [left, right] : [right, left];
    const path = stringValue(value);
    const holderPath = memberPath(unwrap(holder));
    if (!path?.startsWith('/') || !holderPath || !PATH_HOLDER.test(holderPath)) return;
    if (ctx.routes.some((r) => r.path === path && r.loc.line === ctx.loc(at).line)) return;
    ctx.routes.push({ method: 'ALL', path, framework: 'http', loc: ctx.loc(at) });
  },
};
