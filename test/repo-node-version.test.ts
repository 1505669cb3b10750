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

/** One job whose steps are setup-node with the given `node-version` (a line each), plus an optional matrix. */
function workflow(versions: { value: string; line: number }[], matrix?: Record<string, { value: string; line: number }[]>): Workflow {
  const file = '.github/workflows/ci.yml';
  return {
    path: file,
    jobs: [
      {
        id: at('test', 3),
        loc: { file, line: 3 },
        matrix: new Map(Object.entries(matrix ?? {}).map(([k, vs]) => [k, vs.map((v) => at(v.value, v.line))])),
        steps: versions.map((v) => ({
          uses: at('actions/setup-node@v4', v.line - 2),
          with: new Map([['node-version', at(v.value, v.line)]]),
          loc: { file, line: v.line - 2 },
        })),
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
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:12 CI sets up Node 22, but \.nvmrc says 24, and the images run Node 24/);
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
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:9 CI \(setup-node node-version "18\.x"\) runs Node 18, which reached end of life on 2025-04-30/);
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
    assert.match(out[0], /^\.github\/workflows\/ci\.yml:4 CI \(setup-node node-version "18"\) runs Node 18, which reached end of life/);
    assert.match(out[1], /^\.github\/workflows\/ci\.yml:4 CI sets up Node 18, but \.nvmrc says 24, and the images run Node 24/);
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
