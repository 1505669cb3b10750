import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analysis } from '../src/analysis/index.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileIndex } from '../src/discover/files.js';
import { emptyModel } from '../src/discover/index.js';
import { discoverPackages } from '../src/discover/packages.js';
import { discoverDockerfiles } from '../src/discover/dockerfiles.js';
import type { DeploymentModel } from '../src/model/index.js';
import type { Rule } from '../src/rules/rule.js';
import healthcheck from '../src/rules/docker/healthcheck.js';
import runtimeAssetMissing from '../src/rules/docker/runtime-asset-missing.js';
import signalsNotForwarded from '../src/rules/docker/signals-not-forwarded.js';
import copySourceMissing from '../src/rules/docker/copy-source-missing.js';
import secretInBuild from '../src/rules/docker/secret-in-build.js';

/** The part of the model the docker rules read: packages and Dockerfiles (other areas are tested elsewhere). */
function discover(root: string): { model: DeploymentModel } {
  const model = emptyModel(root, new FileIndex(root));
  discoverPackages(model);
  discoverDockerfiles(model);
  return { model };
}

/** Writes a small repository, builds the model, optionally adjusts it, and runs one rule. */
async function check(rule: Rule, files: Record<string, string>, adjust?: (model: DeploymentModel) => void) {
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const { model } = discover(root);
    adjust?.(model);
    const findings: { id: string; line?: number; file?: string; message: string; severity?: string; related: number }[] = [];
    rule.check(model, (id, loc, _data, options) => findings.push({ id, line: loc?.line, file: loc?.file, message: id, severity: options?.severity, related: options?.related?.length ?? 0 }), new Analysis(model));
    return findings;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const SERVER = {
  'package.json': JSON.stringify({ name: 'api', scripts: { start: 'node dist/index.js' }, dependencies: { express: '4.21.2' } }),
  'package-lock.json': '{"lockfileVersion":3}',
  'dist/.keep': '',
};
const NO_CHECK = 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nUSER node\nEXPOSE 3000\nCMD ["node", "dist/index.js"]\n';

test('healthcheck: a missing HEALTHCHECK is reported only when no task definition exists', async () => {
  const without = await check(healthcheck, { ...SERVER, Dockerfile: NO_CHECK });
  assert.deepEqual(without.map((f) => [f.id, f.line]), [['missing', 1]]);
  const withTaskDefinition = await check(healthcheck, { ...SERVER, Dockerfile: NO_CHECK }, (model) => {
    model.infra.taskDefinitions = [{ family: 'api', containers: [] }] as unknown as typeof model.infra.taskDefinitions;
  });
  assert.deepEqual(withTaskDefinition, []);
});

test('healthcheck: curl is fine once the final stage installs it, even in an earlier parent stage', async () => {
  const dockerfile = 'FROM node:20-slim AS base\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nFROM base\nEXPOSE 3000\nHEALTHCHECK CMD curl -f http://localhost:3000/health\nCMD ["node", "server.js"]\n';
  assert.deepEqual(await check(healthcheck, { Dockerfile: dockerfile, 'server.js': '' }), []);
  const distroless = 'FROM gcr.io/distroless/nodejs20-debian12\nEXPOSE 3000\nHEALTHCHECK CMD node healthcheck.js\nCMD ["server.js"]\n';
  assert.deepEqual((await check(healthcheck, { Dockerfile: distroless })).map((f) => f.id), ['noShell']);
});

test('runtime-asset-missing: ENTRYPOINT node + CMD file, tini, and npm start through the start script', async () => {
  const base = 'FROM node:20-alpine AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n\nFROM node:20-alpine\nWORKDIR /app\n';
  const files = {
    'package.json': JSON.stringify({ name: 'api', scripts: { build: 'tsc', start: 'node --enable-source-maps dist/main.js' }, devDependencies: { typescript: '5.6.3' } }),
    'package-lock.json': '{"lockfileVersion":3}',
    'tsconfig.json': '{ "compilerOptions": { "outDir": "build" } }',
    '.dockerignore': 'node_modules\ndist\nbuild\n',
  };
  const entry = await check(runtimeAssetMissing, { ...files, Dockerfile: `${base}COPY --from=build /app/build ./build\nENTRYPOINT ["node"]\nCMD ["dist/main.js"]\n` });
  assert.deepEqual(entry.map((f) => [f.id, f.line]), [['entryMissing', 10]]);
  const viaStart = await check(runtimeAssetMissing, { ...files, Dockerfile: `${base}COPY --from=build /app/build ./build\nCOPY package.json ./\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["npm", "start"]\n` });
  assert.deepEqual(viaStart.map((f) => [f.id, f.line]), [['entryMissing', 11]]);
  const fixed = await check(runtimeAssetMissing, { ...files, Dockerfile: `${base}COPY --from=build /app/build ./dist\nENTRYPOINT ["node"]\nCMD ["dist/main.js"]\n` });
  assert.deepEqual(fixed, []);
});

test('runtime-asset-missing: silent when the build runs a script it cannot follow', async () => {
  const dockerfile = 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN ./scripts/build.sh\nCMD ["node", "out/server.js"]\n';
  assert.deepEqual(await check(runtimeAssetMissing, { Dockerfile: dockerfile, 'scripts/build.sh': '#!/bin/sh\n' }), []);
});

test('signals-not-forwarded: an entrypoint script that execs "$@" hands over to CMD, which is then judged', async () => {
  const script = '#!/bin/sh\nset -e\nnpx prisma migrate deploy\nexec "$@"\n';
  const ok = await check(signalsNotForwarded, { 'entrypoint.sh': script, Dockerfile: 'FROM node:20\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["node", "dist/index.js"]\n' });
  assert.deepEqual(ok, []);
  const npm = await check(signalsNotForwarded, { 'entrypoint.sh': script, Dockerfile: 'FROM node:20\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["npm", "start"]\n' });
  assert.deepEqual(npm.map((f) => [f.id, f.line]), [['runner', 4]]);
});

test('copy-source-missing: a context named by a workflow replaces the assumed one', async () => {
  const files = { 'services/api/package.json': '{}', 'services/api/Dockerfile': 'FROM node:20\nCOPY package.json ./\nCMD ["node", "index.js"]\n' };
  assert.deepEqual(await check(copySourceMissing, files), [], 'built from its own folder, package.json is there');
  const fromRoot = await check(copySourceMissing, files, (model) => {
    model.dockerfiles[0].contexts = [{ dir: '', via: 'workflow', source: { file: '.github/workflows/deploy.yml', line: 12 } }];
  });
  assert.deepEqual(fromRoot.map((f) => [f.id, f.file, f.line, f.severity, f.related]), [['missing', 'services/api/Dockerfile', 2, undefined, 1]]);
});

test('secret-in-build: the value of a secret never appears in the finding', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-'));
  try {
    writeFileSync(join(root, 'Dockerfile'), 'FROM node:20\nENV STRIPE_API_KEY=sk_live_abcdefghijklmnop\nENV GITHUB_PAT=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n');
    const { model } = discover(root);
    const messages: string[] = [];
    secretInBuild.check(model, (id, loc, data) => messages.push(`${id} ${loc?.line} ${JSON.stringify(data)}`), new Analysis(model));
    assert.equal(messages.length, 2);
    assert.ok(messages.every((m) => !m.includes('sk_live') && !m.includes('ghp_')), messages.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('healthcheck: an HTTP check on a worker, unless the image exposes a port', async () => {
  const worker = 'FROM node:20\nWORKDIR /app\nCOPY . .\nHEALTHCHECK CMD curl -f http://localhost:3000/health || exit 1\nCMD ["node", "worker.js"]\n';
  const asWorker = (model: DeploymentModel) => {
    model.services = [{ name: 'mailer', dir: '', kind: 'worker', dockerfiles: model.dockerfiles, routes: [], servers: [] } as unknown as DeploymentModel['services'][number]];
  };
  const findings = await check(healthcheck, { Dockerfile: worker, 'worker.js': '' }, asWorker);
  assert.deepEqual(findings.map((f) => [f.id, f.line]), [['httpForWorker', 4]]);
  const exposed = await check(healthcheck, { Dockerfile: worker.replace('COPY . .', 'COPY . .\nEXPOSE 3000'), 'worker.js': '' }, asWorker);
  assert.deepEqual(exposed, [], 'EXPOSE says it serves: the source analysis may have missed the server');
});

test('every docker rule survives odd Dockerfiles without throwing', async () => {
  const { dockerRules } = await import('../src/rules/docker/index.js');
  const odd = {
    'self/Dockerfile': 'FROM node:20 AS build\nCOPY --from=build /app /app\nWORKDIR /app\nRUN npm run build\nCMD ["node", "dist/index.js"]\n',
    'cycle/Dockerfile': 'FROM a AS b\nFROM b AS a\nCOPY --from=a / /\nCMD node x.js\n',
    'empty/Dockerfile': '',
    'only-args/Dockerfile': 'ARG X\n',
    'weird/Dockerfile': 'FROM ${IMAGE:-node}:${TAG}\nWORKDIR $HOME/app\nCOPY ["unterminated", \nCOPY --from= / /\nENTRYPOINT []\nCMD []\nHEALTHCHECK CMD\nENV =\nARG =x\nRUN\n',
    'json/Dockerfile': 'FROM node:20\nCMD ["node", 1, null]\nENTRYPOINT ["sh", "-c"]\n',
    'deep/Dockerfile': Array.from({ length: 40 }, (_, i) => `FROM ${i ? `s${i - 1}` : 'node:20'} AS s${i}\nCOPY --from=s${Math.max(0, i - 1)} /app /app`).join('\n') + '\nCMD ["node", "/app/x.js"]\n',
    'package.json': '{"name":"odd","workspaces":["*"],"dependencies":{"odd":"workspace:*"}}',
  };
  for (const rule of dockerRules) {
    await assert.doesNotReject(check(rule, odd), rule.id);
  }
});

test('signals-not-forwarded: exec form cannot set variables, so the fix moves them to ENV', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'web', scripts: { start: 'HOSTNAME=0.0.0.0 node server.js' } }));
    writeFileSync(join(root, 'Dockerfile'), 'FROM node:22-bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n');
    const { model } = discover(root);
    const data: Record<string, string | number>[] = [];
    signalsNotForwarded.check(model, (_id, _loc, d) => data.push(d ?? {}), new Analysis(model));
    assert.equal(data[0].direct, '["node", "server.js"]');
    assert.match(String(data[0].envNote), /ENV HOSTNAME=0\.0\.0\.0/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('signals-not-forwarded: the fix names the node command the start script runs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'api', scripts: { start: 'node --enable-source-maps build/server.js' } }));
    writeFileSync(join(root, 'Dockerfile'), 'FROM node:20-slim\nWORKDIR /srv\nCOPY package.json ./\nCOPY build ./build\nCMD ["npm", "start"]\n');
    const { model } = discover(root);
    const data: Record<string, string | number>[] = [];
    signalsNotForwarded.check(model, (_id, _loc, d) => data.push(d ?? {}), new Analysis(model));
    assert.equal(data.length, 1);
    assert.equal(data[0].direct, '["node", "--enable-source-maps", "build/server.js"]');
    assert.match(String(data[0].reason), /dash \(the \/bin\/sh of node:20-slim \(a Debian or Ubuntu image\)\) does not pass it on to node/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('image analysis follows yarn workspace builds and treats unknown package-manager commands as unknown', async () => {
  const { imageAnalysis } = await import('../src/rules/docker/_image.js');
  const fixture = new URL('./fixtures/docker/runtime-asset-missing/silent-yarn-workspaces/', import.meta.url).pathname;
  const { model } = discover(fixture);
  const dockerfile = model.dockerfiles[0];
  const final = dockerfile.stages[dockerfile.stages.length - 1];
  const analysis = imageAnalysis(model, dockerfile, '');
  assert.equal(analysis.has(final, '/repo/packages/api/dist/index.js'), 'yes');
  assert.equal(analysis.has(final, '/repo/packages/common/dist/index.js'), 'yes');
  assert.equal(analysis.has(final, '/repo/packages/api/build/index.js'), 'no');
  const foreach = parseForeach();
  const stage = foreach.stages[0];
  assert.equal(imageAnalysis(model, foreach, '').has(stage, '/repo/packages/api/dist/index.js'), 'unknown');

  function parseForeach() {
    const copy = { ...dockerfile, path: 'foreach/Dockerfile', stages: [{ ...dockerfile.stages[0], runs: dockerfile.stages[0].runs.map((r) => ({ ...r, commands: r.commands.map((c) => (c.argv[1] === 'workspace' ? { ...c, argv: ['yarn', 'workspaces', 'foreach', '-A', 'run', 'build'] } : c)) })) }] };
    return copy;
  }
});

test('one install line is one finding: the unfrozen install is listed under the package-manager-mismatch finding of the same line', async () => {
  const { audit } = await import('../src/engine/audit.js');
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-'));
  try {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'api', version: '1.0.0', dependencies: { express: '4.21.2' } }),
      'package-lock.json': JSON.stringify({ name: 'api', lockfileVersion: 3, requires: true, packages: {} }),
      '.dockerignore': '**/node_modules\n.git\n**/.env*\n',
      // The generated package.json is copied alone: the install runs before any lockfile is there.
      Dockerfile: 'FROM node:22-slim\nWORKDIR /app\nCOPY ./dist/api/package.json ./\nRUN npm i --omit=dev\nCOPY ./dist/api .\nUSER node\nCMD ["node", "main.js"]\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const grouped = await audit(root, { config: false, group: true });
    const onLine = grouped.findings.filter((f) => f.file === 'Dockerfile' && f.line === 4);
    assert.deepEqual(onLine.map((f) => f.ruleId), ['docker/package-manager-mismatch']);
    assert.ok(onLine[0].related.some((r) => r.line === 4 && r.message.startsWith('also docker/unfrozen-install: ')));
    const apart = await audit(root, { config: false, group: false });
    assert.deepEqual(apart.findings.filter((f) => f.file === 'Dockerfile' && f.line === 4).map((f) => f.ruleId).sort(), ['docker/package-manager-mismatch', 'docker/unfrozen-install']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
