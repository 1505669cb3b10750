import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withRulesTable } from '../scripts/rules-table.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('README starts with the two commands: install + demo, install + tests', () => {
  const head = readme.split('\n').slice(0, 8).join('\n');
  assert.match(head, /npm ci && npm run demo/);
  assert.match(head, /npm ci && npm test/);
});

test('README rule table matches the registry (scripts/rules-table.ts regenerates it)', () => {
  assert.equal(withRulesTable(readme), readme);
});

test('README links only to files that exist', async () => {
  const { existsSync } = await import('node:fs');
  for (const m of readme.matchAll(/\]\(((?:docs|schema|src|examples)\/[^)#]+)\)/g)) {
    assert.ok(existsSync(new URL(`../${m[1]}`, import.meta.url)), `README links to missing ${m[1]}`);
  }
});
