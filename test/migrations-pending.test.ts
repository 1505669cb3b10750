import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, pullRequestClone, writeFiles } from './helpers/git.js';
import { audit } from '../src/engine/audit.js';
import { choosePending, findChangeSet, newestOfEachFolder } from '../src/discover/migrations/pending.js';
import { migrationRules } from '../src/rules/migrations/index.js';

/**
 * Which migrations are judged: only the pending ones (those the next deploy runs). Applied ones are
 * history; they are counted once, as information.
 */

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shipready-pending-'));
  writeFiles(root, files);
  return root;
}

const HISTORY = {
  'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
  'prisma/migrations/20230101000000_init/migration.sql': 'CREATE TABLE "User" ("id" TEXT NOT NULL, "legacy" TEXT);\n',
  'prisma/migrations/20230601000000_drop_legacy/migration.sql': 'ALTER TABLE "User" DROP COLUMN "legacy";\n',
  'prisma/migrations/20231001000000_rename/migration.sql': 'ALTER TABLE "User" RENAME COLUMN "id" TO "uid";\n',
};

const lines = (findings: { file: string | null; line: number | null; ruleId: string; severity: string }[]) =>
  findings.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.severity}`).sort();

test('in a pull request, only the migrations it adds or changes are judged, at full severity', async () => {
  const { root, cleanup } = pullRequestClone(HISTORY, {
    'prisma/migrations/20240101000000_drop_email/migration.sql': 'ALTER TABLE "User" DROP COLUMN "email";\n',
  });
  try {
    const result = await audit(root, { rules: migrationRules, config: false, labels: [] });
    assert.deepEqual(lines(result.findings), [
      'null:null migrations/applied-not-checked info',
      'prisma/migrations/20240101000000_drop_email/migration.sql:1 migrations/drop-column critical',
    ]);
    assert.equal(result.model.migrationScope?.basis, 'changed');
    assert.match(result.model.migrationScope!.description, /^changed since origin\/(HEAD|main) \(merge base [0-9a-f]{7}\)$/);
    const info = result.findings.find((f) => f.ruleId === 'migrations/applied-not-checked')!;
    assert.match(info.message, /^3 migration file\(s\) are taken as already applied and were not checked \(3 in prisma\/migrations\/\)/);
    // Applied migrations are not even parsed.
    assert.deepEqual(result.model.migrations.map((m) => m.path), ['prisma/migrations/20240101000000_drop_email/migration.sql']);
  } finally {
    cleanup();
  }
});

test('a GitHub pull request compares with its base branch; a push with the commit before it', async () => {
  const { root, cleanup } = pullRequestClone(HISTORY, {
    'prisma/migrations/20240101000000_drop_email/migration.sql': 'ALTER TABLE "User" DROP COLUMN "email";\n',
  });
  try {
    const pr = findChangeSet(root, undefined, { GITHUB_BASE_REF: 'main' });
    assert.match(pr.base!.description, /^changed in this pull request \(since its base main, [0-9a-f]{7}\)$/);
    assert.deepEqual([...pr.changed!], ['prisma/migrations/20240101000000_drop_email/migration.sql']);

    const before = git(root, 'rev-parse', 'HEAD~1').trim();
    const event = join(root, '..', `event-${Date.now()}.json`);
    writeFileSync(event, JSON.stringify({ before, after: 'x' }));
    try {
      const push = findChangeSet(root, undefined, { GITHUB_EVENT_PATH: event });
      assert.equal(push.base!.commit, before);
      assert.match(push.base!.description, /^changed by this push/);
      // A base that a shallow clone does not hold: no base, and the reason says what to do.
      writeFileSync(event, JSON.stringify({ before: 'a'.repeat(40) }));
      assert.match(findChangeSet(root, undefined, { GITHUB_EVENT_PATH: event }).noBase!, /fetch-depth: 0/);
    } finally {
      rmSync(event, { force: true });
    }
  } finally {
    cleanup();
  }
});

test('without a git base, the newest migration of each folder is judged, capped at medium, saying what it assumes', async () => {
  const root = folder({
    ...HISTORY,
    'services/billing/migrations/0001_init.sql': 'CREATE TABLE invoices (id int);\n',
    'services/billing/migrations/0002_drop.sql': 'DROP TABLE invoices;\n',
    'services/billing/migrations/0010_index.sql': 'CREATE INDEX invoices_id_idx ON payments (id);\n',
  });
  try {
    const result = await audit(root, { rules: migrationRules, config: false, labels: [] });
    assert.deepEqual(lines(result.findings), [
      'null:null migrations/applied-not-checked info',
      // 0010 sorts after 0002 by number, not by text.
      'prisma/migrations/20231001000000_rename/migration.sql:1 migrations/renaming-column medium',
      'services/billing/migrations/0010_index.sql:1 migrations/require-concurrent-index-creation medium',
    ]);
    const rename = result.findings.find((f) => f.ruleId === 'migrations/renaming-column')!;
    assert.match(rename.message, /\(assumed: this is the newest migration of prisma\/migrations\/, taken as the pending one because the folder is not in a git repository; --since <ref> names the base\)$/);
    assert.equal(result.model.migrationScope?.basis, 'newest');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--all-migrations judges the whole history at full severity', async () => {
  const root = folder(HISTORY);
  try {
    const result = await audit(root, { rules: migrationRules, config: false, labels: [], migrations: { all: true } });
    assert.deepEqual(lines(result.findings), [
      'prisma/migrations/20230601000000_drop_legacy/migration.sql:1 migrations/drop-column critical',
      'prisma/migrations/20231001000000_rename/migration.sql:1 migrations/renaming-column high',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a table created by an earlier pending migration of the same folder is new: indexing it locks nothing', async () => {
  const { root, cleanup } = pullRequestClone(HISTORY, {
    'prisma/migrations/20240101000000_payments/migration.sql': 'CREATE TABLE "Payment" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL);\n',
    'prisma/migrations/20240101000001_payments_idx/migration.sql': 'CREATE INDEX "Payment_userId_idx" ON "Payment"("userId");\nALTER TABLE "Payment" ADD CONSTRAINT "Payment_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("uid");\n',
  });
  try {
    const result = await audit(root, { rules: migrationRules, config: false, labels: [] });
    assert.deepEqual(lines(result.findings), ['null:null migrations/applied-not-checked info']);
  } finally {
    cleanup();
  }
});

test('one statement several rules object to is one finding; --no-group lists each rule apart', async () => {
  const { root, cleanup } = pullRequestClone(HISTORY, {
    'prisma/migrations/20240101000000_swap/migration.sql': 'ALTER TABLE "User" DROP COLUMN "name",\nADD COLUMN "fullName" TEXT NOT NULL;\n',
  });
  try {
    const grouped = await audit(root, { rules: migrationRules, config: false, labels: [] });
    const swap = grouped.findings.filter((f) => f.file?.endsWith('20240101000000_swap/migration.sql'));
    assert.equal(swap.length, 1);
    assert.equal(swap[0].ruleId, 'migrations/drop-column');
    assert.equal(swap[0].occurrences, 2);
    assert.match(swap[0].message, /\(the same cause also triggers migrations\/adding-required-field; see related\)$/);
    assert.deepEqual(swap[0].related.map((r) => [r.file, r.line, r.message.split(':')[0]]), [
      ['prisma/migrations/20240101000000_swap/migration.sql', 1, 'also migrations/adding-required-field'],
    ]);

    const flat = await audit(root, { rules: migrationRules, config: false, labels: [], group: false });
    assert.deepEqual(lines(flat.findings.filter((f) => f.file?.endsWith('swap/migration.sql'))), [
      'prisma/migrations/20240101000000_swap/migration.sql:1 migrations/adding-required-field medium',
      'prisma/migrations/20240101000000_swap/migration.sql:1 migrations/drop-column critical',
    ]);
    assert.ok(flat.findings.every((f) => f.occurrences === undefined));
  } finally {
    cleanup();
  }
});

test('on the default branch itself, with nothing uncommitted, the newest migration of each folder is the pending one', () => {
  const { scope, pending } = choosePending(
    ['db/migrations/1_a.sql', 'db/migrations/2_b.sql'],
    { changes: { base: { commit: 'abc', description: 'changed since origin/main' }, changed: new Set(), atBase: true } },
  );
  assert.deepEqual([...pending.keys()], ['db/migrations/2_b.sql']);
  assert.match(scope.description, /HEAD is the default branch itself/);
  assert.deepEqual(scope.notJudged, ['db/migrations/1_a.sql']);
});

test('folders: one per Prisma migration directory counts as one sequence; numbers sort as numbers', () => {
  assert.deepEqual(
    [...newestOfEachFolder([
      'prisma/migrations/20230101000000_a/migration.sql',
      'prisma/migrations/20240101000000_b/migration.sql',
      'db/9_x.sql',
      'db/10_y.sql',
      'drizzle/0000_init.sql',
    ])].sort(),
    ['db/10_y.sql', 'drizzle/0000_init.sql', 'prisma/migrations/20240101000000_b/migration.sql'],
  );
});
