import { defineRule } from '../rule.js';

export default defineRule({
  id: 'src/hardcoded-backend-port',
  severity: 'high',
  title: 'Browser code builds URLs with a backend port',
  messages: {
    port: {
      message: 'browser code builds {{text}} with port {{port}}: behind a load balancer the browser can only reach the listener ports (80/443), not the container port, so the connection fails in production',
      fix: 'build the URL from the page\'s own origin without a port (`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/path`) and let the load balancer route the path; keep the port for local development only (import.meta.env.DEV)',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      for (const url of service.clientUrls) {
        const key = `${url.loc.file}:${url.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report('port', url.loc, { text: url.text.length > 80 ? url.text.slice(0, 77) + '...' : url.text, port: url.port });
      }
    }
  },
});
