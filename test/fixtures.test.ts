import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditFixture, fixtureOptions, readExpected, ruleFixtureCases, toLine } from './helpers/fixtures.js';

/**
 * Each rule has fixture repositories under test/fixtures/<area>/<rule>/: cases whose name starts
 * with "fires" list the findings they must produce (file:line ruleId) in expected.txt; "silent"
 * cases have an empty expected.txt. A case compares the findings of its own rule, plus any other
 * rule its expected.txt names, or every finding when it says "# mode: all". Every migration of a
 * fixture is judged (--all-migrations), and every place of a grouped cause is listed apart (--no-group).
 */
for (const { ruleId, caseName, dir } of ruleFixtureCases()) {
  test(`${ruleId} ${caseName}`, async () => {
    const expected = readExpected(dir);
    // A rule fixture tests the rule's judgement of each migration it holds, so every migration is
    // judged; which migrations are pending is tested on its own (migrations-pending.test.ts).
    // A case may choose its own options in .fixture-options.json (e.g. the default pending selection).
    const { result, cleanup } = await auditFixture(dir, { migrations: { all: true }, group: false, ...fixtureOptions(dir) });
    try {
      const ruleIds = new Set([ruleId, ...expected.lines.map((l) => l.split(' ').pop()!)]);
      const actual = result.findings
        .filter((f) => expected.all || ruleIds.has(f.ruleId))
        .map(toLine)
        .sort();
      assert.deepEqual(actual, expected.lines, result.findings.map((f) => `${toLine(f)}: ${f.message}`).join('\n'));
      if (caseName.startsWith('fires')) assert.ok(expected.lines.length > 0, 'a "fires" case must expect at least one finding');
      if (caseName.startsWith('silent')) assert.equal(actual.filter((l) => l.endsWith(' ' + ruleId)).length, 0);
      assert.equal(result.errors.length, 0, result.errors.map((e) => e.message).join('\n'));
    } finally {
      cleanup();
    }
  });
}
