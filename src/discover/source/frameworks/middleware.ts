import { calleePath, isFunction, memberPath, objectProperties, propertyName, stringValue, unwrap, type Node } from '../ast.js';
import type { GateMiddlewareFact } from '../../../model/source.js';
import type { WalkContext } from './types.js';

/**
 * Middleware of Express (and Nest on Express) that answers a request itself instead of passing it
 * on: HTTPS redirects, authentication gates, host allow-lists. A load balancer's health probe is plain
 * HTTP to the task's IP with no credentials, so any of them in front of the health route fails it.
 */

/** Packages whose middleware redirects plain HTTP to HTTPS. */
const HTTPS_REDIRECT_PACKAGES = new Set(['express-sslify', 'express-enforces-ssl', 'enforce-https', 'express-force-https', 'express-force-ssl', 'express-http-to-https', 'express-https-redirect', 'heroku-ssl-redirect', 'redirect-https']);
/** Packages whose middleware rejects requests without credentials. */
const AUTH_PACKAGES = new Set(['express-jwt', 'express-basic-auth', 'express-openid-connect', 'express-oauth2-jwt-bearer', 'basic-auth-connect', 'connect-ensure-login']);
/** Packages whose middleware rejects requests for unknown host names. */
const HOST_CHECK_PACKAGES = new Set(['host-validation', 'express-host-validation', 'allowed-hosts']);

/** Names of middleware that gate access (`requireAuth`, `ensureAuthenticated`, `checkJwt`, `verifyToken`, `isLoggedIn`). */
/** Names of middleware that gate access (`requireAuth`, `ensureAuthenticated`, `checkJwt`, `verifyToken`, `isLoggedIn`, `AuthGuard`). */
const AUTH_NAME = /auth|jwt|(verify|check|validate|require|ensure)\w*(token|login|session|user|key)|logged_?in|protect|guard/i;
/** A router or a route module mounted without a path passes requests it has no route for. */
const ROUTER_NAME = /(router|routes|controller|controllers|api)$/i;
/** Middleware that only reads credentials when present, or sets things up, and lets everything through. */
const PASS_THROUGH_NAME = /optional|attach|load|parse|populate|initiali[sz]e|context|setup|config|current/i;
/** Modules that hold routes, not middleware (`./routes/auth`, `../controllers/login`). */
const ROUTE_MODULE = /(^|\/)(routes?|routers?|controllers?|api|handlers?|pages)(\/|$)/i;

/** Text in a middleware that lets health probes through (`if (req.path === '/health') return next()`). */
const HEALTH_EXEMPTION = /health|healthz|readiness|liveness|\/ready\b|\/live\b|\/ping\b|ELB-HealthChecker/i;

/**
 * Records `app.use([path,] ...handlers)` when a handler is a gate. `framework` says how it orders:
 * express against the routes of the same object, nest before every controller route.
 */
export function gateMiddleware(call: Node, framework: GateMiddlewareFact['framework'], ctx: WalkContext): void {
  const callee = unwrap(call.callee);
  if (callee?.type !== 'MemberExpression' || propertyName(callee.property) !== 'use' || call.arguments.length === 0) return;
  if (ctx.devOnly()) return;
  let handlers: Node[] = call.arguments;
  let mountPaths: string[] | undefined;
  const first = unwrap(call.arguments[0]);
  const mount = stringValue(first);
  if (mount !== undefined) {
    mountPaths = [mount];
    handlers = handlers.slice(1);
  } else if (first?.type === 'ArrayExpression' && first.elements.every((e: Node) => stringValue(e) !== undefined)) {
    mountPaths = first.elements.map((e: Node) => stringValue(e)!);
    handlers = handlers.slice(1);
  } else if (first?.type === 'Literal' && first.regex) return; // a regular-expression mount: coverage unknown
  const on = memberPath(callee.object);
  for (const handler of handlers) {
    const gate = classify(handler, ctx);
    if (!gate) continue;
    ctx.gateMiddleware.push({
      kind: gate.kind,
      text: describe(handler, ctx),
      evidence: gate.evidence,
      ...(on && framework === 'express' ? { on } : {}),
      ...(mountPaths ? { mountPaths } : {}),
      framework,
      loc: ctx.loc(call),
    });
  }
}

/** The middleware for messages: its source when short, `name(…)` for a long call, a line for a function. */
function describe(handler: Node, ctx: WalkContext): string {
  const h = unwrap(handler);
  if (isFunction(h)) return `the middleware function at line ${ctx.loc(h).line}`;
  const text = ctx.source(h);
  if (text.length <= 60 && !text.includes('\n')) return text;
  return h?.type === 'CallExpression' ? `${calleePath(h) ?? 'middleware'}(…)` : text.split('\n')[0].slice(0, 60);
}

function classify(handler: Node, ctx: WalkContext): { kind: GateMiddlewareFact['kind']; evidence: string } | undefined {
  const h = unwrap(handler);
  if (!h) return undefined;
  if (h.type === 'CallExpression') {
    const path = calleePath(h) ?? '';
    const root = path.split('.')[0];
    const from = ctx.importedFrom(root)?.module;
    if (from && HTTPS_REDIRECT_PACKAGES.has(from)) return { kind: 'https-redirect', evidence: from };
    if (from && HOST_CHECK_PACKAGES.has(from)) return { kind: 'host-check', evidence: from };
    if (from === 'express-openid-connect' && path === root) {
      // `auth({ authRequired: false })` only attaches the session; the default requires a login everywhere.
      const required = unwrap(objectProperties(h.arguments[0]).get('authRequired')?.value);
      if (required?.type === 'Literal' && required.value === false) return undefined;
    }
    if (from && AUTH_PACKAGES.has(from)) return { kind: 'auth', evidence: from };
    if (/^passport\.authenticate$/.test(path) || (from === 'passport' && path.endsWith('.authenticate'))) return { kind: 'auth', evidence: 'passport.authenticate' };
    // A local factory (`requireRole('admin')`): judged by the function it returns.
    const local = ctx.constant(root);
    if (path === root && local && isFunction(local)) return byBody(local, ctx);
    return undefined;
  }
  if (isFunction(h)) return byBody(h, ctx);
  if (h.type === 'Identifier' || h.type === 'MemberExpression') {
    const name = memberPath(h) ?? '';
    const local = h.type === 'Identifier' ? ctx.constant(h.name) : undefined;
    if (local && isFunction(local)) return byBody(local, ctx);
    if (local) return undefined; // a value built here (a router, a configured instance): not judged by its name
    const from = h.type === 'Identifier' ? ctx.importedFrom(h.name)?.module : undefined;
    if (from && !from.startsWith('.') && !from.startsWith('@/') && !from.startsWith('~')) return undefined; // a package's export: only the known ones above
    const last = name.split('.').pop() ?? '';
    if (ROUTER_NAME.test(last) || PASS_THROUGH_NAME.test(last) || !AUTH_NAME.test(last)) return undefined;
    if (from && ROUTE_MODULE.test(from)) return undefined;
    return { kind: 'auth', evidence: `named like an authentication middleware${from ? ` (imported from ${from})` : ''}` };
  }
  return undefined;
}

/** A middleware function written in the code: what it answers when it does not call next(). */
function byBody(fn: Node, ctx: WalkContext): { kind: GateMiddlewareFact['kind']; evidence: string } | undefined {
  if ((unwrap(fn).params?.length ?? 0) >= 4) return undefined; // `(err, req, res, next)`: an error handler runs only after an error
  const body = ctx.source(fn);
  if (HEALTH_EXEMPTION.test(body)) return undefined;
  const redirects = /\.redirect\s*\(|\b30[1278]\b/.test(body);
  if (redirects && /x-forwarded-proto|\.secure\b|\.protocol\b/i.test(body)) return { kind: 'https-redirect', evidence: 'redirects requests that are not HTTPS' };
  const rejects = /\b(401|403|421)\b|Unauthori[sz]ed|Forbidden/.test(body);
  if (rejects && /\.hostname\b|headers\.host\b|headers\[['"]host['"]\]|get\(\s*['"]host['"]\s*\)/i.test(body)) return { kind: 'host-check', evidence: 'rejects unknown Host headers' };
  if (rejects && /authori[sz]ation|token|session|user|api[-_]?key|jwt|cookie/i.test(body)) return { kind: 'auth', evidence: 'answers 401/403 without credentials' };
  if (redirects && /['"`]\/(login|signin|sign-in|auth)\b/i.test(body)) return { kind: 'auth', evidence: 'redirects to the login page' };
  return undefined;
}

/** `app.set('trust proxy', 1)`, `app.enable('trust proxy')`: the value as written. */
export function trustProxySetting(call: Node, ctx: WalkContext): boolean {
  const path = calleePath(call) ?? '';
  if (!/\.(set|enable)$/.test(path) || stringValue(call.arguments[0]) !== 'trust proxy') return false;
  const loc = ctx.loc(call);
  if (ctx.trustProxy.some((t) => t.loc.line === loc.line)) return true;
  ctx.trustProxy.push({ value: path.endsWith('.enable') ? 'true' : call.arguments[1] ? ctx.source(call.arguments[1]) : 'undefined', loc });
  return true;
}

/** `req.ip`, `req.ips`, `req.protocol`, `req.secure`: values Express computes from the socket unless it trusts the proxy. */
const PROXY_DEPENDENT = new Set(['ip', 'ips', 'protocol', 'secure']);

export function proxyDependentMember(node: Node, ctx: WalkContext): void {
  if (node.computed || !PROXY_DEPENDENT.has(node.property?.name)) return; // cheap test first: every member of a walked subtree comes here
  const path = memberPath(node);
  const match = path ? /^(req|request)\.(ip|ips|protocol|secure)$/.exec(path) : null;
  if (!match) return;
  const kind = match[2] === 'ips' ? 'req.ip' : (`req.${match[2]}` as 'req.ip' | 'req.protocol' | 'req.secure');
  const loc = ctx.loc(node);
  if (ctx.proxyDependentUses.some((u) => u.loc.line === loc.line && u.loc.column === loc.column)) return; // Nest on Express: both detectors see it
  ctx.proxyDependentUses.push({ kind, text: path!, loc: ctx.loc(node) });
}
