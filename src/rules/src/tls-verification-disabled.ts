import { finalStage } from '../../model/docker.js';
import { defineRule } from '../rule.js';
import { notRunOnEcs } from './_deployment.js';

export default defineRule({
  id: 'src/tls-verification-disabled',
  severity: 'high',
  title: 'TLS certificate verification disabled',
  security: true,
  messages: {
    option: {
      message: '{{text}}{{context}} turns off certificate verification: the connection accepts any certificate, so anyone on the network path can impersonate the server',
      fix: 'verify the server: for RDS/Aurora pass the AWS RDS CA bundle (ssl: { ca: fs.readFileSync("global-bundle.pem") }) or use sslmode=verify-full; for other services pass their CA with the "ca" option',
    },
    env: {
      message: '{{text}} disables certificate verification for every TLS connection the process makes (HTTPS calls, database, AWS SDK)',
      fix: 'remove NODE_TLS_REJECT_UNAUTHORIZED; give the client that needs it the right CA instead (NODE_EXTRA_CA_CERTS=/path/ca.pem for the whole process)',
    },
  },
  check(model, report, analysis) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (notRunOnEcs(model, analysis, service)) continue;
      for (const fact of service.tls) {
        // `if (sslMode === 'require') return { rejectUnauthorized: false }` next to a verify-full branch:
        // libpq's own meaning of the mode the operator picked, not a default that turns verification off.
        if (fact.sslModeBranch) continue;
        const key = `${fact.loc.file}:${fact.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (fact.setting === 'NODE_TLS_REJECT_UNAUTHORIZED') report('env', fact.loc, { text: fact.text });
        else report('option', fact.loc, { text: fact.text, context: fact.context ? ` in ${fact.context}` : '' });
      }
    }
    for (const dockerfile of model.dockerfiles) {
      const stage = finalStage(dockerfile);
      for (const env of stage?.env ?? []) {
        if (env.name === 'NODE_TLS_REJECT_UNAUTHORIZED' && env.value.replace(/["']/g, '') === '0') report('env', env.loc, { text: `ENV NODE_TLS_REJECT_UNAUTHORIZED=${env.value}` });
      }
    }
  },
});
