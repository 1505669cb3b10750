import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analysis, nonProductionPath } from '../src/analysis/index.js';
import { discover } from '../src/discover/index.js';
import { writeFiles } from './helpers/git.js';

/** Production scope is decided once, in the analysis layer: every rule leaves out the same files. */

async function scopeOf(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'shipready-scope-'));
  writeFiles(root, files);
  try {
    const { model } = await discover(root);
    const analysis = new Analysis(model);
    const roles = Object.fromEntries(model.dockerfiles.map((d) => {
      const s = analysis.scope.dockerfile(d);
      return [d.path, `${s.role} ${s.production ? 'production' : 'not-production'} ${s.runtime}`];
    }));
    return { model, analysis, roles };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const NODE_SERVICE = 'FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n';

test('development, example, test and template Dockerfiles are not production; by name or by folder', async () => {
  const { roles } = await scopeOf({
    'Dockerfile': NODE_SERVICE,
    'Dockerfile.dev': NODE_SERVICE,
    'api/dev.Dockerfile': NODE_SERVICE,
    'Dockerfile-local': NODE_SERVICE,
    '.devcontainer/Dockerfile': 'FROM mcr.microsoft.com/devcontainers/typescript-node:20\n',
    '.gitpod.dockerfile': 'FROM gitpod/workspace-full\n',
    'examples/blog/Dockerfile': NODE_SERVICE,
    'templates/website/Dockerfile': NODE_SERVICE,
    'e2e/Dockerfile.test': NODE_SERVICE,
    'Dockerfile.integration': NODE_SERVICE,
    'services/devices/Dockerfile': NODE_SERVICE,
    'Dockerfile.worker': NODE_SERVICE,
    'Dockerfile.prod': NODE_SERVICE,
  });
  assert.deepEqual(roles, {
    'Dockerfile': 'service production node',
    'Dockerfile.dev': 'development not-production node',
    'api/dev.Dockerfile': 'development not-production node',
    'Dockerfile-local': 'development not-production node',
    '.devcontainer/Dockerfile': 'development not-production node',
    '.gitpod.dockerfile': 'development not-production unknown',
    'examples/blog/Dockerfile': 'non-production not-production node',
    'templates/website/Dockerfile': 'non-production not-production node',
    'e2e/Dockerfile.test': 'development not-production node',
    'Dockerfile.integration': 'development not-production node',
    'services/devices/Dockerfile': 'service production node',
    'Dockerfile.worker': 'service production node',
    'Dockerfile.prod': 'service production node',
  });
});

test('what a workflow builds and pushes is production wherever it lives', async () => {
  const { roles, analysis, model } = await scopeOf({
    'examples/demo/Dockerfile': NODE_SERVICE,
    '.github/workflows/deploy.yml': `on: push
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: examples/demo
          push: true
          tags: ghcr.io/acme/demo:\${{ github.sha }}
`,
  });
  assert.equal(roles['examples/demo/Dockerfile'], 'service production node');
  assert.match(analysis.scope.dockerfile(model.dockerfiles[0]).reason, /^pushed by \.github\/workflows\/deploy\.yml:\d+$/);
});

test('a base image another Dockerfile starts FROM is not a service; off-the-shelf servers and other languages are told apart', async () => {
  const { roles } = await scopeOf({
    'Dockerfile.base': 'FROM node:22 AS deps\nWORKDIR /app\nCOPY . .\nRUN yarn install --immutable && yarn build\n',
    'Dockerfile': 'ARG BASE_IMAGE=acme/outline-base\nFROM ${BASE_IMAGE} AS base\nFROM node:22-slim\nCOPY --from=base /app/build ./build\nUSER node\nCMD ["node", "build/server.js"]\n',
    '.github/workflows/docker.yml': `on: push
env:
  BASE_IMAGE_NAME: acme/outline-base
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile.base
          tags: \${{ env.BASE_IMAGE_NAME }}
          push: true
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile
          tags: acme/outline:latest
          push: true
`,
    'db/Dockerfile': 'FROM postgres:16-alpine\nCOPY init.sql /docker-entrypoint-initdb.d/\n',
    'web/Dockerfile': 'FROM node:22 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM nginx:1.27-alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n',
    'stats/Dockerfile': 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "main.py"]\n',
    'builder/Dockerfile.builder': 'FROM node:22\nRUN npm i -g pnpm\n',
    'docker-compose.yml': 'services:\n  web:\n    build: ./web\n  stats:\n    build: ./stats\n',
  });
  assert.deepEqual(roles, {
    'Dockerfile.base': 'base not-production node',
    'Dockerfile': 'service production node',
    'db/Dockerfile': 'infrastructure not-production other',
    'web/Dockerfile': 'service production static',
    'stats/Dockerfile': 'service production other',
    'builder/Dockerfile.builder': 'base not-production node',
  });
});

test('only Node images are judged by Node rules', async () => {
  const { analysis } = await scopeOf({
    'api/Dockerfile': NODE_SERVICE,
    'web/Dockerfile': 'FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\n',
    'stats/Dockerfile': 'FROM python:3.12-slim\nCMD ["python", "main.py"]\n',
    'tools/Dockerfile': 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y nodejs npm\nCMD ["node", "tool.js"]\n',
  });
  assert.deepEqual(analysis.scope.nodeDockerfiles().map((d) => d.path).sort(), ['api/Dockerfile', 'tools/Dockerfile']);
});

test('paths: examples, templates, tests, devcontainers and CI folders are not production code', () => {
  assert.equal(nonProductionPath('examples/astro/src/server.ts'), 'examples/ holds examples');
  assert.equal(nonProductionPath('packages/api/test/setup.ts'), 'test/ holds tests');
  assert.equal(nonProductionPath('.github/actions/triage/package.json'), '.github/ holds CI configuration');
  assert.equal(nonProductionPath('apps/api/src/test.ts'), undefined, 'a file named test is not a test folder');
  assert.equal(nonProductionPath('apps/api/src/server.ts'), undefined);
});

test('when CI builds images, a Dockerfile nothing names is not shipped; one a script names is', async () => {
  const { roles } = await scopeOf({
    'apps/api/Dockerfile': NODE_SERVICE,
    'apps/worker/Dockerfile': NODE_SERVICE,
    'apps/legacy/Dockerfile': NODE_SERVICE,
    'packages/generator/src/server/static/Dockerfile': NODE_SERVICE,
    'apps/web/Dockerfile': 'FROM node:22-alpine AS build\nRUN npm ci && npm run build\nFROM node:22-alpine\nCOPY --from=build /app/dist ./dist\nCMD ["npx", "http-server", "dist"]\n',
    'scripts/build-worker.sh': '#!/bin/sh\npnpm-context -- apps/worker/Dockerfile | docker buildx build --push -t acme/worker -\n',
    '.github/workflows/release.yml': `on: push
jobs:
  api:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: apps/api/Dockerfile
          tags: acme/api:\${{ github.sha }}
          push: true
      - run: ./scripts/build-worker.sh
      - run: docker build -f apps/web/Dockerfile -t acme/web .
`,
  });
  assert.deepEqual(roles, {
    'apps/api/Dockerfile': 'service production node',
    'apps/worker/Dockerfile': 'service production node',
    'apps/legacy/Dockerfile': 'non-production not-production node',
    'packages/generator/src/server/static/Dockerfile': 'non-production not-production node',
    'apps/web/Dockerfile': 'service production static',
  });
});
