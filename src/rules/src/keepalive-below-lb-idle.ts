import { defineRule } from '../rule.js';
import type { Analysis } from '../../analysis/index.js';
import { finalStage } from '../../model/docker.js';
import { nodeMajorOfImage } from '../../model/packages.js';
import type { ServerTimeoutFact, Service } from '../../model/source.js';
import { firstAtPlace, loadBalancerInFront, notRunOnEcs } from './_deployment.js';

/** Node's http.Server keepAliveTimeout when nothing sets it (Express, Koa, Nest on Express, plain http), since Node 8. */
const NODE_KEEP_ALIVE_MS = 5_000;
/**
 * Before Node 8 there is no keepAliveTimeout: an idle keep-alive socket lives until the socket
 * timeout, `server.timeout`, 120 s by default, longer than any common ALB idle timeout.
 */
const FIRST_KEEP_ALIVE_MAJOR = 8;
const PRE_8_SOCKET_TIMEOUT_MS = 120_000;

/**
 * The Node major the service's production image runs, when every such image says it: `node:20-alpine`,
 * and the common rebuilds named `…-node` or `…/node` with a numeric tag (`mhart/alpine-node:7.10.1`).
 */
function imageNodeMajor(service: Service, analysis: Analysis): { major: number; image: string } | undefined {
  const images = service.dockerfiles.filter((d) => analysis.scope.dockerfile(d).production).map((d) => finalStage(d)?.rootImage);
  let found: { major: number; image: string } | undefined;
  for (const image of images) {
    if (!image || image.unresolved) return undefined;
    const numeric = /^(\d+)(?:[.-]|$)/.exec(image.tag ?? '');
    const major = nodeMajorOfImage(image) ?? (/(^|[/-])node$/.test(image.name) && numeric ? Number(numeric[1]) : undefined);
    if (major === undefined || (found && found.major !== major)) return undefined;
    found = { major, image: `${image.raw} (${image.loc.file}:${image.loc.line})` };
  }
  return found;
}
/** Fastify sets its server's keepAliveTimeout to 72 s unless told otherwise. */
const FASTIFY_KEEP_ALIVE_MS = 72_000;

/** The service's HTTP server is Fastify (directly, or under Nest's FastifyAdapter). */
function onFastify(service: Service): boolean {
  return service.servers.some((s) => s.framework === 'fastify') || service.externalImports.some((i) => i.packageName === '@nestjs/platform-fastify');
}

const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

function written(t: ServerTimeoutFact): string {
  return t.value.env ? `${t.value.text} (${t.value.env}, default ${t.value.value} ms)` : `${t.value.text}`;
}

export default defineRule({
  id: 'src/keepalive-below-lb-idle',
  severity: 'high',
  title: 'HTTP keep-alive not longer than the load balancer idle timeout',
  messages: {
    defaultKeepAlive: {
      message:
        'the {{framework}} server started here keeps idle connections for {{keepAlive}} ({{origin}}), not longer than the load balancer in front of it: {{lb}}. The ALB reuses idle connections to the task, sends a request into one Node has just closed and answers 502',
      fix: 'set server.keepAliveTimeout above the idle timeout and headersTimeout above that, e.g. `const server = app.listen(port); server.keepAliveTimeout = {{suggested}}; server.headersTimeout = {{suggestedHeaders}};`',
    },
    socketTimeout: {
      message:
        'the {{framework}} server started here runs on Node {{major}} ({{image}}), which has no keepAliveTimeout: an idle connection lives until the 120 s socket timeout (server.timeout), not longer than the load balancer in front of it: {{lb}}. The ALB sends requests into connections Node is closing: random 502s',
      fix: 'set `server.timeout = {{suggested}}` above the idle timeout, or move the image to a supported Node and set keepAliveTimeout/headersTimeout',
    },
    fastifyDefault: {
      message:
        "the fastify server started here keeps idle connections for 72 s (Fastify's default, nothing sets keepAliveTimeout), not longer than the load balancer in front of it: {{lb}}. The ALB reuses idle connections to the task, sends a request into one the server has just closed and answers 502",
      fix: 'pass the timeout to the factory: `fastify({ keepAliveTimeout: {{suggested}} })` (and set `server.headersTimeout` above it on `app.server`)',
    },
    keepAliveTooLow: {
      message: 'keepAliveTimeout is {{written}} = {{keepAlive}}, not longer than the load balancer in front of the server: {{lb}}. The ALB sends requests into connections Node is closing: random 502s',
      fix: 'raise it above the idle timeout: {{suggested}} ms (idle + 5 s), and headersTimeout to {{suggestedHeaders}} ms',
    },
    headersTooLow: {
      message: 'headersTimeout is {{written}} = {{headers}}, not longer than keepAliveTimeout ({{keepAlive}}, {{keepAliveFrom}}): Node can drop a reused connection on its headers timer before the keep-alive ends, and the load balancer answers 502',
      fix: 'set headersTimeout one second above keepAliveTimeout: {{suggestedHeaders}} ms',
    },
  },
  check(model, report, analysis) {
    const once = firstAtPlace();
    for (const service of model.services) {
      if (service.kind !== 'http' || service.servers.length === 0) continue;
      if (notRunOnEcs(model, analysis, service)) continue;
      const lb = loadBalancerInFront(model, service);
      if (!lb) continue;
      const assumes = lb.assumed ? { assumes: lb.assumed } : {};
      const node = imageNodeMajor(service, analysis);
      const idleMs = lb.idleSeconds * 1000;
      const suggested = idleMs + 5000;
      const related = [{ file: lb.loc.file, line: lb.loc.line, message: `load balancer ${lb.description}` }];
      const keepAlives = service.serverTimeouts.filter((t) => t.setting === 'keepAliveTimeout');
      const fastify = onFastify(service);
      let keepAliveMs: number | undefined;
      let keepAliveFrom = '';
      if (node && node.major < FIRST_KEEP_ALIVE_MAJOR) {
        // Node 7 and older have neither keepAliveTimeout nor headersTimeout: only the socket timeout closes an idle connection.
        if (PRE_8_SOCKET_TIMEOUT_MS > idleMs) continue;
        const server = service.servers[0];
        if (once(server.loc)) {
          report('socketTimeout', server.loc, { framework: server.framework, major: node.major, image: node.image, lb: lb.description, suggested }, { related, ...assumes });
        }
        continue;
      }
      if (keepAlives.length === 0) {
        keepAliveMs = fastify ? FASTIFY_KEEP_ALIVE_MS : NODE_KEEP_ALIVE_MS;
        keepAliveFrom = fastify ? "Fastify's default" : "Node's default";
        const server = service.servers[0];
        if (keepAliveMs <= idleMs && once(server.loc)) {
          if (fastify) report('fastifyDefault', server.loc, { lb: lb.description, suggested }, { related, ...assumes });
          else report('defaultKeepAlive', server.loc, { framework: server.framework, keepAlive: seconds(keepAliveMs), origin: `${keepAliveFrom}, nothing sets keepAliveTimeout`, lb: lb.description, suggested, suggestedHeaders: suggested + 1000 }, { related, ...assumes });
        }
      } else {
        for (const t of keepAlives) {
          const ms = t.value.value;
          if (ms === undefined || ms === 0) continue; // 0 turns the timeout off; undefined: computed from something the code does not fix: unknown
          if (keepAliveMs === undefined || ms > keepAliveMs) {
            keepAliveMs = ms;
            keepAliveFrom = `${t.loc.file}:${t.loc.line}`;
          }
          if (ms <= idleMs && once(t.loc)) {
            report('keepAliveTooLow', t.loc, { written: written(t), keepAlive: seconds(ms), lb: lb.description, suggested, suggestedHeaders: suggested + 1000 }, { related, ...assumes });
          }
        }
      }
      if (keepAliveMs === undefined) continue;
      for (const t of service.serverTimeouts.filter((x) => x.setting === 'headersTimeout')) {
        const ms = t.value.value;
        if (ms === undefined || ms === 0 || ms > keepAliveMs || !once(t.loc)) continue;
        report('headersTooLow', t.loc, { written: written(t), headers: seconds(ms), keepAlive: seconds(keepAliveMs), keepAliveFrom, suggestedHeaders: keepAliveMs + 1000 });
      }
    }
  },
});
