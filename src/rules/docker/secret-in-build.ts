import type { EnvEntry } from '../../model/docker.js';
import { defineRule } from '../rule.js';

/** Names that hold credentials: JWT_SECRET, NPM_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY, STRIPE_API_KEY… */
const SECRET_NAME = /(^|_)(SECRET|SECRETS|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY(_ID)?|CREDENTIALS?|AUTH_?TOKEN|CLIENT_SECRET)(_|$)/i;
/** Names about a secret that are not the secret: where it lives, how long it lasts. */
const NOT_A_SECRET = /(_|^)(NAME|ARN|ID|FILE|PATH|DIR|URL_?PATH|TTL|EXPIRY|EXPIRES(_IN)?|LENGTH|HEADER|REGION|VERSION|ENABLED|TYPE)$/i;
/** Values that are credentials whatever the variable is called (only their kind is ever printed). */
const SECRET_VALUES: { kind: string; pattern: RegExp }[] = [
  { kind: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'a GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}/ },
  { kind: 'an npm token', pattern: /\bnpm_[A-Za-z0-9]{30,}/ },
  { kind: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY/ },
  { kind: 'a URL with a password', pattern: /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@$]+@/i },
];

function isSecretName(name: string): boolean {
  // Framework prefixes for values compiled into browser code: public by design.
  if (/^(NEXT_PUBLIC|VITE|REACT_APP|NUXT_PUBLIC|PUBLIC|EXPO_PUBLIC)_/i.test(name)) return false;
  if (/_ID$/i.test(name) && /ACCESS_?KEY_ID$/i.test(name)) return true;
  return SECRET_NAME.test(name) && !NOT_A_SECRET.test(name);
}

function unquote(value: string): string {
  return value.replace(/^["']|["']$/g, '');
}

export default defineRule({
  id: 'docker/secret-in-build',
  severity: 'high',
  title: 'Secret passed through ARG or ENV in a Dockerfile',
  security: true,
  messages: {
    envValue: {
      message: 'ENV {{name}} sets a literal value{{kind}}: it is stored in the image, readable by anyone who can pull it',
      fix: 'remove it from the Dockerfile; give the container the value at run time from Secrets Manager or SSM (the task definition\'s "secrets")',
    },
    envFromArg: {
      message: 'ENV {{name}} copies a build argument into the image: the secret passed at build time ships in every container and in "docker inspect"',
      fix: 'do not bake it in: set {{name}} at run time through the task definition\'s "secrets"; if the build needs it, use RUN --mount=type=secret,id={{id}}',
    },
    arg: {
      message: 'ARG {{name}} passes a secret as a build argument: its value is recorded in the image history and build cache',
      fix: 'use a BuildKit secret instead: RUN --mount=type=secret,id={{id}} … and docker build --secret id={{id}},env={{name}}',
    },
    value: {
      message: '{{keyword}} {{name}} holds {{kind}}: it is stored in the image',
      fix: 'remove the value from the Dockerfile, rotate it, and provide it at run time (task definition "secrets") or through RUN --mount=type=secret',
    },
  },
  check({ dockerfiles }, report) {
    for (const dockerfile of dockerfiles) {
      const seen = new Set<string>();
      const check = (entry: EnvEntry, keyword: 'ARG' | 'ENV') => {
        const key = `${keyword} ${entry.name} ${entry.loc.line}`;
        if (seen.has(key)) return;
        seen.add(key);
        const value = unquote(entry.value);
        const id = entry.name.toLowerCase().replace(/_/g, '-');
        const valueKind = SECRET_VALUES.find((v) => v.pattern.test(value))?.kind;
        if (valueKind && !value.startsWith('$')) {
          report('value', entry.loc, { keyword, name: entry.name, kind: valueKind }, { key: `${keyword} ${entry.name}`, severity: 'critical' });
          return;
        }
        if (!isSecretName(entry.name)) return;
        if (keyword === 'ARG') {
          report('arg', entry.loc, { name: entry.name, id }, { key: `ARG ${entry.name}` });
        } else if (/^\$(\w+|\{\w+(:?[-=?+][^}]*)?\})$/.test(value)) {
          report('envFromArg', entry.loc, { name: entry.name, id }, { key: `ENV ${entry.name}` });
        } else if (value !== '') {
          report('envValue', entry.loc, { name: entry.name, kind: '' }, { key: `ENV ${entry.name}` });
        }
      };
      for (const entry of dockerfile.globalArgs) check(entry, 'ARG');
      for (const stage of dockerfile.stages) {
        for (const entry of stage.args) check(entry, 'ARG');
        // A stage built FROM another repeats its parent's ENV entries: `seen` reports each line once.
        for (const entry of stage.env) check(entry, 'ENV');
      }
    }
  },
});
