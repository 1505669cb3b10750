import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';
import type { DeploymentModel } from '../model/index.js';
import { LineMap } from '../model/location.js';
import type { EnvFile, GitFacts, SecretCandidate } from '../model/repo.js';

/** `.env`, `.env.production`, `api.env`; not `.envrc`, not `environment.ts`. */
export function isEnvFileName(name: string): boolean {
  return name === '.env' || name.startsWith('.env.') || (name.endsWith('.env') && name.length > 4 && !name.includes('/'));
}

export function isEnvExampleName(name: string): boolean {
  return /(example|sample|template|dist|defaults?|schema)/i.test(name);
}

/** KEY=value files: their keys and whether each has a value. */
export function discoverEnvFiles(model: DeploymentModel): void {
  for (const path of model.files.paths) {
    const name = posix.basename(path);
    if (!isEnvFileName(name)) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const file: EnvFile = { path, isExample: isEnvExampleName(name), keys: [] };
    text.split('\n').forEach((raw, i) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(raw);
      if (m) file.keys.push({ name: m[1], loc: { file: path, line: i + 1 }, hasValue: m[2].trim().replace(/^["']|["']$/g, '') !== '' });
    });
    model.envFiles.push(file);
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

/**
 * Tracked files and every env file ever added in history. Paths are relative to the audited folder
 * (`--relative`), so auditing a subfolder of a repository sees only that subfolder.
 */
export function discoverGit(model: DeploymentModel): void {
  const inside = git(model.root, ['rev-parse', '--is-inside-work-tree'], 2000);
  if (inside?.trim() !== 'true') return;
  const listed = git(model.root, ['ls-files', '-z']);
  if (listed === undefined) return;
  const tracked = new Set(listed.split('\0').filter(Boolean));
  const facts: GitFacts = { tracked, envFilesInHistory: [] };
  const log = git(model.root, [
    'log', '--all', '--diff-filter=A', '--relative', '--name-only', '--format=%x00%H', '--',
    ':(glob)**/.env', ':(glob)**/.env.*', ':(glob)**/*.env',
  ], 10000);
  if (log) {
    let commit = '';
    for (const chunk of log.split('\0')) {
      const lines = chunk.split('\n').map((l) => l.trim()).filter(Boolean);
      if (lines.length === 0) continue;
      if (/^[0-9a-f]{40}$/.test(lines[0])) {
        commit = lines[0];
        lines.shift();
      }
      for (const path of lines) {
        const name = posix.basename(path);
        if (!isEnvFileName(name) || isEnvExampleName(name)) continue;
        if (facts.envFilesInHistory.some((e) => e.path === path)) continue;
        facts.envFilesInHistory.push({ path, commit, stillTracked: tracked.has(path) });
      }
    }
  }
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
  { kind: 'AWS access key id', regex: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/g, group: 1 },
  { kind: 'AWS secret access key', regex: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi, group: 1 },
  { kind: 'private key', regex: /-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: 'GitHub token', regex: /\b(gh[pousr]_[A-Za-z0-9]{36,255})\b/g, group: 1 },
  { kind: 'GitHub token', regex: /\b(github_pat_[A-Za-z0-9_]{60,255})\b/g, group: 1 },
  { kind: 'Slack token', regex: /\b(xox[baprs]-[0-9A-Za-z-]{10,})\b/g, group: 1 },
  { kind: 'Stripe live secret key', regex: /\b((?:sk|rk)_live_[0-9a-zA-Z]{20,})\b/g, group: 1 },
  { kind: 'Google API key', regex: /\b(AIza[0-9A-Za-z_-]{35})\b/g, group: 1 },
  { kind: 'npm token', regex: /\b(npm_[A-Za-z0-9]{36})\b/g, group: 1 },
  { kind: 'SendGrid API key', regex: /\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b/g, group: 1 },
];

const SECRET_SCAN_SKIP = /(^|\/)(package-lock\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|[^/]+\.(png|jpe?g|gif|ico|svg|woff2?|ttf|eot|pdf|zip|gz|tgz|map|min\.js|snap))$/i;

function redact(secret: string): string {
  if (secret.startsWith('-----')) return 'PRIVATE KEY block';
  return secret.length <= 8 ? '…' : `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}

function looksLikePlaceholder(secret: string): boolean {
  return /EXAMPLE|X{6,}|0{8,}|your|dummy|placeholder|changeme|redacted/i.test(secret);
}

/**
 * Credential-shaped strings in the files a deploy ships or git keeps: tracked files when git is
 * available, every walked file otherwise. Only a redacted preview is kept.
 */
export function discoverSecrets(model: DeploymentModel): void {
  const candidates = model.git ? model.files.paths.filter((p) => model.git!.tracked.has(p)) : model.files.paths;
  for (const path of candidates) {
    if (SECRET_SCAN_SKIP.test(path)) continue;
    const name = posix.basename(path);
    if (isEnvFileName(name) && isEnvExampleName(name)) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    // Cheap prefilter: most files hold none of the markers.
    if (!/AKIA|ASIA|secret|PRIVATE KEY|gh[pousr]_|github_pat_|xox|_live_|AIza|npm_|SG\./i.test(text)) continue;
    let lines: LineMap | undefined;
    for (const pattern of SECRET_PATTERNS) {
      pattern.regex.lastIndex = 0;
      for (const m of text.matchAll(pattern.regex)) {
        const secret = m[pattern.group ?? 0];
        if (looksLikePlaceholder(secret)) continue;
        lines ??= new LineMap(text);
        const line = lines.line(m.index ?? 0);
        const found: SecretCandidate = { kind: pattern.kind, loc: { file: path, line }, redacted: redact(secret) };
        model.secretCandidates.push(found);
      }
    }
  }
}
