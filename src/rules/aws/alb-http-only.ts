import { known, type Listener } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { infraOf } from '../ecs/_common.js';

function protocolOf(l: Listener): string | undefined {
  const p = known(l.protocol)?.toUpperCase();
  if (p) return p;
  if (l.protocol) return undefined;
  // Without a protocol, ALB listeners are HTTP unless they carry a certificate.
  if (l.certificates.length > 0) return 'HTTPS';
  // `listenerPort: config.certificateArn ? 443 : 80`: the protocol follows a value the code decides.
  if (l.port && known(l.port) === undefined) return undefined;
  return known(l.port) === 443 ? undefined : 'HTTP';
}

export default defineRule({
  id: 'aws/alb-http-only',
  severity: 'high',
  title: 'Load balancer serves traffic over plain HTTP',
  security: true,
  messages: {
    noHttps: {
      message: 'the listener on port {{port}} forwards plain HTTP to the service and the load balancer has no HTTPS listener: passwords, tokens and cookies cross the internet unencrypted',
      fix: 'add an HTTPS listener (port 443, an ACM certificate, a TLS 1.2+ policy) that forwards to the target group, and turn this listener into a redirect to HTTPS (status HTTP_301)',
    },
    noRedirect: {
      message: 'the listener on port {{port}} forwards plain HTTP to the service next to the HTTPS listener: clients that type http:// are served unencrypted',
      fix: 'make the HTTP listener\'s default action a redirect to HTTPS (port 443, HTTP_301) instead of a forward',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    for (const listener of infra.listeners) {
      const lb = listener.loadBalancer;
      if (lb && (known(lb.scheme) === 'internal' || (lb.scheme && known(lb.scheme) === undefined))) continue;
      if (lb && known(lb.type) && known(lb.type) !== 'application') continue;
      if (protocolOf(listener) !== 'HTTP' || !listener.defaultActionsComplete) continue;
      const forwards =
        listener.defaultActions.some((a) => known(a.type) === 'forward') || listener.rules.some((r) => r.actions.some((a) => known(a.type) === 'forward'));
      if (!forwards) continue;
      // The HTTPS listeners of the same load balancer (or, when the load balancer is not in the repository, of the same file).
      const siblings = lb ? lb.listeners : infra.listeners.filter((l) => l.file === listener.file && l.loadBalancerRef === listener.loadBalancerRef);
      const hasHttps = siblings.some((l) => l !== listener && protocolOf(l) === 'HTTPS');
      const port = known(listener.port) ?? 80;
      report(hasHttps ? 'noRedirect' : 'noHttps', listener.protocol?.loc ?? listener.loc, { port }, { severity: hasHttps ? 'low' : undefined });
    }
  },
});
