import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { tempRepo } from './golden/repos.js';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));

interface Step {
  id?: string;
  name: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

const action = parse(readFileSync(join(PROJECT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
};

const step = (name: string) => action.runs.steps.find((s) => s.name === name)!;

test('action.yml: a composite action whose expressions name only declared inputs and step outputs', () => {
  assert.equal(action.runs.using, 'composite');
  const text = readFileSync(join(PROJECT, 'action.yml'), 'utf8');
  for (const m of text.matchAll(/inputs\.([\w-]+)/g)) assert.ok(action.inputs[m[1]], `undeclared input ${m[1]}`);
  const auditScript = step('Audit').run!;
  for (const m of text.matchAll(/steps\.audit\.outputs\.([\w-]+)/g)) {
    assert.ok(auditScript.includes(`${m[1]}=`), `the Audit step never writes output ${m[1]}`);
  }
  for (const s of action.runs.steps) {
    if (s.run) assert.ok(!/\$\{\{/.test(s.run), `step "${s.name}" splices an expression into its script; pass it through env`);
  }
  assert.equal(step('Upload SARIF to code scanning').uses, 'github/codeql-action/upload-sarif@v3');
  assert.match(step('Upload SARIF to code scanning').if!, /inputs\.upload-sarif == 'true'/);
});

function runStep(s: Step, env: Record<string, string>) {
  return spawnSync('bash', ['-c', s.run!], { encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env } });
}

test('the Audit step writes the reports, the job summary and its outputs; the Gate step fails on FAIL', () => {
  const repo = tempRepo('service', {
    'package.json': '{ "name": "service", "version": "1.0.0", "main": "server.js" }\n',
    'server.js': 'require("node:http").createServer((req, res) => res.end("ok")).listen(process.env.PORT || 3000);\n',
    'Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY server.js ./\nCMD ["node", "server.js"]\n',
  });
  const out = join(repo.root, '..');
  try {
    const outputs = join(out, 'github-output');
    const summary = join(out, 'step-summary');
    writeFileSync(outputs, '');
    writeFileSync(summary, '');
    const r = runStep(step('Audit'), {
      ACTION_PATH: PROJECT,
      AUDIT_PATH: repo.root,
      FAIL_ON: '',
      FORMATS: 'sarif, markdown html',
      OUTPUT_DIR: join(out, 'reports'),
      STEP_SUMMARY: 'true',
      BASELINE: '',
      CONFIG: '',
      GITHUB_OUTPUT: outputs,
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(r.status, 0, r.stderr);
    const values = Object.fromEntries(readFileSync(outputs, 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    assert.equal(values['exit-code'], '1', 'the image runs as root: the gate fails');
    assert.equal(values.gate, 'FAIL');
    assert.match(values.score, /^\d+$/);
    assert.equal(values['sarif-file'], join(out, 'reports', 'shipready.sarif'));
    for (const file of ['shipready.json', 'shipready.sarif', 'shipready.md', 'shipready.html']) assert.ok(existsSync(join(out, 'reports', file)), file);
    assert.match(readFileSync(summary, 'utf8'), /^# ❌ shipready: FAIL/);

    const gate = (code: string) => runStep(step('Gate'), { EXIT_CODE: code, GATE: 'FAIL', SCORE: values.score });
    assert.equal(gate('1').status, 1);
    assert.match(gate('1').stdout, /::error title=shipready gate FAIL::/);
    assert.equal(gate('0').status, 0);
    assert.equal(gate('').status, 2);

    const unknown = runStep(step('Audit'), { ACTION_PATH: PROJECT, AUDIT_PATH: repo.root, FAIL_ON: '', FORMATS: 'pdf', OUTPUT_DIR: join(out, 'r2'), STEP_SUMMARY: 'false', BASELINE: '', CONFIG: '', GITHUB_OUTPUT: outputs });
    assert.match(unknown.stdout, /::error title=shipready::unknown format "pdf"/);
    assert.match(readFileSync(outputs, 'utf8'), /exit-code=2\n$/);
  } finally {
    repo.cleanup();
  }
});

test('docs/github-action.md shows a complete workflow that uses every input by its real name', () => {
  const doc = readFileSync(join(PROJECT, 'docs/github-action.md'), 'utf8');
  const workflows = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]) as { on?: unknown; jobs?: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }> });
  const full = workflows.find((w) => w.jobs && w.on);
  assert.ok(full, 'a workflow with on: and jobs:');
  const uses = Object.values(full.jobs!).flatMap((j) => j.steps).filter((s) => s.uses?.includes('shipready'));
  assert.ok(uses.length > 0);
  for (const s of uses) for (const key of Object.keys(s.with ?? {})) assert.ok(action.inputs[key], `the doc uses unknown input "${key}"`);
  for (const key of Object.keys(action.inputs)) assert.ok(doc.includes(`\`${key}\``), `docs/github-action.md does not describe input "${key}"`);
});
