import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pgParserRequested } from '../src/discover/migrations/pg.js';
import { audit } from '../src/engine/audit.js';

// Its own test file, so its own process: nothing else has loaded the parser before these tests.

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shipready-lazy-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('libpg-query (WASM) is loaded only when the repository has migrations', async () => {
  const without = tree({ 'package.json': '{"name":"svc"}', 'src/index.ts': 'export {};\n', 'db/seed.sql': 'TRUNCATE users;\n' });
  const withMigrations = tree({ 'package.json': '{"name":"svc"}', 'migrations/0001.sql': 'CREATE TABLE t (id int);\n' });
  try {
    const plain = await audit(without, { config: false, labels: [] });
    assert.equal(plain.model.migrations.length, 0);
    assert.equal(pgParserRequested(), false, 'no migrations: the parser must not be loaded');

    const result = await audit(withMigrations, { config: false, labels: [] });
    assert.equal(pgParserRequested(), true);
    assert.equal(result.model.migrations.length, 1);
    const ms = result.stats.timings.find((t) => t.name === 'migrations')!.ms;
    // The first use pays for importing and instantiating the WASM module (about 100 ms here).
    process.stdout.write(`# libpg-query first load and one migration: ${ms.toFixed(0)} ms\n`);
    assert.ok(ms < 2000);
  } finally {
    rmSync(without, { recursive: true, force: true });
    rmSync(withMigrations, { recursive: true, force: true });
  }
});
