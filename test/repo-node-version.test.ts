import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { emptyModel } from '../src/discover/index.js';
import { FileIndex } from '../src/discover/files.js';
import { discoverPackages } from '../src/discover/packages.js';
import { discoverDockerfiles } from '../src/discover/dockerfiles.js';
import { runRules } from '../src/engine/run.js';
import type { DeploymentModel } from '../src/model/index.js';
import type { Located } from '../src/model/location.js';
import type { Workflow } from '../src/model/workflow.js';
import nodeVersionDrift from '../src/rules/repo/node-version-drift.js';

/**
 * The CI half of repo/node-version-drift, on hand-built workflows: these tests hold whatever the
 * workflow discoverer fills in besides jobs, steps, `uses`, `with` and the literal matrix.
 */
async function modelOf(files: Record<string, string>): Promise<{ model: DeploymentModel; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-node-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  // Only the discoverers this rule reads: the workflows are built by hand below.
  const model = emptyModel(root, new FileIndex(root));
  discoverPackages(model);
  discoverDockerfiles(model);
  return { model, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const at = <T>(value: T, line: number, file = '.github/workflows/ci.yml'): Located<T> => ({ value, loc: { file, line } });

/**
 * One job whose steps are setup-node with the given `node-version` (a line each), plus an optional
 * matrix, then `npm ci && npm test` in `testsIn` (the repository root by default; undefined for a job
 * that installs and tests nothing, such as an issue-labelling bot).
 */
function workflow(versions: { value: string; line: number }[], matrix?: Record<string, { value: string; line: number }[]>, testsIn: string | undefined = ''): Workflow {
  const file = '.github/workflows/ci.yml';
  const setup = versions.map((v) => ({
    uses: at('actions/setup-node@v4', v.line - 2),
    with: new Map([['node-version', at(v.value, v.line)]]),
    loc: { file, line: v.line - 2 },
    installs: [],
    scripts: [],
    dockerBuilds: [],
  }));
  const last = Math.max(...versions.map((v) => v.line)) + 1;
  const test = {
    run: at('npm ci && npm test', last),
    with: new Map(),
    loc: { file, line: last },
    cwd: testsIn,
    installs: [{ command: { manager: 'npm', text: 'npm ci', verb: 'ci', frozen: true, production: false, legacyPeerDeps: false, addsPackages: false, global: false }, loc: { file, line: last } }],
    scripts: [{ manager: 'npm', script: 'test', ifPresent: false, allWorkspaces: false, text: 'npm test', loc: { file, line: last } }],
    dockerBuilds: [],
  };
  return {
    path: file,
    jobs: [
      {
        id: at('test', 3),
        loc: { file, line: 3 },
        matrix: new Map(Object.entries(matrix ?? {}).map(([k, vs]) => [k, vs.map((v) => at(v.value, v.line))])),
        steps: testsIn === undefined ? setup : [...setup, test],
      },
    ],
  } as unknown as Workflow;
}

function findings(model: DeploymentModel): string[] {
  return runRules(model, [nodeVersionDrift]).findings.map((f) => `${f.file}:${f.line} ${f.message}`);
}

test('setup-node on a major that neither .nvmrc nor any image runs', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': '24\n',
    'package.json': '{ "name": "svc", "engines": { "node": ">=22" } }\n',
    'Dockerfile': 'FROM node:24-alpine\nUSER node\nCMD ["node", "server.js"]\n',
  });
  try {
    model.workflows.push(workflow([{ value: '22', line: 12 }]));
    const out = findings(model);
    assert.equal(out.length, 1, out.join('\n'));
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:12 CI sets up Node 22, but \.nvmrc says 24, and the images it tests run Node 24/);
  } finally {
    cleanup();
  }
});

test('setup-node below engines, and past end of life', async () => {
  const { model, cleanup } = await modelOf({
    'package.json': '{\n  "name": "svc",\n  "engines": { "node": ">=22" }\n}\n',
  });
  try {
    model.workflows.push(workflow([{ value: '18.x', line: 9 }]));
    const out = findings(model).sort();
    assert.equal(out.length, 2, out.join('\n'));
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:9 CI \(setup-node node-version "18\.x"\) runs Node 18 \(a CI job[^)]*\), which reached end of life on 2025-04-30/);
    assert.match(out[1], /^\.github\/workflows\/ci\.yml:9 CI sets up Node 18\.x, below engines\.node ">=22" of package\.json/);
  } finally {
    cleanup();
  }
});

test('a matrix that includes the production major covers it; extra majors are test coverage', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': '24\n',
    'Dockerfile': 'FROM node:24-slim\nUSER node\nCMD ["node", "server.js"]\n',
  });
  try {
    model.workflows.push(workflow([{ value: '${{ matrix.node }}', line: 14 }], { node: [{ value: '24', line: 8 }, { value: '26', line: 8 }] }));
    assert.deepEqual(findings(model), []);
  } finally {
    cleanup();
  }
});

test('setup-node matching .nvmrc and the images is silent; lts/* and node-version-file are not judged', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': 'v24.11.1\n',
    'package.json': '{ "name": "svc", "engines": { "node": ">=24 <27" } }\n',
    'services/api/Dockerfile': 'FROM node:24.11.1-alpine AS build\nRUN npm ci\nFROM node:24-alpine\nCOPY --from=build /app /app\nUSER node\nCMD ["node", "/app/server.js"]\n',
  });
  try {
    model.workflows.push(workflow([{ value: '24', line: 10 }, { value: 'lts/*', line: 20 }]));
    assert.deepEqual(findings(model), []);
  } finally {
    cleanup();
  }
});

test('setup-node reading ${{ env.NODE_VERSION }} is judged at the env line', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': '24\n',
    'Dockerfile': 'FROM node:24-alpine\nUSER node\nCMD ["node", "server.js"]\n',
  });
  try {
    const wf = workflow([{ value: '${{ env.NODE_VERSION }}', line: 15 }]);
    (wf as unknown as { env: Map<string, Located<string>> }).env = new Map([['NODE_VERSION', at('18', 4)]]);
    model.workflows.push(wf);
    const out = findings(model).sort();
    assert.equal(out.length, 2, out.join('\n'));
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:4 CI \(setup-node node-version "18"\) runs Node 18 \(a CI job[^)]*\), which reached end of life/);
    assert.match(out[1], /^\.github\/workflows\/ci\.yml:4 CI sets up Node 18, but \.nvmrc says 24, and the images it tests run Node 24/);
  } finally {
    cleanup();
  }
});

test('.tool-versions and Volta pins count like .nvmrc; .nvmrc wins within a folder', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': '24 # LTS\n',
    '.tool-versions': 'python 3.12.1\nnodejs 22.11.0\n',
    'package.json': '{\n  "name": "svc",\n  "engines": { "node": ">=24" },\n  "volta": {\n    "node": "24.11.1"\n  }\n}\n',
    'Dockerfile': 'FROM node:24-alpine\nUSER node\nCMD ["node", "server.js"]\n',
  });
  try {
    const out = findings(model);
    assert.equal(out.length, 1, out.join('\n'));
    assert.match(out[0], /^\.tool-versions:2 \.tool-versions says Node 22\.11\.0 but \.nvmrc in the same folder says 24/);
  } finally {
    cleanup();
  }
});

test('a job that tests nothing, or another package than the image, is not compared with the image', async () => {
  const { model, cleanup } = await modelOf({
    'package.json': '{ "name": "scratch", "dependencies": { "openai": "^4.103.0" } }\n',
    'package-lock.json': '{ "name": "scratch", "lockfileVersion": 3, "packages": {} }\n',
    'web/package.json': '{ "name": "web", "dependencies": { "next": "^15.0.0" } }\n',
    'web/package-lock.json': '{ "name": "web", "lockfileVersion": 3, "packages": {} }\n',
    'web/Dockerfile': 'FROM node:24-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nUSER node\nCMD ["npm", "start"]\n',
  });
  try {
    // kurosawa-kuro's shape: setup-node 22, `npm ci` in the root package, then a deploy over SSH.
    model.workflows.push(workflow([{ value: '22', line: 12 }]));
    assert.deepEqual(findings(model), []);
    // An issue-labelling job: no install, no test.
    model.workflows.splice(0, 1, workflow([{ value: '22', line: 12 }], undefined, undefined));
    assert.deepEqual(findings(model), []);
    // The job that tests web/ runs another major than web's image.
    model.workflows.splice(0, 1, workflow([{ value: '22', line: 12 }], undefined, 'web'));
    const out = findings(model);
    assert.equal(out.length, 1, out.join('\n'));
    assert.match(out[0], /CI sets up Node 22, but the images it tests run Node 24: tests pass on one Node major and production runs another/);
  } finally {
    cleanup();
  }
});

test('end of life: one finding per major; only what runs in production is medium', async () => {
  const { model, cleanup } = await modelOf({
    '.nvmrc': '20\n',
    'package.json': '{ "name": "svc", "dependencies": { "express": "^5.1.0" } }\n',
    'Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER node\nCMD ["node", "server.js"]\n',
    'Dockerfile.dev': 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["npm", "run", "dev"]\n',
    // A copy-only Node stage in front of nginx runs no Node at all.
    'admin/Dockerfile': 'FROM node:18.13.0 AS base\nCOPY ./admin/ .\n\nFROM nginx:1.27-alpine\nCOPY --from=base /dist /usr/share/nginx/html\n',
  });
  try {
    model.workflows.push(workflow([{ value: '20', line: 12 }]));
    const result = runRules(model, [nodeVersionDrift]);
    const byPlace = result.findings.map((f) => `${f.file}:${f.line} ${f.severity}`).sort();
    assert.deepEqual(byPlace, ['.github/workflows/ci.yml:12 low', '.nvmrc:1 low', 'Dockerfile.dev:1 low', 'Dockerfile:1 medium']);
    // With grouping, the engine folds them into the production image's finding.
    assert.ok(result.findings.every((f) => f.group?.key === 'end-of-life:20'));
  } finally {
    cleanup();
  }
});
