import { finalStage, type Dockerfile, type EnvEntry, type Stage } from '../../model/docker.js';
import { isStandInValue, standInKind } from '../../model/repo.js';
import { defineRule } from '../rule.js';

/** Names that hold credentials: JWT_SECRET, NPM_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY, STRIPE_API_KEY… */
const SECRET_NAME = /(^|_)(SECRET|SECRETS|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY(_ID)?|CREDENTIALS?|AUTH_?TOKEN|CLIENT_SECRET)(_|$)/i;
/** Names about a secret that are not the secret: where it lives, how long it lasts. */
const NOT_A_SECRET = /(_|^)(NAME|ARN|ID|FILE|PATH|DIR|URL_?PATH|TTL|EXPIRY|EXPIRES(_IN)?|LENGTH|HEADER|REGION|VERSION|ENABLED|DISABLED|TYPE|PERIOD|SECONDS|MS|MINUTES|HOURS|DAYS|ROUNDS|ROTATION|INTERVAL|TIMEOUT|MODE|PROVIDER|ALGORITHM|ISSUER|AUDIENCE)$/i;
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

/** The final stage and the stages it is built FROM: what the pushed image is made of. */
function shippedStages(dockerfile: Dockerfile): Set<Stage> {
  const chain = new Set<Stage>();
  for (let stage = finalStage(dockerfile); stage && !chain.has(stage); stage = stage.from.stageRef !== undefined ? dockerfile.stages[stage.from.stageRef] : undefined) chain.add(stage);
  return chain;
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
      message: 'ARG {{name}} passes a secret as a build argument{{where}}',
      fix: 'use a BuildKit secret instead: RUN --mount=type=secret,id={{id}} … and docker build --secret id={{id}},env={{name}}; a value the server needs at run time belongs in the task definition\'s "secrets"',
    },
    value: {
      message: '{{keyword}} {{name}} holds {{kind}}: it is stored in the image',
      fix: 'remove the value from the Dockerfile, rotate it, and provide it at run time (task definition "secrets") or through RUN --mount=type=secret',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of model.dockerfiles) {
      const scope = analysis.scope.dockerfile(dockerfile);
      const shipped = shippedStages(dockerfile);
      const seen = new Set<string>();
      // One Dockerfile passing secrets through build arguments is one cause, however many secrets and
      // lines carry them (each ARG, the ENV that copies it); a literal secret is a leak of its own kind.
      const group = (name: string, literal = false) => ({ key: `${dockerfile.path}\u0000${literal ? 'literal' : 'build-arg'}`, label: name });
      const check = (entry: EnvEntry, keyword: 'ARG' | 'ENV', stage: Stage | undefined) => {
        const key = `${keyword} ${entry.name} ${entry.loc.line}`;
        if (seen.has(key)) return;
        seen.add(key);
        const value = unquote(entry.value);
        const id = entry.name.toLowerCase().replace(/_/g, '-');
        const inImage = stage === undefined ? [...shipped].some((s) => s.args.some((a) => a.name === entry.name)) : shipped.has(stage);
        const valueKind = SECRET_VALUES.find((v) => v.pattern.test(value))?.kind;
        // `postgresql://user:pass@localhost:5432/dummy` for `prisma generate`: a stand-in, not a credential.
        if (valueKind && !value.startsWith('$') && !isStandInValue(value, entry.name)) {
          report('value', entry.loc, { keyword, name: entry.name, kind: valueKind }, { key: `${keyword} ${entry.name}`, severity: inImage && scope.production ? 'critical' : 'high', group: group(entry.name, true) });
          return;
        }
        // Build arguments and variables matter where the image ships: a dev or example Dockerfile gets no secrets.
        if (!scope.production || !isSecretName(entry.name)) return;
        if (keyword === 'ARG') {
          report('arg', entry.loc, {
            name: entry.name,
            id,
            where: inImage
              ? ': its value is recorded in the image history of the pushed image and in the build cache'
              : ' to a build stage: the pushed image does not keep it, but the build cache and whatever the build writes with it (a bundle, a generated config) do',
          }, { key: `ARG ${entry.name}`, group: group(entry.name), ...(inImage ? {} : { severity: 'medium' as const }) });
        } else if (/^\$(\w+|\{\w+(:?[-=?+][^}]*)?\})$/.test(value)) {
          // ENV in a build stage does not reach the pushed image; the ARG it copies is reported.
          if (inImage) report('envFromArg', entry.loc, { name: entry.name, id }, { key: `ENV ${entry.name}`, group: group(entry.name) });
        } else if (value !== '' && inImage) {
          // A placeholder in the shipped image is a weak default: the service runs with it unless the task definition overrides it.
          const kind = standInKind(value, entry.name);
          if (kind === 'local' || kind === 'not-secret') return;
          report('envValue', entry.loc, { name: entry.name, kind: kind === 'placeholder' ? ' that looks like a placeholder: unless the task definition overrides it, the service runs with a secret anyone can read in this Dockerfile' : '' }, { key: `ENV ${entry.name}`, group: group(entry.name, true), ...(kind === 'placeholder' ? { severity: 'medium' as const } : {}) });
        }
      };
      for (const entry of dockerfile.globalArgs) check(entry, 'ARG', undefined);
      for (const stage of dockerfile.stages) {
        for (const entry of stage.args) check(entry, 'ARG', stage);
        // A stage built FROM another repeats its parent's ENV entries: `seen` reports each line once.
        for (const entry of stage.env) check(entry, 'ENV', stage);
      }
    }
  },
});
