import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analysis } from '../src/analysis/index.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileIndex } from '../src/discover/files.js';
import { emptyModel } from '../src/discover/index.js';
import { discoverPackages } from '../src/discover/packages.js';
import { discoverDockerfiles, parseDockerfile } from '../src/discover/dockerfiles.js';
import { discoverPrisma, parsePrismaSchema } from '../src/discover/prisma.js';
import { imageOsOf, prismaEngineFor } from '../src/model/docker.js';
import { splitImage } from '../src/discover/dockerfiles.js';
import type { DeploymentModel } from '../src/model/index.js';
import type { Rule } from '../src/rules/rule.js';
import nodeEnvBeforeBuildInstall from '../src/rules/docker/node-env-before-build-install.js';
import prismaEngineMismatch from '../src/rules/docker/prisma-engine-mismatch.js';
import devRuntimeInProduction, { devRuntimeOf } from '../src/rules/docker/dev-runtime-in-production.js';

const os = (image: string) => {
  const parts = splitImage(image);
  return imageOsOf({ ...parts, unresolved: false });
};

test('image OS: libc and OpenSSL from the image name and tag', () => {
  assert.deepEqual([os('node:20-alpine')?.libc, os('node:20-alpine')?.openssl], ['musl', '3']);
  assert.equal(os('node:18-alpine3.16')?.openssl, '1.1');
  assert.equal(os('node:20-alpine3.19')?.openssl, '3');
  assert.deepEqual([os('node:18-bullseye-slim')?.libc, os('node:18-bullseye-slim')?.openssl], ['glibc', '1.1']);
  assert.equal(os('node:22-bookworm-slim')?.openssl, '3');
  assert.equal(os('node:20')?.openssl, '3');
  assert.equal(os('node:20')?.pinned, false);
  assert.equal(os('node:16')?.openssl, '1.1');
  assert.equal(os('public.ecr.aws/docker/library/node:20-alpine')?.libc, 'musl');
  assert.deepEqual([os('gcr.io/distroless/nodejs22-debian12')?.libc, os('gcr.io/distroless/nodejs22-debian12')?.openssl], ['glibc', '3']);
  assert.equal(os('gcr.io/distroless/nodejs18-debian11')?.openssl, '1.1');
  assert.equal(os('alpine:3.16')?.openssl, '1.1');
  assert.equal(os('amazonlinux:2023')?.family, 'rhel');
  assert.equal(os('ubuntu:22.04')?.openssl, '3');
  assert.equal(os('mycompany/node-base:2.1'), undefined);
  assert.equal(imageOsOf({ name: 'node', tag: '${NODE_VERSION}-alpine', unresolved: true }), undefined);
});

test('Prisma engine names for each OS and CPU', () => {
  assert.equal(prismaEngineFor(os('node:20-alpine')!, 'x64'), 'linux-musl-openssl-3.0.x');
  assert.equal(prismaEngineFor(os('node:20-alpine')!, 'arm64'), 'linux-musl-arm64-openssl-3.0.x');
  assert.equal(prismaEngineFor(os('node:18-alpine3.16')!, 'x64'), 'linux-musl');
  assert.equal(prismaEngineFor(os('node:18-bullseye')!, 'x64'), 'debian-openssl-1.1.x');
  assert.equal(prismaEngineFor(os('node:22-bookworm-slim')!, 'arm64'), 'linux-arm64-openssl-3.0.x');
  assert.equal(prismaEngineFor(os('amazonlinux:2')!, 'x64'), 'rhel-openssl-1.0.x');
});

test('Dockerfile: ENV and ARG in effect at each RUN, runtime ENV, OS packages', () => {
  const dockerfile = parseDockerfile(
    [
      'ARG NODE_ENV=production',
      'FROM node:20-alpine AS base',
      'ARG NODE_ENV',
      'ARG MODE',
      'ENV APP_ENV=${NODE_ENV} PORT=${PORT:-8080}',
      'RUN apk add --no-cache openssl tzdata=2024a-r0 && npm ci',
      'FROM base AS build',
      'ENV NODE_ENV=development',
      'RUN apt-get install -y --no-install-recommends curl $EXTRA',
    ].join('\n'),
    'Dockerfile',
  );
  const [base, build] = dockerfile.stages;
  const run = base.runs[0];
  assert.equal(run.environment.get('NODE_ENV')?.value, 'production');
  assert.equal(run.environment.get('NODE_ENV')?.source, 'ARG');
  assert.equal(run.environment.get('MODE')?.value, undefined);
  assert.equal(run.environment.get('APP_ENV')?.value, 'production');
  assert.equal(run.environment.get('PORT')?.value, '8080');
  assert.deepEqual(base.osPackages.map((p) => [p.value, p.loc.line]), [['openssl', 6], ['tzdata', 6]]);
  assert.equal(base.runtimeEnv.has('NODE_ENV'), false, 'ARG does not persist into the container');
  // The child stage inherits ENV, not ARG, and the parent's OS packages.
  assert.equal(build.runs[0].environment.get('NODE_ENV')?.value, 'development');
  assert.equal(build.runs[0].environment.get('APP_ENV')?.value, 'production');
  assert.deepEqual(build.osPackages.map((p) => p.value), ['openssl', 'tzdata', 'curl']);
  assert.equal(build.os?.libc, 'musl');
});

test('Prisma schema: generator blocks with binaryTargets, output, comments and expressions', () => {
  const schema = parsePrismaSchema(
    [
      '// the client',
      'generator client {',
      '  provider      = "prisma-client-js"',
      '  binaryTargets = ["native", // for local dev',
      '                   "linux-musl-openssl-3.0.x"]',
      '  output        = "../src/generated/client"',
      '}',
      'generator erd {',
      '  provider = "prisma-erd-generator"',
      '  binaryTargets = env("TARGETS")',
      '}',
      'model User {',
      '  id Int @id @default(autoincrement())',
      '}',
    ].join('\n'),
    'api/prisma/schema.prisma',
  );
  const [client, erd] = schema.generators;
  assert.equal(client.name, 'client');
  assert.equal(client.loc.line, 2);
  assert.deepEqual(client.binaryTargets?.map((t) => [t.value, t.loc.line]), [['native', 4], ['linux-musl-openssl-3.0.x', 5]]);
  assert.equal(client.binaryTargetsLoc?.line, 4);
  assert.equal(client.output?.value, 'api/src/generated/client');
  assert.equal(erd.binaryTargetsUnknown, true);
});

/** Writes a small repository, builds the model (packages, Dockerfiles, Prisma), runs one rule. */
function check(rule: Rule, files: Record<string, string>, adjust?: (model: DeploymentModel) => void) {
  const root = mkdtempSync(join(tmpdir(), 'shipready-docker-field-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const model = emptyModel(root, new FileIndex(root));
    discoverPackages(model);
    discoverDockerfiles(model);
    discoverPrisma(model);
    adjust?.(model);
    const findings: { id: string; file?: string; line?: number }[] = [];
    rule.check(model, (id, loc) => findings.push({ id, file: loc?.file, line: loc?.line }), new Analysis(model));
    return findings;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const BUILD_IN_BASE = 'FROM node:20-alpine AS build\nENV NODE_ENV=production\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\nCOPY . .\nRUN yarn build\n';

test('node-env-before-build-install: Yarn 1 skips devDependencies, Yarn 2+ does not', () => {
  const pkg = (manager?: string) => JSON.stringify({ name: 'web', ...(manager ? { packageManager: manager } : {}), scripts: { build: 'tsc' }, devDependencies: { typescript: '5.6.3' } });
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, { 'package.json': pkg(), 'yarn.lock': '# yarn lockfile v1\n', Dockerfile: BUILD_IN_BASE }), [{ id: 'devDependenciesSkipped', file: 'Dockerfile', line: 2 }]);
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, { 'package.json': pkg('yarn@4.5.1'), 'yarn.lock': '__metadata:\n  version: 8\n', Dockerfile: BUILD_IN_BASE }), []);
});

test('node-env-before-build-install: pnpm workspace build through --filter reaches the member script', () => {
  const files = {
    'package.json': JSON.stringify({ name: 'mono', private: true, devDependencies: { typescript: '5.6.3' } }),
    'pnpm-workspace.yaml': 'packages:\n  - apps/*\n',
    'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    'apps/api/package.json': JSON.stringify({ name: '@acme/api', scripts: { build: 'tsc -p tsconfig.json' }, dependencies: { fastify: '4.28.1' } }),
    'apps/api/Dockerfile': 'FROM node:20-slim AS build\nARG NODE_ENV=production\nWORKDIR /repo\nCOPY . .\nRUN corepack enable && pnpm install --frozen-lockfile\nRUN pnpm --filter @acme/api build\n\nFROM node:20-slim\nCOPY --from=build /repo/apps/api/dist /app/dist\nCMD ["node", "/app/dist/main.js"]\n',
  };
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, files), [{ id: 'devDependenciesSkipped', file: 'apps/api/Dockerfile', line: 2 }]);
});

const PRISMA_PACKAGE = JSON.stringify({ name: 'api', scripts: { build: 'tsc' }, dependencies: { '@prisma/client': '6.1.0' }, devDependencies: { prisma: '6.1.0' } });
const PRISMA_DOCKERFILE = 'FROM node:20-bookworm AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npx prisma generate && npm run build\n\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=build /app/node_modules ./node_modules\nCOPY --from=build /app/dist ./dist\nCMD ["node", "dist/main.js"]\n';

test('prisma-engine-mismatch: an ARM64 task needs the arm64 musl engine; the x64 one alone is not enough', () => {
  const schema = 'generator client {\n  provider = "prisma-client-js"\n  binaryTargets = ["native", "linux-musl-openssl-3.0.x"]\n}\n';
  const files = { 'package.json': PRISMA_PACKAGE, 'prisma/schema.prisma': schema, Dockerfile: PRISMA_DOCKERFILE.replace('FROM node:20-alpine', 'FROM --platform=linux/arm64 node:20-alpine') };
  assert.deepEqual(check(prismaEngineMismatch, files), [{ id: 'missingEngine', file: 'prisma/schema.prisma', line: 3 }]);
  // Without a platform, the x64 engine covers the ECS default.
  assert.deepEqual(check(prismaEngineMismatch, { ...files, Dockerfile: PRISMA_DOCKERFILE }), []);
});

test('prisma-engine-mismatch: Prisma 7 and engineType "client" have no native engine to mismatch', () => {
  const schema = 'generator client {\n  provider = "prisma-client-js"\n}\n';
  const prisma7 = JSON.stringify({ name: 'api', dependencies: { '@prisma/client': '^7.0.0' } });
  assert.deepEqual(check(prismaEngineMismatch, { 'package.json': prisma7, 'prisma/schema.prisma': schema, Dockerfile: PRISMA_DOCKERFILE }), []);
  const clientEngine = 'generator client {\n  provider = "prisma-client"\n  engineType = "client"\n  output = "../src/generated"\n}\n';
  assert.deepEqual(check(prismaEngineMismatch, { 'package.json': PRISMA_PACKAGE, 'prisma/schema.prisma': clientEngine, Dockerfile: PRISMA_DOCKERFILE }), []);
  assert.deepEqual(check(prismaEngineMismatch, { 'package.json': PRISMA_PACKAGE, 'prisma/schema.prisma': schema, Dockerfile: PRISMA_DOCKERFILE }), [{ id: 'missingEngine', file: 'prisma/schema.prisma', line: 1 }]);
});

test('dev-runtime-in-production: what counts as a development runtime', () => {
  assert.ok(devRuntimeOf(['node', '--import', 'tsx', 'src/main.ts']));
  assert.ok(devRuntimeOf(['node', '-r', 'ts-node/register', 'src/main.ts']));
  assert.ok(devRuntimeOf(['node', '--watch', 'dist/main.js']));
  assert.ok(devRuntimeOf(['pnpm', 'exec', 'tsx', 'src/main.ts']));
  assert.ok(devRuntimeOf(['next', 'dev']));
  assert.ok(devRuntimeOf(['vite', '--host', '0.0.0.0']));
  assert.equal(devRuntimeOf(['vite', 'preview']), undefined);
  assert.equal(devRuntimeOf(['next', 'start']), undefined);
  assert.equal(devRuntimeOf(['node', '--enable-source-maps', 'dist/main.js']), undefined);
  assert.equal(devRuntimeOf(['node', 'dist/tsx-report.js']), undefined);
});

test('dev-runtime-in-production: an entrypoint script that execs ts-node', () => {
  const files = {
    'package.json': JSON.stringify({ name: 'api', dependencies: { 'ts-node': '10.9.2' } }),
    'docker-entrypoint.sh': '#!/bin/sh\nset -e\nnpx prisma migrate deploy\nexec npx ts-node src/main.ts\n',
    Dockerfile: 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nUSER node\nENTRYPOINT ["./docker-entrypoint.sh"]\n',
  };
  assert.deepEqual(check(devRuntimeInProduction, files), [{ id: 'devRuntime', file: 'Dockerfile', line: 6 }]);
});

test('prisma-client-not-generated: a build it cannot follow (turbo, a shell script) may generate, so it stays silent', async () => {
  const { default: prismaClientNotGenerated } = await import('../src/rules/docker/prisma-client-not-generated.js');
  const files = (build: string) => ({
    'package.json': JSON.stringify({ name: 'api', scripts: { build: 'tsc' }, dependencies: { '@prisma/client': '5.22.0' }, devDependencies: { prisma: '5.22.0', turbo: '2.3.0' } }),
    'prisma/schema.prisma': 'generator client {\n  provider = "prisma-client-js"\n}\n',
    Dockerfile: `FROM node:20-slim AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN ${build}\n\nFROM node:20-slim\nWORKDIR /app\nCOPY --from=build /app/node_modules ./node_modules\nCOPY --from=build /app/dist ./dist\nCMD ["node", "dist/main.js"]\n`,
  });
  assert.deepEqual(check(prismaClientNotGenerated, files('npx turbo run build')), []);
  assert.deepEqual(check(prismaClientNotGenerated, files('pnpm turbo run build')), []);
  assert.deepEqual(check(prismaClientNotGenerated, files('./scripts/build.sh')), []);
  assert.deepEqual(check(prismaClientNotGenerated, files('npm run build')), [{ id: 'neverGenerated', file: 'Dockerfile', line: 4 }]);
});

test('Prisma rules: prisma generate at container start (a start script) generates on the runtime image', async () => {
  const { default: prismaClientNotGenerated } = await import('../src/rules/docker/prisma-client-not-generated.js');
  const files = {
    'package.json': JSON.stringify({ name: 'api', scripts: { 'db:deploy': 'prisma migrate deploy && prisma generate', start: 'node dist/main.js' }, dependencies: { '@prisma/client': '5.22.0', prisma: '5.22.0' } }),
    'prisma/schema.prisma': 'generator client {\n  provider = "prisma-client-js"\n}\n',
    '.dockerignore': 'node_modules\n',
    Dockerfile: 'FROM node:20-bookworm AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npx prisma generate && npm run build\n\nFROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\nCOPY prisma ./prisma\nCOPY --from=build /app/dist ./dist\nCMD ["sh", "-c", "npm run db:deploy && npm start"]\n',
  };
  assert.deepEqual(check(prismaClientNotGenerated, files), []);
  assert.deepEqual(check(prismaEngineMismatch, files), []);
  const withoutStartGenerate = { ...files, Dockerfile: files.Dockerfile.replace('npm run db:deploy && npm start', 'npm start') };
  assert.deepEqual(check(prismaClientNotGenerated, withoutStartGenerate), [{ id: 'notCopied', file: 'Dockerfile', line: 11 }]);
});

test('node-env-before-build-install: a globally installed CLI does not need devDependencies', () => {
  const files = {
    'package.json': JSON.stringify({ name: 'api', scripts: { build: 'nest build' }, dependencies: { '@nestjs/core': '10.4.7' }, devDependencies: { '@nestjs/cli': '10.4.7' } }),
    'package-lock.json': '{"lockfileVersion":3}',
    Dockerfile: 'FROM node:20-alpine AS build\nENV NODE_ENV=production\nWORKDIR /app\nRUN npm install -g @nestjs/cli@10.4.7\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n\nFROM node:20-alpine\nCOPY --from=build /app/dist /app/dist\nCMD ["node", "/app/dist/main.js"]\n',
  };
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, files), []);
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, { ...files, Dockerfile: files.Dockerfile.replace('RUN npm install -g @nestjs/cli@10.4.7\n', '') }), [{ id: 'devDependenciesSkipped', file: 'Dockerfile', line: 2 }]);
});

test('node-env-before-build-install: a project .npmrc with production=true copied before npm ci', () => {
  const files = {
    'package.json': JSON.stringify({ name: 'api', scripts: { build: 'tsc' }, devDependencies: { typescript: '5.6.3' } }),
    'package-lock.json': '{"lockfileVersion":3}',
    '.npmrc': 'engine-strict=true\nproduction=true\n',
    Dockerfile: 'FROM node:20-alpine AS build\nWORKDIR /app\nCOPY package.json package-lock.json .npmrc ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n\nFROM node:20-alpine\nCOPY --from=build /app/dist /app/dist\nCMD ["node", "/app/dist/main.js"]\n',
  };
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, files), [{ id: 'devDependenciesSkipped', file: '.npmrc', line: 2 }]);
  // Copied only after the install: npm ci did not read it.
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, { ...files, Dockerfile: files.Dockerfile.replace(' .npmrc ./', ' ./') }), []);
  assert.deepEqual(check(nodeEnvBeforeBuildInstall, { ...files, Dockerfile: files.Dockerfile.replace('RUN npm ci', 'RUN npm ci --include=dev') }), []);
});

test('prisma-client-not-generated: a client committed to a custom output folder needs no generate in the image', async () => {
  const { default: prismaClientNotGenerated } = await import('../src/rules/docker/prisma-client-not-generated.js');
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'api', dependencies: { '@prisma/client': '5.22.0' } }),
    'prisma/schema.prisma': 'generator client {\n  provider = "prisma-client-js"\n  output   = "../src/generated/client"\n}\n',
    Dockerfile: 'FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\nCOPY src ./src\nCMD ["node", "src/index.js"]\n',
  };
  assert.deepEqual(check(prismaClientNotGenerated, files), [{ id: 'neverGenerated', file: 'Dockerfile', line: 4 }]);
  assert.deepEqual(check(prismaClientNotGenerated, { ...files, 'src/generated/client/index.js': 'module.exports = {};\n' }), []);
});
