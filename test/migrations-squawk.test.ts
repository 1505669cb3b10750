import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compare } from '../scripts/compare-squawk.js';
import { FIXTURES } from './helpers/fixtures.js';

const SEED_004 = join(FIXTURES, 'migrations', '_corpus', 'seed-004', 'db', 'migrations');
const squawkInstalled = existsSync(new URL('../node_modules/.bin/squawk', import.meta.url));

/**
 * Pins the comparison that docs/migrations-vs-squawk.md explains: on the seed-004 operations and the
 * locking cases, shipready and squawk disagree only where the document says they do.
 */
test('shipready and squawk differ on the seed-004 operations exactly where docs/migrations-vs-squawk.md says', { skip: !squawkInstalled && 'squawk-cli is not installed' }, async () => {
  const files = ['0001_destructive.sql', '0002_locking.sql', '0003_concurrently_in_transaction.sql'].map((f) => join(SEED_004, f));
  const { differences, agreed } = await compare(files, { pgVersion: 15, assumeInTransaction: false });
  assert.deepEqual(
    differences.map((d) => `${d.file.split('/').pop()}:${d.line} shipready=${d.shipready.join('+') || '-'} squawk=${d.squawk.join('+') || '-'}`),
    [
      // squawk only bans TRUNCATE … CASCADE; seed 004 counts every TRUNCATE as destructive.
      '0001_destructive.sql:4 shipready=migrations/truncate-table squawk=-',
      // squawk has no rule for dropping a constraint.
      '0001_destructive.sql:9 shipready=migrations/drop-constraint squawk=-',
    ],
  );
  assert.equal(agreed, 13);
});
