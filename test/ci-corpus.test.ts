import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileIndex } from '../src/discover/files.js';
import { emptyModel } from '../src/discover/index.js';
import { discoverWorkflows } from '../src/discover/workflows.js';
import { runRules } from '../src/engine/run.js';
import { ciRules } from '../src/rules/ci/index.js';

/**
 * 1,503 real workflows (actionlint's real-world data set) in ../shared/corpus: the workflow
 * discoverer and every ci/* rule must never crash on them and every finding must point at a real
 * line. Each workflow is judged on its own, as the only workflow of a repository; the repositories'
 * other files are not in the corpus, so ci/path-not-found is expected to fire where a workflow names
 * files of its repository.
 */
const CORPUS = new URL('../../shared/corpus/github-workflows/', import.meta.url).pathname;

/** Most of these workflows are unrelated to container deploys: a rule firing on more than this share is too noisy. */
const NOISE_LIMIT = 0.2;
/** Rules whose findings on the corpus are expected: its workflows name files that are not in it. */
const FILES_ABSENT = new Set(['ci/path-not-found']);
/**
 * Field rules fire only on proof, so each of their corpus findings was read and is listed here
 * (`file:line`); a new one fails the test until someone reviews it. None today: the corpus has one
 * render step (its image is built by another workflow, nothing to compare) and no `role-to-assume`.
 */
const REVIEWED_FIELD_FINDINGS: Record<string, string[]> = {
  'ci/taskdef-container-name-mismatch': [],
  'ci/deployed-tag-not-pushed': [],
  'ci/oidc-misconfigured': [],
};

test('ci rules on the real-world workflow corpus', { skip: existsSync(CORPUS) ? false : `corpus not found at ${CORPUS} (it lives in ../shared/corpus next to the project)` }, () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-corpus-'));
  try {
    const workflowsDir = join(root, '.github', 'workflows');
    mkdirSync(workflowsDir, { recursive: true });
    const names = readdirSync(CORPUS).filter((n) => /\.ya?ml$/.test(n));
    for (const name of names) cpSync(join(CORPUS, name), join(workflowsDir, name));
    const model = emptyModel(root, new FileIndex(root));
    discoverWorkflows(model);

    const parseErrors = model.problems.filter((p) => p.kind === 'parse-error' && p.artifact === 'workflow');
    assert.equal(model.workflows.length + parseErrors.length, names.length, 'every file is a workflow or a parse error');
    for (const p of parseErrors) {
      const lines = readFileSync(join(root, p.loc.file), 'utf8').split('\n').length;
      assert.ok(p.loc.line >= 1 && p.loc.line <= lines, `${p.loc.file}: parse error line ${p.loc.line} outside the file`);
    }

    const firedOn = new Map<string, number>(ciRules.map((r) => [r.id, 0]));
    const findings = new Map<string, number>(ciRules.map((r) => [r.id, 0]));
    const lineCounts = new Map<string, number>();
    const fieldFindings = new Map<string, string[]>(Object.keys(REVIEWED_FIELD_FINDINGS).map((id) => [id, []]));
    for (const workflow of model.workflows) {
      const run = runRules({ ...model, workflows: [workflow], problems: [] }, ciRules);
      assert.deepEqual(run.errors, [], `${workflow.path}: a rule threw`);
      const fired = new Set<string>();
      for (const f of run.findings) {
        assert.ok(f.file && f.line, `${workflow.path}: ${f.ruleId} finding without a file and line`);
        if (!lineCounts.has(f.file)) lineCounts.set(f.file, readFileSync(join(root, f.file), 'utf8').split('\n').length);
        assert.ok(f.line >= 1 && f.line <= lineCounts.get(f.file)!, `${f.file}:${f.line} ${f.ruleId}: line outside the file`);
        fired.add(f.ruleId);
        fieldFindings.get(f.ruleId)?.push(`${f.file}:${f.line}`);
        findings.set(f.ruleId, (findings.get(f.ruleId) ?? 0) + 1);
      }
      for (const id of fired) firedOn.set(id, (firedOn.get(id) ?? 0) + 1);
    }
    const total = model.workflows.length;
    const table = [...firedOn].map(([id, n]) => `${id.padEnd(30)} ${String(n).padStart(5)} workflows (${((100 * n) / total).toFixed(1)}%), ${findings.get(id)} findings`);
    console.log(`ci rules over ${names.length} corpus files (${total} workflows, ${parseErrors.length} parse errors):\n  ${table.join('\n  ')}`);
    for (const [id, reviewed] of Object.entries(REVIEWED_FIELD_FINDINGS)) assert.deepEqual(fieldFindings.get(id)!.sort(), [...reviewed].sort(), `${id}: corpus findings differ from the reviewed list`);
    for (const [id, n] of firedOn) {
      if (FILES_ABSENT.has(id)) continue;
      assert.ok(n / total <= NOISE_LIMIT, `${id} fires on ${n} of ${total} unrelated workflows`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a syntactically broken workflow becomes a parse error at its line', () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-broken-'));
  try {
    mkdirSync(join(root, '.github', 'workflows'), { recursive: true });
    const text = 'name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "echo unterminated\n';
    writeFileSync(join(root, '.github/workflows/ci.yml'), text);
    const model = emptyModel(root, new FileIndex(root));
    discoverWorkflows(model);
    assert.equal(model.workflows.length, 0);
    assert.equal(model.problems.length, 1);
    assert.equal(model.problems[0].kind, 'parse-error');
    assert.equal(model.problems[0].loc.file, '.github/workflows/ci.yml');
    assert.equal(model.problems[0].loc.line, 7);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
