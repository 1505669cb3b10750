import { defineRule } from '../rule.js';
import type { ProxyDependentUse, Service } from '../../model/source.js';
import { loadBalancerInFront } from './_deployment.js';

/** What goes wrong with each use when Express takes the load balancer's address for the client's. */
const CONSEQUENCE: Record<ProxyDependentUse['kind'], string> = {
  'req.ip': "req.ip is the load balancer's private address, the same for every client",
  'req.protocol': "req.protocol is always 'http' (TLS ends at the load balancer), so HTTPS checks redirect forever",
  'req.secure': 'req.secure is always false (TLS ends at the load balancer), so HTTPS checks redirect forever',
  'rate-limit': "every client shares the load balancer's address, so one limit counts the whole traffic (express-rate-limit also throws ERR_ERL_UNEXPECTED_X_FORWARDED_FOR)",
  'secure-cookie': 'express-session sees a plain-HTTP request and never sends the secure session cookie: nobody stays logged in',
};

/** Express serves the service (directly, or under Nest's Express platform). */
function onExpress(service: Service): boolean {
  if (service.servers.some((s) => s.framework === 'express')) return true;
  return service.servers.some((s) => s.framework === 'nest') && !service.externalImports.some((i) => i.packageName === '@nestjs/platform-fastify');
}

/** `app.set('trust proxy', false)` (or `0`) is the default: no trust. */
const trusts = (value: string) => !/^(false|0|undefined|null|'loopback'|"loopback")$/.test(value.trim());

export default defineRule({
  id: 'src/trust-proxy-missing',
  severity: 'medium',
  title: "Express behind the load balancer without 'trust proxy'",
  messages: {
    missing: {
      message: "{{text}} in an Express app behind a load balancer, {{lb}}, that never sets 'trust proxy'{{setting}}: {{consequence}}",
      fix: "trust the one proxy in front: `app.set('trust proxy', 1)` right after creating the app (Nest: `app.set('trust proxy', 1)` on the NestExpressApplication)",
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind !== 'http' || !onExpress(service)) continue;
      if (service.trustProxy.some((t) => trusts(t.value))) continue;
      const lb = loadBalancerInFront(model, service);
      if (!lb) continue;
      const uses: ProxyDependentUse[] = [...service.proxyDependentUses];
      // express-session with `proxy: true` reads X-Forwarded-Proto itself.
      for (const s of service.sessionStores) if (s.secureCookie && !s.trustsProxy) uses.push({ kind: 'secure-cookie', text: 'express-session cookie.secure', loc: s.secureCookie });
      const setting = service.trustProxy.length ? ` (it is set to ${service.trustProxy[0].value} in ${service.trustProxy[0].loc.file}:${service.trustProxy[0].loc.line})` : '';
      // One finding per kind of use and file: the first use says it for the rest.
      for (const use of uses) {
        const key = `${use.loc.file}:${use.kind}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report('missing', use.loc, { text: use.text, lb: lb.where, setting, consequence: CONSEQUENCE[use.kind] }, { key: `${use.kind}`, related: [{ file: lb.loc.file, line: lb.loc.line, message: `load balancer ${lb.where}` }], ...(lb.assumed ? { assumes: lb.assumed } : {}) });
      }
    }
  },
});
