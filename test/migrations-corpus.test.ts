import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { migrationRules } from '../src/rules/migrations/index.js';
import { FIXTURES } from './helpers/fixtures.js';

const CORPUS = join(FIXTURES, 'migrations', '_corpus');

async function auditCopy(name: string) {
  const root = mkdtempSync(join(tmpdir(), 'shipready-migrations-'));
  cpSync(join(CORPUS, name), root, { recursive: true });
  try {
    // Every file of the corpus is judged, and each rule's finding listed apart: these tests are about
    // what each statement is, not about which migrations are pending.
    const result = await audit(root, { rules: migrationRules, config: false, labels: [], migrations: { all: true }, group: false });
    return result.findings.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.severity}`).sort();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('acceptance 1: each seed-004 operation and each locking case gives exactly its finding; the safe variants none', async () => {
  const findings = await auditCopy('seed-004');
  assert.deepEqual(
    findings,
    [
      // The table of seed 004, one statement per line.
      'db/migrations/0001_destructive.sql:2 migrations/drop-table critical',
      'db/migrations/0001_destructive.sql:3 migrations/drop-column critical',
      'db/migrations/0001_destructive.sql:4 migrations/truncate-table critical',
      'db/migrations/0001_destructive.sql:5 migrations/changing-column-type high',
      'db/migrations/0001_destructive.sql:6 migrations/renaming-column high',
      'db/migrations/0001_destructive.sql:7 migrations/renaming-table high',
      'db/migrations/0001_destructive.sql:8 migrations/setting-not-null medium',
      'db/migrations/0001_destructive.sql:9 migrations/drop-constraint medium',
      // Locking: index builds and drops, validated constraints, required and rewriting columns.
      'db/migrations/0002_locking.sql:2 migrations/require-concurrent-index-creation medium',
      'db/migrations/0002_locking.sql:3 migrations/require-concurrent-index-deletion medium',
      'db/migrations/0002_locking.sql:4 migrations/constraint-missing-not-valid medium',
      'db/migrations/0002_locking.sql:6 migrations/constraint-missing-not-valid medium',
      'db/migrations/0002_locking.sql:7 migrations/adding-required-field medium',
      'db/migrations/0002_locking.sql:8 migrations/adding-field-with-default medium',
      'db/migrations/0003_concurrently_in_transaction.sql:2 migrations/ban-concurrent-index-creation-in-transaction high',
    ].sort(),
  );
  assert.ok(!findings.some((f) => f.startsWith('db/migrations/0004_safe.sql')), 'the safe variants must give no finding');
});

test('acceptance 2: the same DROP COLUMN as Drizzle SQL, Prisma migration.sql, Knex and TypeORM is found in each at its line', async () => {
  const findings = await auditCopy('tools');
  assert.deepEqual(findings, [
    'db/knex/20240301120000_drop_legacy_field.ts:6 migrations/drop-column critical',
    'drizzle/0007_drop_legacy_field.sql:2 migrations/drop-column critical',
    'prisma/migrations/20240301120000_drop_legacy_field/migration.sql:8 migrations/drop-column critical',
    'src/migrations/1709294400000-DropLegacyField.ts:8 migrations/drop-column critical',
  ]);
});
