import { defineRule } from '../rule.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', 'ip6-localhost']);

export default defineRule({
  id: 'src/listen-localhost',
  severity: 'high',
  title: 'Server listens on localhost only',
  messages: {
    literal: {
      message: 'the server listens on {{host}}: inside the container only the container itself can reach it, so the load balancer\'s health checks and requests (to the task\'s IP) never arrive',
      fix: 'listen on all interfaces: leave the host out (app.listen(port)) or use "0.0.0.0" ("::" for IPv6 as well)',
    },
    envDefault: {
      message: 'the server listens on ${{env}}, default {{host}}: unless the task sets {{env}}, it binds {{host}} and nothing outside the container can reach it',
      fix: 'default to "0.0.0.0" (or leave the host out) and keep localhost for local development only',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      for (const server of service.servers) {
        const host = server.host;
        if (!host || !LOOPBACK.has(host.value)) continue;
        const key = `${host.loc.file}:${host.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // A host read from the environment with a loopback default: broken only when the variable is missing.
        if (server.hostEnv) report('envDefault', host.loc, { host: host.value, env: server.hostEnv }, { severity: 'medium' });
        else report('literal', host.loc, { host: host.value });
      }
    }
  },
});
