import { allContainers, isUnresolved } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf } from './_common.js';

/** Names that hold credentials. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|CREDENTIALS?|_DSN$|^DSN$)/i;
/** Names that only point at a secret or describe it. */
const NOT_A_SECRET = /(_ARN|_NAME|_ID|_PATH|_FILE|_REGION|_ENABLED|_TTL|_EXPIRY|_EXPIRES(_IN)?|_LENGTH|_ALGORITHM|_HEADER|_ISSUER|_AUDIENCE|_URL|_URI|_HOST|_PORT|_TYPE|_VERSION|_PREFIX|_FIELD|_KEY_ID)$/i;
/** Connection strings: secret when they carry a password. */
const URL_NAME = /(DATABASE_URL|_URL$|_URI$|_DSN$|CONNECTION_STRING)/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:[^@/\s]+@/i;
const PLACEHOLDER = /^(<.*>|changeme|change-me|placeholder|xxx+|todo|dummy|none|null|undefined|-|\*+)$/i;

export default defineRule({
  id: 'ecs/plaintext-secret',
  severity: 'high',
  title: 'Secret passed in plaintext task environment',
  security: true,
  messages: {
    literal: {
      message:
        '{{name}} in the environment of container \'{{container}}\' holds a literal value ({{length}} characters): it is stored in plaintext in the task definition, visible to anyone who can describe it, and committed to the repository',
      fix: 'store the value in Secrets Manager or SSM Parameter Store (SecureString) and move {{name}} to "secrets" with valueFrom its ARN; rotate the value that was committed',
    },
    expression: {
      message:
        '{{name}} in the environment of container \'{{container}}\' is set from {{expression}}: whatever that resolves to is stored in plaintext in the task definition, not injected as a secret',
      fix: 'move {{name}} to "secrets" with valueFrom the ARN of a Secrets Manager secret or SSM SecureString parameter (CDK: ecs.Secret.fromSecretsManager)',
    },
  },
  check(model, report) {
    for (const { container } of allContainers(infraOf(model))) {
      for (const variable of container.environment) {
        const { name } = variable;
        const value = variable.value.value;
        const urlSecret = URL_NAME.test(name) && typeof value === 'string' && URL_WITH_PASSWORD.test(value);
        if (!urlSecret && (!SECRET_NAME.test(name) || NOT_A_SECRET.test(name))) continue;
        if (isUnresolved(value)) {
          // An ARN, id or name of a secret (the code fetches the value itself) is not the secret; a secret's
          // value (`secret_string`, `secretValue`, a `{{resolve:…}}` dynamic reference) is, once in environment.
          if (/(\.(arn|id|name)|Arn|_arn|\.secretArn|\.secretName)\s*\}?$/.test(value.unresolved.trim())) continue;
          report('expression', variable.value.loc, { name, container: containerName(container), expression: value.unresolved }, { severity: 'medium', key: `${containerName(container)}:${name}` });
          continue;
        }
        const v = value.trim();
        // `${JWT_SECRET}`, `{{ jwt_secret }}`: filled in by envsubst or a template before registration.
        if (/^\$\{?[A-Za-z_][\w.]*\}?$|^\{\{.*\}\}$|^#\{.*\}$/.test(v)) {
          report('expression', variable.value.loc, { name, container: containerName(container), expression: `the placeholder ${v}` }, { severity: 'medium', key: `${containerName(container)}:${name}` });
          continue;
        }
        if (v === '' || PLACEHOLDER.test(v) || /^(true|false|\d+)$/i.test(v) || v.startsWith('arn:aws')) continue;
        if (URL_NAME.test(name) && !URL_WITH_PASSWORD.test(v)) continue;
        report('literal', variable.value.loc, { name, container: containerName(container), length: v.length }, { key: `${containerName(container)}:${name}` });
      }
    }
  },
});
