import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { audit, type AuditResult } from '../src/engine/audit.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderPrompt } from '../src/report/prompt.js';
import { renderText } from '../src/report/text.js';
import { EXAMPLE, exampleExists, tempRepo } from './golden/repos.js';
import { FIXTURE_TODAY } from './helpers/fixtures.js';

/**
 * Golden files: the text, Markdown and prompt reports of the example repository, as committed in
 * test/golden/. After a deliberate change (a new rule, a reworded message), regenerate them with
 * `UPDATE_GOLDEN=1 npm test` and review the diff like code. The audited copy lives in a temporary
 * folder named "shopfront"; its absolute path and the timings are normalised away.
 */
const GOLDEN = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));

function normalise(text: string, result: AuditResult): string {
  return text.split(result.root).join('<root>').replace(/\b\d+(\.\d+)? ?ms\b/g, '<ms>');
}

/** The first differing line with a little context: a whole report in an assertion message is unreadable. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 2);
  const show = (lines: string[]) => lines.slice(from, i + 3).map((l, k) => `  ${from + k + 1}: ${l}`).join('\n');
  return `first difference at line ${i + 1}\n- golden:\n${show(a)}\n+ actual:\n${show(b)}`;
}

const FORMATS: { file: string; render: (r: AuditResult) => string }[] = [
  { file: 'shopfront.text.txt', render: (r) => renderText(r, { color: false }) },
  { file: 'shopfront.markdown.md', render: (r) => renderMarkdown(r) },
  { file: 'shopfront.prompt.md', render: (r) => renderPrompt(r) },
];

test('golden reports of the example repository', { skip: !exampleExists() && 'examples/shopfront is missing' }, async (t) => {
  const repo = tempRepo('shopfront', EXAMPLE);
  let result: AuditResult;
  try {
    result = await audit(repo.root, { now: FIXTURE_TODAY });
  } finally {
    repo.cleanup();
  }
  for (const { file, render } of FORMATS) {
    await t.test(file, () => {
      const actual = normalise(render(result), result);
      const path = GOLDEN(file);
      if (process.env.UPDATE_GOLDEN === '1') {
        writeFileSync(path, actual);
        return;
      }
      assert.ok(existsSync(path), `test/golden/${file} is missing: run UPDATE_GOLDEN=1 npm test and commit it`);
      const expected = readFileSync(path, 'utf8');
      if (actual !== expected) assert.fail(`test/golden/${file} differs (if the change is intended, run UPDATE_GOLDEN=1 npm test and review the diff):\n${firstDifference(expected, actual)}`);
    });
  }
});
