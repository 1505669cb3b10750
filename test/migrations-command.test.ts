import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../src/cli/main.js';
import { pullRequestClone } from './helpers/git.js';

/** Runs `shipready …` in a folder, capturing stdout and stderr. */
async function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { cwd: process.cwd(), out: process.stdout.write, err: process.stderr.write, env: { ...process.env } };
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  process.chdir(cwd);
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.env = saved.env;
  }
}

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shipready-migrations-cmd-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd, stdio: 'ignore' });

const NO_EVENT = { GITHUB_EVENT_PATH: undefined, GITHUB_BASE_REF: undefined, NO_COLOR: '1' };

test('text output: file, line, operation, statement and what to do; exit 1 on an unapproved destructive change', async () => {
  const { root, cleanup } = pullRequestClone({ 'README.md': 'base\n' }, {
    'packages/api/src/db/migrations/0003_remove_legacy.sql': `-- cleanup
ALTER TABLE users DROP COLUMN legacy_field;
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
ALTER TABLE entities RENAME COLUMN old_name TO new_name;
`,
  }, { commit: false });
  try {
    const { code, stdout } = await run(root, ['migrations'], NO_EVENT);
    assert.equal(code, 1);
    assert.match(stdout, /packages\/api\/src\/db\/migrations\/0003_remove_legacy\.sql/);
    assert.match(stdout, /pending: changed since origin\/(HEAD|main) \(merge base [0-9a-f]{7}\)/);
    assert.match(stdout, /CRITICAL line 2 +DROP COLUMN/);
    assert.match(stdout, /ALTER TABLE users DROP COLUMN legacy_field/);
    assert.match(stdout, /HIGH +line 4 +RENAME COLUMN/);
    assert.match(stdout, /do: expand\/contract/);
    assert.match(stdout, /2 destructive operations not approved/);
    assert.match(stdout, /migration-destructive-approved/);

    const approved = await run(root, ['migrations', '--labels', 'migration-destructive-approved'], NO_EVENT);
    assert.equal(approved.code, 0);
    assert.match(approved.stdout, /\[approved: pull-request label migration-destructive-approved\]/);
    assert.match(approved.stdout, /Gate: WAIVED/);
  } finally {
    cleanup();
  }
});

test('JSON output uses the audit report contract', async () => {
  const { root, cleanup } = pullRequestClone({ 'README.md': 'base\n' }, { 'migrations/0001.sql': 'TRUNCATE sessions;\n' }, { commit: false });
  try {
    const { code, stdout } = await run(root, ['migrations', '--format', 'json'], NO_EVENT);
    assert.equal(code, 1);
    const report = JSON.parse(stdout);
    assert.equal(report.tool.name, 'shipready');
    assert.equal(report.gate.status, 'FAIL');
    assert.deepEqual(
      report.findings.map((f: { ruleId: string; file: string; line: number; severity: string }) => [f.ruleId, f.file, f.line, f.severity]),
      [['migrations/truncate-table', 'migrations/0001.sql', 1, 'critical']],
    );
    assert.ok(typeof report.findings[0].fix === 'string' && typeof report.findings[0].fingerprint === 'string');
  } finally {
    cleanup();
  }
});

test('paths select files and folders; a file named on the command line is checked whatever its folder', async () => {
  const root = repo({
    'migrations/0001.sql': 'DROP TABLE a;\n',
    'services/billing/migrations/0001.sql': 'DROP TABLE b;\n',
    'sql/hotfix.sql': 'DROP TABLE c;\n',
  });
  try {
    const { stdout } = await run(root, ['migrations', '--format', 'json', 'services/billing', 'sql/hotfix.sql'], NO_EVENT);
    assert.deepEqual(JSON.parse(stdout).findings.map((f: { file: string }) => f.file).sort(), ['services/billing/migrations/0001.sql', 'sql/hotfix.sql']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--since checks only migrations added or changed since the ref', async () => {
  const root = repo({
    'migrations/0001_old.sql': 'DROP TABLE old_things;\n',
    'migrations/0002_edited.sql': 'CREATE TABLE t (id int);\n',
  });
  try {
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    writeFileSync(join(root, 'migrations/0002_edited.sql'), 'CREATE TABLE t (id int);\nALTER TABLE users DROP COLUMN legacy;\n');
    writeFileSync(join(root, 'migrations/0003_new.sql'), 'ALTER TABLE posts RENAME TO articles;\n');
    const { code, stdout } = await run(root, ['migrations', '--format', 'json', '--since', 'main'], NO_EVENT);
    assert.equal(code, 1);
    assert.deepEqual(
      JSON.parse(stdout).findings.map((f: { file: string; line: number; ruleId: string }) => `${f.file}:${f.line} ${f.ruleId}`).sort(),
      ['migrations/0002_edited.sql:2 migrations/drop-column', 'migrations/0003_new.sql:1 migrations/renaming-table', 'null:null migrations/applied-not-checked'],
    );
    const bad = await run(root, ['migrations', '--since', 'no-such-ref'], NO_EVENT);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no-such-ref/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--fail-on, --pg-version and usage errors', async () => {
  const root = repo({ 'migrations/0001.sql': "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';\nCREATE INDEX orders_status_idx ON orders (status);\n" });
  try {
    const below = await run(root, ['migrations', '--format', 'json'], NO_EVENT);
    assert.equal(below.code, 0, 'a medium finding is below the default high threshold');
    assert.equal(JSON.parse(below.stdout).findings.length, 1);
    assert.equal((await run(root, ['migrations', '--fail-on', 'medium'], NO_EVENT)).code, 1);
    const old = await run(root, ['migrations', '--format', 'json', '--pg-version', '10.4'], NO_EVENT);
    assert.deepEqual(JSON.parse(old.stdout).findings.map((f: { ruleId: string }) => f.ruleId).sort(), [
      'migrations/adding-field-with-default',
      'migrations/require-concurrent-index-creation',
    ]);
    assert.equal((await run(root, ['migrations', '--pg-version', 'fifteen'], NO_EVENT)).code, 2);
    assert.equal((await run(root, ['migrations', 'nowhere/'], NO_EVENT)).code, 2);
    assert.equal((await run(root, ['migrations', '--format', 'sarif'], NO_EVENT)).code, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a repository without migrations says so and passes', async () => {
  const root = repo({ 'package.json': '{"name":"svc"}' });
  try {
    const { code, stdout } = await run(root, ['migrations'], NO_EVENT);
    assert.equal(code, 0);
    assert.match(stdout, /No migrations found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
