import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analysis, nonProductionPath } from '../src/analysis/index.js';
import { nonRootByDefault } from '../src/analysis/scope.js';
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

test('local setups are not production: development/ folders, compose services that mount the source, retired compose profiles, test runners, base-image folders', async () => {
  const { roles } = await scopeOf({
    'docker/app/development/Dockerfile': 'FROM node:16-slim\nWORKDIR /app\nCOPY . .\nRUN npm install\nENTRYPOINT ["docker/app/development/docker-entrypoint.sh"]\n',
    'docker/app/production/Dockerfile': NODE_SERVICE,
    'services/live/Dockerfile': NODE_SERVICE,
    'services/live/src/server.js': 'require("http").createServer().listen(3000);\n',
    'packages/old-backend/Dockerfile': NODE_SERVICE,
    'services/test-suite/Dockerfile': 'FROM node:18-slim\nWORKDIR /srv\nCOPY . .\nCMD ["node", "./node_modules/.bin/mocha", "-b", "--exit"]\n',
    'services/e2e-runner/Dockerfile': 'FROM node:18-slim\nWORKDIR /srv\nCOPY . .\nCMD ["npm", "run", "test:e2e"]\n',
    'base-images/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN apt-get update && apt-get install -y ca-certificates\n',
    'deps/tables/Dockerfile': 'FROM alpine:3.6\nRUN apk add --update python py-pip && pip install awscli\nADD tables.sh .\nENTRYPOINT ["sh", "tables.sh"]\n',
    'docker-compose.yml': `services:
  app:
    build:
      context: .
      dockerfile: ./docker/app/development/Dockerfile
    volumes:
      - .:/app
  live:
    build: ./services/live
    volumes:
      - ./services/live/src:/app/src
  old-backend:
    profiles: ["deprecated"]
    build:
      context: .
      dockerfile: packages/old-backend/Dockerfile
  tests:
    build: ./services/test-suite
  tables:
    build: ./deps/tables
`,
  });
  assert.deepEqual(roles, {
    'docker/app/development/Dockerfile': 'development not-production node',
    'docker/app/production/Dockerfile': 'service production node',
    'services/live/Dockerfile': 'development not-production node',
    'packages/old-backend/Dockerfile': 'non-production not-production node',
    'services/test-suite/Dockerfile': 'non-production not-production node',
    'services/e2e-runner/Dockerfile': 'non-production not-production node',
    'base-images/Dockerfile': 'base not-production unknown',
    // A Python tool image: production as far as anyone can tell, but not a Node service.
    'deps/tables/Dockerfile': 'service production other',
  });
});

test('what the start command runs decides the runtime: a package script that starts http-server serves static files', async () => {
  const { roles } = await scopeOf({
    'apps/web/package.json': JSON.stringify({ name: 'web', scripts: { 'start:static:build': 'http-server build -p 4200', build: 'react-app-rewired build' } }),
    'apps/web/Dockerfile': 'FROM node:20-alpine\nRUN npm i -g pnpm http-server\nWORKDIR /app\nCOPY build ./build\nCOPY package.json .\nCMD ["pnpm", "start:static:build"]\n',
    'apps/api/package.json': JSON.stringify({ name: 'api', scripts: { start: 'run-s migrate serve', migrate: 'node dist/migrate.js', serve: 'node dist/index.js' } }),
    'apps/api/Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n',
  });
  assert.equal(roles['apps/web/Dockerfile'], 'service production static');
  // `run-s migrate serve` names scripts, not a static server called "serve".
  assert.equal(roles['apps/api/Dockerfile'], 'service production node');
});

test('an Nx container target builds its project\'s Dockerfile from the workspace root, and makes CI an image builder', async () => {
  const { model, roles } = await scopeOf({
    'nx.json': '{}',
    'package.json': JSON.stringify({ name: '@acme/source', private: true }),
    'packages/server/project.json': JSON.stringify({ name: 'server', targets: { 'package:container': { executor: '@nx-tools/nx-container:build', options: { tags: ['acme/server:latest'] } } } }),
    'packages/server/Dockerfile': 'FROM node:22-slim\nWORKDIR /app\nCOPY ./dist/packages/server .\nUSER node\nENTRYPOINT ["node", "./main.js"]\n',
    'packages/db/prisma/Dockerfile': 'FROM node:12\nRUN npm install -g @prisma/cli\nADD ./ ./prisma/\nCMD ["prisma", "migrate", "up", "--experimental"]\n',
  });
  const server = model.dockerfiles.find((d) => d.path === 'packages/server/Dockerfile')!;
  assert.deepEqual(server.contexts.map((c) => [c.dir, c.via, c.source?.file]), [['', 'script', 'packages/server/project.json']]);
  assert.equal(roles['packages/server/Dockerfile'], 'service production node');
  assert.equal(roles['packages/db/prisma/Dockerfile'], 'non-production not-production node');
});

test('image users: hardened images run as non-root, a derived image inherits USER from the repository\'s own parent image, an app image others extend stays a service', async () => {
  const { model, analysis, roles } = await scopeOf({
    'Dockerfile': 'FROM node:22-alpine AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci\nFROM node:22-alpine\nCOPY --from=build /app /app\nUSER nodejs\nCMD ["node", "/app/server.js"]\n',
    'Dockerfile.chromium': 'ARG TAG=latest\nFROM acme/app:${TAG}\nRUN npx playwright install chromium\n',
    'hardened/Dockerfile': 'FROM dhi.io/node:22-debian12\nCOPY server.js .\nCMD ["node", "server.js"]\n',
    'hardened/dev.Dockerfile': 'FROM dhi.io/node:22-debian12-dev\nCMD ["node", "server.js"]\n',
    '.github/workflows/release.yml': `on: push
jobs:
  images:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          tags: acme/app:\${{ github.sha }}
          push: true
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile.chromium
          tags: acme/app-chromium:\${{ github.sha }}
          push: true
`,
  });
  const byPath = (p: string) => model.dockerfiles.find((d) => d.path === p)!;
  assert.equal(roles['Dockerfile'], 'service production node');
  assert.equal(analysis.scope.parentDockerfile(byPath('Dockerfile.chromium'))?.path, 'Dockerfile');
  assert.match(analysis.scope.inheritedUser(byPath('Dockerfile.chromium'))!.text, /^USER nodejs of its parent image, built by Dockerfile$/);
  assert.match(analysis.scope.inheritedUser(byPath('hardened/Dockerfile'))!.text, /Docker Hardened Images/);
  assert.equal(analysis.scope.inheritedUser(byPath('hardened/dev.Dockerfile')), undefined, 'the -dev variants keep root');
});

test('CI build arguments and generated contexts: what the build really gets', async () => {
  const { model, analysis } = await scopeOf({
    'Dockerfile': 'ARG BASE_IMAGE=acme/base\nFROM ${BASE_IMAGE} AS base\nFROM node:22-slim\nCOPY --from=base /app /app\nCMD ["node", "/app/server.js"]\n',
    'apps/api/Dockerfile': 'FROM node:20-alpine\nCOPY ./meta .\nCOPY ./deps .\nCMD ["node", "main.js"]\n',
    'apps/api/package.json': JSON.stringify({ name: 'api', scripts: { 'docker:build': 'pnpm --silent --workspace-root pnpm-context -- apps/api/Dockerfile | docker buildx build --load -t acme-api -' } }),
    '.github/workflows/docker.yml': `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: base_build
        uses: useblacksmith/build-push-action@v2
        with:
          context: .
          file: Dockerfile.base
      - uses: useblacksmith/build-push-action@v2
        with:
          context: .
          file: Dockerfile
          build-args: |
            BASE_IMAGE=acme/base@\${{ steps.base_build.outputs.digest }}
            NODE_ENV=production
`,
  });
  const byPath = (p: string) => model.dockerfiles.find((d) => d.path === p)!;
  assert.deepEqual([...analysis.scope.ciBuildArgs(byPath('Dockerfile')).entries()].map(([k, v]) => [k, v.value]), [
    ['BASE_IMAGE', 'acme/base@${{ steps.base_build.outputs.digest }}'],
    ['NODE_ENV', 'production'],
  ]);
  assert.equal(analysis.scope.ciBuildArgs(byPath('apps/api/Dockerfile')).size, 0);
  assert.equal(analysis.scope.generatedContext(byPath('apps/api/Dockerfile'))?.file, 'apps/api/package.json');
  assert.equal(analysis.scope.generatedContext(byPath('Dockerfile')), undefined);
});

test('nonRootByDefault reads the registry and the tag', () => {
  const image = (raw: string, name: string, registry?: string, tag?: string) => ({ raw, name, registry, tag, unresolved: false });
  assert.match(nonRootByDefault(image('cgr.dev/chainguard/node', 'chainguard/node', 'cgr.dev'))!, /Chainguard/);
  assert.equal(nonRootByDefault(image('cgr.dev/chainguard/node:latest-dev', 'chainguard/node', 'cgr.dev', 'latest-dev')), undefined);
  assert.match(nonRootByDefault(image('gcr.io/distroless/nodejs22-debian12:nonroot', 'distroless/nodejs22-debian12', 'gcr.io', 'nonroot'))!, /nonroot/);
  assert.equal(nonRootByDefault(image('node:22-alpine', 'node', undefined, '22-alpine')), undefined);
});
