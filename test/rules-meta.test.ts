import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from '../src/rules/index.js';
import { DOC_SECTIONS, docSection, readRuleDoc } from '../src/rules/docs.js';
import { FIXTURES, readExpected } from './helpers/fixtures.js';

const SRC_RULES = new URL('../src/rules/', import.meta.url).pathname;

test('rule ids are unique and match their file path', () => {
  const ids = allRules.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'duplicate rule ids');
  for (const rule of allRules) {
    assert.match(rule.id, /^[a-z]+\/[a-z0-9-]+$/, `${rule.id}: ids are area/kebab-name`);
    assert.ok(existsSync(join(SRC_RULES, `${rule.id}.ts`)), `${rule.id}: expected src/rules/${rule.id}.ts`);
  }
});

test('every rule file is registered', () => {
  const registered = new Set(allRules.map((r) => r.id));
  for (const area of readdirSync(SRC_RULES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(SRC_RULES, area.name))) {
      if (!file.endsWith('.ts') || file === 'index.ts' || file.startsWith('_')) continue;
      const id = `${area.name}/${file.slice(0, -3)}`;
      assert.ok(registered.has(id), `${id} has a file but is not in src/rules/${area.name}/index.ts`);
    }
  }
});

for (const rule of allRules) {
  test(`${rule.id} has a doc with every section`, () => {
    const doc = readRuleDoc(rule.id);
    assert.ok(doc, `missing src/rules/${rule.id}.md`);
    assert.ok(doc.startsWith(`# ${rule.id}\n`), `${rule.id}.md must start with "# ${rule.id}"`);
    for (const section of DOC_SECTIONS) {
      const body = docSection(doc, section);
      assert.ok(body && body.length > 20, `${rule.id}.md: section "## ${section}" missing or empty`);
    }
    assert.ok(rule.title.length > 5 && rule.title.length < 80, `${rule.id}: title length`);
    for (const [id, spec] of Object.entries(rule.messages)) {
      assert.ok(spec.message && spec.fix, `${rule.id}: message ${id} needs message and fix`);
    }
  });

  test(`${rule.id} has a firing and a silent fixture`, () => {
    const dir = join(FIXTURES, rule.id);
    assert.ok(existsSync(dir), `missing test/fixtures/${rule.id}/`);
    const cases = readdirSync(dir);
    const fires = cases.filter((c) => c.startsWith('fires'));
    const silent = cases.filter((c) => c.startsWith('silent'));
    assert.ok(fires.length > 0, `${rule.id}: no fires* case`);
    assert.ok(silent.length > 0, `${rule.id}: no silent* case`);
    for (const c of fires) {
      const expected = readExpected(join(dir, c));
      assert.ok(expected.lines.some((l) => l.endsWith(' ' + rule.id)), `${rule.id}/${c}: expected.txt names no finding of this rule`);
    }
  });
}
