import { calleePath, objectProperties, stringValue, unwrap, type Node } from '../ast.js';
import type { Detector, WalkContext } from './types.js';

/** The `cors` middleware (Express, Connect) and `@koa/cors`: `app.use(cors({ origin, credentials }))`. */
export const cors: Detector = {
  name: 'cors',
  packages: ['cors', '@koa/cors', 'koa2-cors'],
  importBased: true,
  hints: /cors/i,
  call(call: Node, ctx: WalkContext) {
    const callee = unwrap(call.callee);
    if (callee?.type !== 'Identifier') return;
    const from = ctx.importedFrom(callee.name)?.module;
    if (from !== 'cors' && from !== '@koa/cors' && from !== 'koa2-cors') return;
    recordCorsOptions(call.arguments[0], from, ctx, call);
  },
};

/**
 * A hand-written header: `res.setHeader('Access-Control-Allow-Origin', '*')` or one that echoes
 * `req.headers.origin`, with `Access-Control-Allow-Credentials: true` anywhere in the same file.
 */
export const corsHeaders: Detector = {
  name: 'cors-headers',
  packages: [],
  hints: /Access-Control-Allow-Origin/i,
  call(call: Node, ctx: WalkContext) {
    const path = calleePath(call) ?? '';
    if (!/\.(setHeader|header|set|append)$/.test(path) || call.arguments.length < 2) return;
    if (stringValue(call.arguments[0])?.toLowerCase() !== 'access-control-allow-origin') return;
    if (ctx.devOnly()) return;
    const value = unwrap(call.arguments[1]);
    const text = ctx.source(call.arguments[1]);
    const anyOrigin = stringValue(value) === '*' || /headers\.origin|get\(['"]origin['"]\)|header\(['"]origin['"]\)/i.test(text);
    const credentials = /Access-Control-Allow-Credentials['"]\s*,\s*(['"]true['"]|true)/i.test(ctx.text);
    ctx.cors.push({ library: 'header', origin: text, anyOrigin, credentials, loc: ctx.loc(call) });
  },
};

/**
 * Records a CORS options object. Without `origin`, every library here allows any origin: cors,
 * @fastify/cors and Nest answer `*`; @koa/cors echoes the request's own Origin.
 */
export function recordCorsOptions(options: Node | undefined, library: string, ctx: WalkContext, at: Node): void {
  const props = objectProperties(options);
  const originProp = props.get('origin');
  const credentialsNode = unwrap(props.get('credentials')?.value);
  const credentials = credentialsNode?.type === 'Literal' && credentialsNode.value === true;
  if (ctx.devOnly()) return;
  const loc = ctx.loc(originProp ?? at);
  if (!originProp) {
    if (options && unwrap(options)?.type !== 'ObjectExpression') return; // options built elsewhere: unknown
    ctx.cors.push({ library, origin: '(default)', anyOrigin: true, credentials, loc: ctx.loc(at) });
    return;
  }
  const value = unwrap(originProp.shorthand ? ctx.constant(originProp.key.name) ?? originProp.key : originProp.value);
  const text = ctx.source(originProp.value);
  let anyOrigin = false;
  let originEnv: string | undefined;
  if (value?.type === 'Literal' && (value.value === true || value.value === '*')) anyOrigin = true;
  else if (value?.type === 'ArrayExpression' && value.elements.some((e: Node) => stringValue(e) === '*')) anyOrigin = true;
  else if (value?.type === 'LogicalExpression' && (value.operator === '??' || value.operator === '||')) {
    const fallback = unwrap(value.right);
    if (stringValue(fallback) === '*' || (fallback?.type === 'Literal' && fallback.value === true)) {
      anyOrigin = true;
      originEnv = ctx.source(value.left);
    }
  } else if ((value?.type === 'ArrowFunctionExpression' || value?.type === 'FunctionExpression') && reflectsEveryOrigin(value)) anyOrigin = true;
  ctx.cors.push({ library, origin: text, anyOrigin, credentials, ...(originEnv ? { originEnv } : {}), loc });
}

/** `(origin, cb) => cb(null, true)` or `(ctx) => ctx.get('Origin')`: a function that allows every origin. */
function reflectsEveryOrigin(fn: Node): boolean {
  const body = unwrap(fn.body);
  const call = body?.type === 'CallExpression' ? body : body?.type === 'BlockStatement' && body.body.length === 1 && body.body[0].type === 'ExpressionStatement' ? unwrap(body.body[0].expression) : undefined;
  if (call?.type === 'CallExpression' && call.arguments.length === 2) {
    const [err, allow] = call.arguments.map(unwrap);
    if (err?.type === 'Literal' && err.value === null && allow?.type === 'Literal' && allow.value === true) return true;
  }
  return false;
}
