import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { DeploymentModel } from '../model/index.js';
import { LineMap } from '../model/location.js';
import { isStandInValue, type CommittedEnvFile, type EnvKey, type GitFacts, type SecretCandidate } from '../model/repo.js';
import { SKIPPED_DIRS } from './files.js';

/**
 * `.env`, `.env.production`, `.env.keys`, `api.env`; not `.envrc`, not code or docs named after env
 * files (`.env.ts`, `env.d.ts`, `.env.schema.json`), not dotenv-vault's encrypted `.env.vault`, which
 * is meant to be committed.
 */
export function isEnvFileName(name: string): boolean {
  if (name === '.env') return true;
  if (/\.(ts|tsx|js|mjs|cjs|json|md|txt|sh|py|ya?ml|toml|vault)$/i.test(name)) return false;
  return name.startsWith('.env.') || (name.endsWith('.env') && name.length > 4 && !name.includes('/'));
}

export function isEnvExampleName(name: string): boolean {
  return /(example|sample|template|dist|defaults?|schema)/i.test(name);
}

/**
 * The `KEY=value` lines of an env file's text; values are judged, never kept. With `commented`, the
 * `# KEY=value` lines too (an example file documents optional variables that way), marked as such.
 */
export function parseEnvKeys(text: string, path: string, options: { commented?: boolean } = {}): EnvKey[] {
  const keys: EnvKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) {
      const c = options.commented ? /^\s*#+\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=/.exec(raw) : null;
      if (c) keys.push({ name: c[1], loc: { file: path, line: i + 1 }, hasValue: false, commented: true });
      return;
    }
    const value = m[2].trim().replace(/(^|\s+)#.*$/, '').replace(/^["']|["']$/g, '');
    const key: EnvKey = { name: m[1], loc: { file: path, line: i + 1 }, hasValue: value !== '' };
    if (key.hasValue && isStandInValue(value, m[1])) key.trivialValue = true;
    keys.push(key);
  });
  return keys;
}

/** KEY=value files: their keys and whether each has a value. */
export function discoverEnvFiles(model: DeploymentModel): void {
  for (const path of model.files.paths) {
    const name = posix.basename(path);
    if (!isEnvFileName(name)) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const isExample = isEnvExampleName(name);
    model.envFiles.push({ path, isExample, keys: parseEnvKeys(text, path, { commented: isExample }) });
  }
}

function git(root: string, args: string[], timeoutMs = 5000): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}

/** Committed env files whose content is read back from history; more would only slow a huge history down. */
const MAX_HISTORY_ENV_FILES_READ = 20;

/**
 * Tracked files, tracked env files and every env file ever added in any branch's history. Paths are
 * relative to the audited folder (`--relative`), so auditing a subfolder of a repository sees only
 * that subfolder.
 */
export function discoverGit(model: DeploymentModel): void {
  const inside = git(model.root, ['rev-parse', '--is-inside-work-tree'], 2000);
  if (inside?.trim() !== 'true') return;
  const listed = git(model.root, ['ls-files', '-z']);
  if (listed === undefined) return;
  const tracked = new Set(listed.split('\0').filter(Boolean));
  const facts: GitFacts = { tracked, trackedEnvFiles: [], envFilesInHistory: [] };
  for (const path of tracked) {
    const name = posix.basename(path);
    if (!isEnvFileName(name) || isEnvExampleName(name)) continue;
    // Tracked files can be gitignored (committed before the ignore rule): read them all the same.
    const text = model.files.read(path);
    facts.trackedEnvFiles.push({ path, keys: text === undefined ? [] : parseEnvKeys(text, path) });
  }
  const log = git(model.root, [
    'log', '--all', '--diff-filter=A', '--relative', '--name-only', '--format=%x00%H%x09%as%x09%s', '--',
    ':(glob)**/.env', ':(glob)**/.env.*', ':(glob)**/*.env',
  ], 10000);
  const byPath = new Map<string, CommittedEnvFile>();
  for (const chunk of (log ?? '').split('\0')) {
    const lines = chunk.split('\n').filter((l) => l.trim());
    const header = /^([0-9a-f]{40})\t([^\t]*)\t(.*)$/.exec(lines[0] ?? '');
    if (!header) continue;
    for (const path of lines.slice(1).map((l) => l.trim())) {
      const name = posix.basename(path);
      if (!isEnvFileName(name) || isEnvExampleName(name)) continue;
      // git log lists the newest commit first: the last one seen is the oldest, when the values first leaked.
      byPath.set(path, {
        path,
        commit: header[1],
        date: header[2],
        subject: header[3],
        stillTracked: tracked.has(path),
        onDisk: existsSync(join(model.root, path)),
      });
    }
  }
  let read = 0;
  for (const entry of byPath.values()) {
    if (read++ >= MAX_HISTORY_ENV_FILES_READ) break;
    const text = git(model.root, ['show', `${entry.commit}:./${entry.path}`]);
    if (text !== undefined) entry.keysWithValue = parseEnvKeys(text, entry.path).filter((k) => k.hasValue && !k.trivialValue).map((k) => k.name);
  }
  facts.envFilesInHistory = [...byPath.values()];
  model.git = facts;
}

interface SecretPattern {
  kind: string;
  regex: RegExp;
  /** Index of the capture group holding the secret itself (0 for the whole match). */
  group?: number;
}

/** Credential formats with a recognisable shape. Generic "password=…" guesses are left out: they are mostly placeholders. */
const SECRET_PATTERNS: SecretPattern[] = [
  // Key ids are base32 ([A-Z2-7]) after the prefix; ASIA (temporary keys) also starts words such as
  // ASIAPACIFICNORTHEAST, so those need a digit.
  { kind: 'AWS access key id', regex: /\b(AKIA[A-Z2-7]{16}|ASIA(?=[A-Z2-7]{0,15}[2-7])[A-Z2-7]{16})\b/g, group: 1 },
  // AWS_SECRET_ACCESS_KEY=…, aws_secret_access_key = … (credentials file), secretAccessKey: '…' (SDK config).
  { kind: 'AWS secret access key', regex: /secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi, group: 1 },
  // The header alone is not enough: code that assembles a PEM or documents one has no key body.
  { kind: 'private key', regex: /-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-(?!----)){0,300}?[A-Za-z0-9+/=]{40,}/g },
  { kind: 'GitHub token', regex: /\b(gh[pousr]_[A-Za-z0-9]{36,255})\b/g, group: 1 },
  { kind: 'GitHub token', regex: /\b(github_pat_[A-Za-z0-9_]{60,255})\b/g, group: 1 },
  { kind: 'Slack token', regex: /\b(xox[baprs]-[0-9A-Za-z-]{10,})\b/g, group: 1 },
  { kind: 'Stripe live secret key', regex: /\b((?:sk|rk)_live_[0-9a-zA-Z]{20,})\b/g, group: 1 },
  { kind: 'Google API key', regex: /\b(AIza[0-9A-Za-z_-]{35})\b/g, group: 1 },
  { kind: 'npm token', regex: /\b(npm_[A-Za-z0-9]{36})\b/g, group: 1 },
  { kind: 'SendGrid API key', regex: /\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b/g, group: 1 },
  // OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle.
  { kind: 'OpenAI API key', regex: /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,})/g, group: 1 },
  { kind: 'Anthropic API key', regex: /\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,})/g, group: 1 },
];

/** Every pattern's fixed part, to skip the many files that hold none with one pass. */
const SECRET_PREFILTER = /AKIA|ASIA|[sS]ecret_?[aA]ccess|SECRET_?ACCESS|PRIVATE KEY|gh[pousr]_|github_pat_|xox[baprs]-|_live_|AIza|npm_|SG\.|T3BlbkFJ|sk-ant-/;

const SECRET_SCAN_SKIP = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|[^/]+\.(png|jpe?g|gif|webp|avif|ico|svg|woff2?|ttf|otf|eot|pdf|zip|gz|tgz|br|zst|jar|wasm|node|so|dylib|mp[34]|mov|webm|map|min\.js|min\.css|snap))$/i;

function redact(secret: string): string {
  if (secret.startsWith('-----')) return 'PRIVATE KEY block';
  return secret.length <= 8 ? '…' : `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}

function looksLikePlaceholder(secret: string): boolean {
  return /EXAMPLE|X{6,}|0{8,}|your|dummy|placeholder|changeme|redacted/i.test(secret);
}

/**
 * Credential-shaped strings in every file the repository holds or is about to hold: each walked
 * (not gitignored) file, since `docker build` and the next `git add -A` take them whether tracked or
 * not, plus tracked files that a .gitignore rule added later does not remove from git. Only a
 * redacted preview is kept.
 */
export function discoverSecrets(model: DeploymentModel): void {
  const candidates = new Set(model.files.paths);
  if (model.git) {
    for (const path of model.git.tracked) {
      if (!path.split('/').some((segment) => SKIPPED_DIRS.has(segment))) candidates.add(path);
    }
  }
  for (const path of candidates) {
    if (SECRET_SCAN_SKIP.test(path)) continue;
    // Example env files are scanned too: a real key pasted there leaks like any other; placeholders are skipped below.
    // Binary and oversized files are expected among "every file": skipped without a note.
    const text = model.files.readIfText(path);
    if (text === undefined || !SECRET_PREFILTER.test(text)) continue;
    let lines: LineMap | undefined;
    const seen = new Set<string>();
    for (const pattern of SECRET_PATTERNS) {
      for (const m of text.matchAll(pattern.regex)) {
        const secret = m[pattern.group ?? 0];
        if (looksLikePlaceholder(secret)) continue;
        lines ??= new LineMap(text);
        const line = lines.line(m.index ?? 0);
        if (seen.has(`${line}:${pattern.kind}`)) continue;
        seen.add(`${line}:${pattern.kind}`);
        const found: SecretCandidate = { kind: pattern.kind, loc: { file: path, line }, redacted: redact(secret) };
        if (model.git) found.tracked = model.git.tracked.has(path);
        model.secretCandidates.push(found);
      }
    }
  }
}
