import type { EnvKey } from '../../model/repo.js';
import { defineRule, type Severity } from '../rule.js';
import { isTestDataPath, isTestPath } from './_paths.js';

/** Key names that hold credentials or connection strings with credentials in them. */
const SECRET_KEY_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|SIGNING|SALT|DSN|WEBHOOK|(DATABASE|DB|MONGO(DB)?|REDIS|POSTGRES|MYSQL|AMQP|RABBITMQ)_?(URL|URI))/i;

/**
 * Prefixes of variables a bundler inlines into browser code (Next, Vite, Create React App, Nx, Expo,
 * Gatsby, Nuxt, Vue CLI, Storybook): public by construction, never secrets.
 */
const PUBLIC_PREFIX = /^(NEXT_PUBLIC_|VITE_|REACT_APP_|NX_REACT_APP_|NX_PUBLIC_|EXPO_PUBLIC_|GATSBY_|NUXT_PUBLIC_|VUE_APP_|STORYBOOK_|PUBLIC_)/;

/** Names of settings that only look like secrets: `PRIVATE_KEY_ROTATION_GRACE_PERIOD`, `TOKEN_TTL`, `BCRYPT_SALT_ROUNDS`, `AUTH_ENABLED`. */
const SETTING_SUFFIX = /(_TTL|_TIMEOUT|_PERIOD|_ROUNDS|_LENGTH|_EXPIRES?(_IN)?|_EXPIRY|_ENABLED|_DISABLED|_ENABLE|_MODE|_TYPE|_URL_PATH|_REDIRECT(_URL|_URI)?|_CALLBACK(_URL)?|_PROVIDER|_ISSUER|_AUDIENCE|_HEADER|_NAME|_ID)$/;

function secretLooking(names: string[]): string[] {
  return [...new Set(names.filter((n) => SECRET_KEY_NAME.test(n) && !PUBLIC_PREFIX.test(n) && !SETTING_SUFFIX.test(n)))];
}

/** Env files of tests and emulators (`.env.test`, `.env.ci`, `.env.e2e`, `.env.emulated`): fixtures, not configuration. */
const TEST_ENV_FILE = /(^|\/)\.env\.(test|testing|ci|e2e|emulated|emulator|mock)(\.|$)/i;

/** At most five names, then a count: the message lists names only, never values. */
function listNames(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}

export default defineRule({
  id: 'repo/env-file-committed',
  severity: 'high',
  title: 'Env file committed to git',
  security: true,
  messages: {
    tracked: {
      message:
        '{{file}} is tracked by git{{since}}{{ignoredNote}}; {{content}}. Every clone has it{{image}}',
      fix: 'run `git rm --cached {{file}}`, add it to .gitignore, commit a {{example}} with the key names and no values, and {{rotate}}; on ECS, values come from the task definition (`environment`, or `secrets` from Secrets Manager / SSM)',
    },
    history: {
      message:
        '{{file}} was committed in {{commit}} ({{date}}, "{{subject}}") and later removed, but git history keeps it in every clone; {{content}}',
      fix: '{{rotate}}: deleting the file does not remove it from history, and rewriting history (git filter-repo) does not help once it was pushed; keep {{file}} in .gitignore',
    },
  },
  check(model, report, analysis) {
    const { git, files } = model;
    if (!git) return;
    const historyByPath = new Map(git.envFilesInHistory.map((h) => [h.path, h]));
    for (const envFile of git.trackedEnvFiles) {
      if (isTestPath(envFile.path) || TEST_ENV_FILE.test(envFile.path)) continue;
      // Placeholders and URLs to localhost are not credentials: a file of only those is hygiene, not a leak.
      const withValue = envFile.keys.filter((k) => k.hasValue);
      const realValues = withValue.filter((k) => !k.trivialValue);
      const secrets = secretLooking(realValues.map((k) => k.name));
      const firstSecret: EnvKey | undefined = realValues.find((k) => secrets.includes(k.name));
      const loc = (firstSecret ?? realValues[0] ?? withValue[0])?.loc ?? { file: envFile.path, line: 1 };
      const added = historyByPath.get(envFile.path);
      const imageCopy = analysis.scope.copiedIntoImage(envFile.path);
      const severity: Severity = secrets.length > 0 ? 'high' : 'low';
      const content = secrets.length > 0
        ? `it holds values for ${listNames(secrets)}`
        : realValues.length > 0
          ? `it holds values for ${listNames(realValues.map((k) => k.name))} (no credential-looking names), and the next value someone fills in is committed too`
          : withValue.length > 0
            ? `it holds only placeholders or local URLs (${listNames(withValue.map((k) => k.name))}), but the first real value anyone fills in gets committed`
            : 'it holds no values yet, but the first value anyone fills in gets committed';
      report(
        'tracked',
        loc,
        {
          file: envFile.path,
          since: added ? ` (added in ${shortCommit(added.commit)}, ${added.date})` : '',
          ignoredNote: files.isGitignored(envFile.path) ? ' although .gitignore lists it (it was committed before the ignore rule)' : '',
          content,
          image: imageCopy ? `, and ${imageCopy.dockerfile.path}:${imageCopy.copy.loc.line} copies it into the image` : '',
          example: `${envFile.path}.example`,
          rotate: secrets.length > 0 ? `rotate ${listNames(secrets)}: they are in the history of every clone` : 'move real values out of the repository',
        },
        { severity, key: `tracked:${envFile.path}` },
      );
    }
    for (const entry of git.envFilesInHistory) {
      if (entry.stillTracked || git.trackedEnvFiles.some((t) => t.path === entry.path)) continue;
      if (isTestDataPath(entry.path) || isTestPath(entry.path) || TEST_ENV_FILE.test(entry.path)) continue;
      const keys = entry.keysWithValue;
      const secrets = secretLooking(keys ?? []);
      // An env file that was committed empty leaked nothing.
      if (keys && keys.length === 0) continue;
      const severity: Severity = keys === undefined || secrets.length > 0 ? 'high' : 'medium';
      const content = keys === undefined
        ? 'its committed content was not checked, so treat every value it held as leaked'
        : secrets.length > 0
          ? `that version holds values for ${listNames(secrets)}`
          : `that version holds values for ${listNames(keys)} (no credential-looking names)`;
      // The file is gone from the tree: point at it when it is still on disk (now ignored), else at the repository.
      const loc = entry.onDisk ? { file: entry.path, line: 1 } : undefined;
      report(
        'history',
        loc,
        {
          file: entry.path,
          commit: shortCommit(entry.commit),
          date: entry.date,
          subject: entry.subject.length > 72 ? `${entry.subject.slice(0, 71)}…` : entry.subject,
          content,
          rotate: secrets.length > 0 ? `rotate ${listNames(secrets)}` : 'rotate every credential that file held',
        },
        { severity, key: `history:${entry.path}:${entry.commit}` },
      );
    }
  },
});
