import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { MIGRATION_APPROVAL_LABEL, pullRequestLabels } from '../src/engine/labels.js';
import { migrationRules } from '../src/rules/migrations/index.js';

const MIGRATION = `-- Remove what release 41 stopped using.
ALTER TABLE users DROP COLUMN legacy_field;
CREATE INDEX users_email_idx ON users (email);
`;

/**
 * A git repository with one base commit; the files are added after it, as a pull request adds them,
 * so the migrations among them are pending (changed since the base) and judged on their own evidence.
 */
function repo(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'shipready-approval-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: root, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(root, 'README.md'), 'base\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('the label approves destructive findings (kept, marked, not failing) but not locking ones', async () => {
  const r = repo({ 'db/migrations/0042.sql': MIGRATION });
  try {
    const result = await audit(r.root, { rules: migrationRules, migrations: { since: 'HEAD' }, config: false, labels: ['bug', MIGRATION_APPROVAL_LABEL], failOn: 'critical' });
    const drop = result.findings.find((f) => f.ruleId === 'migrations/drop-column')!;
    assert.equal(drop.line, 2);
    assert.deepEqual(drop.waiver, {
      ruleId: 'migrations/drop-column',
      reason: `the pull request carries the label ${MIGRATION_APPROVAL_LABEL}`,
      source: `pull-request label ${MIGRATION_APPROVAL_LABEL}`,
    });
    const index = result.findings.find((f) => f.ruleId === 'migrations/require-concurrent-index-creation')!;
    assert.equal(index.waiver, undefined);
    assert.equal(result.gate.status, 'WAIVED');

    const unlabeled = await audit(r.root, { rules: migrationRules, migrations: { since: 'HEAD' }, config: false, labels: ['bug'], failOn: 'critical' });
    assert.equal(unlabeled.gate.status, 'FAIL');
    assert.ok(unlabeled.findings.every((f) => !f.waiver));
  } finally {
    r.cleanup();
  }
});

test('labels come from the GitHub event at GITHUB_EVENT_PATH when none are given', async () => {
  const r = repo({
    'db/migrations/0042.sql': MIGRATION,
    'event.json': JSON.stringify({ action: 'labeled', pull_request: { number: 7, labels: [{ name: 'dba-reviewed' }, { name: MIGRATION_APPROVAL_LABEL }] } }),
  });
  const saved = process.env.GITHUB_EVENT_PATH;
  try {
    assert.deepEqual(pullRequestLabels({ GITHUB_EVENT_PATH: join(r.root, 'event.json') }), ['dba-reviewed', MIGRATION_APPROVAL_LABEL]);
    assert.deepEqual(pullRequestLabels({ GITHUB_EVENT_PATH: join(r.root, 'missing.json') }), []);
    assert.deepEqual(pullRequestLabels({}), []);
    process.env.GITHUB_EVENT_PATH = join(r.root, 'event.json');
    const result = await audit(r.root, { rules: migrationRules, migrations: { since: 'HEAD' }, config: false });
    assert.equal(result.findings.find((f) => f.ruleId === 'migrations/drop-column')!.waiver?.source, `pull-request label ${MIGRATION_APPROVAL_LABEL}`);
  } finally {
    if (saved === undefined) delete process.env.GITHUB_EVENT_PATH;
    else process.env.GITHUB_EVENT_PATH = saved;
    r.cleanup();
  }
});

test('a waiver in the config file approves a destructive migration', async () => {
  const r = repo({
    'db/migrations/0042.sql': MIGRATION,
    'shipready.config.json': JSON.stringify({
      waivers: [{ ruleId: 'migrations/drop-column', path: 'db/migrations/0042.sql', reason: 'legacy_field unused since v41', approvedBy: 'dba team' }],
    }),
  });
  try {
    const result = await audit(r.root, { rules: migrationRules, migrations: { since: 'HEAD' }, labels: [] });
    const drop = result.findings.find((f) => f.ruleId === 'migrations/drop-column')!;
    assert.equal(drop.waiver?.approvedBy, 'dba team');
    assert.match(drop.waiver!.source, /shipready\.config\.json/);
  } finally {
    r.cleanup();
  }
});

test('an ignore comment approves a statement in SQL and in TypeScript migrations; without a reason it does not', async () => {
  const r = repo({
    'db/migrations/0042.sql': `-- shipready-ignore migrations/drop-column: legacy_field unused since v41 (DBA approved in #812)
ALTER TABLE users DROP COLUMN legacy_field;
-- shipready-ignore migrations/drop-table
DROP TABLE audit_log;
`,
    'src/migrations/1700000000000-Drop.ts': `import { MigrationInterface, QueryRunner } from 'typeorm';

export class Drop1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // shipready-ignore migrations/renaming-column: a view keeps the old name until v43
    await queryRunner.query(\`ALTER TABLE "user" RENAME COLUMN "name" TO "full_name"\`);
    await queryRunner.dropTable('sessions'); // shipready-ignore migrations/drop-table: sessions moved to Redis in v40
  }
  async down(): Promise<void> {}
}
`,
  });
  try {
    const result = await audit(r.root, { rules: migrationRules, migrations: { since: 'HEAD' }, config: false, labels: [] });
    assert.deepEqual(
      result.ignored.map((i) => `${i.finding.file}:${i.finding.line} ${i.finding.ruleId}`).sort(),
      [
        'db/migrations/0042.sql:2 migrations/drop-column',
        'src/migrations/1700000000000-Drop.ts:6 migrations/renaming-column',
        'src/migrations/1700000000000-Drop.ts:7 migrations/drop-table',
      ],
    );
    const kept = result.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`);
    assert.deepEqual(kept, ['db/migrations/0042.sql:4 migrations/drop-table']);
    assert.match(result.findings[0].message, /gives no reason/);
  } finally {
    r.cleanup();
  }
});
