import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';
import { audit } from '../src/engine/audit.js';

/** Writes a small repository to a temporary folder. */
function repo(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'shipready-source-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const pkg = (extra: object) => JSON.stringify({ name: 'svc', version: '1.0.0', scripts: { start: 'node dist/index.js' }, ...extra });

test('type-only imports, dev-only require and dev-only import() are not production dependencies', async () => {
  const { root, cleanup } = repo({
    'package.json': pkg({ dependencies: { express: '4' }, devDependencies: { vite: '5', 'pino-pretty': '13', chokidar: '4' } }),
    'tsconfig.json': '{ "compilerOptions": { "outDir": "dist", "rootDir": "src" } }',
    'src/index.ts': [
      "import express from 'express';",
      "import type { ViteDevServer } from 'vite';",
      "import { type InlineConfig } from 'vite';",
      "import { Plugin } from 'vite'; // used only as a type: TypeScript drops this import",
      'const app = express();',
      "if (process.env.NODE_ENV !== 'production') {",
      "  require('pino-pretty');",
      "  void import('chokidar');",
      '}',
      "app.get('/health', (_req, res) => res.send('ok'));",
      'const server = app.listen(3000);',
      "process.on('SIGTERM', () => server.close());",
      'export type Dev = ViteDevServer | InlineConfig;',
      'export const plugins: Plugin[] = [];',
    ].join('\n'),
  });
  try {
    const { model } = await discover(root);
    assert.deepEqual(model.services[0].externalImports.map((i) => i.packageName), ['express']);
  } finally {
    cleanup();
  }
});

test('a devDependency behind a production import() is still reported, as high, with the dynamic step in the chain', async () => {
  const { root, cleanup } = repo({
    'package.json': pkg({ dependencies: { express: '4' }, devDependencies: { 'swagger-ui-express': '5' } }),
    'tsconfig.json': '{ "compilerOptions": { "outDir": "dist", "rootDir": "src" } }',
    'src/index.ts': [
      "import express from 'express';",
      'const app = express();',
      "app.get('/health', (_req, res) => res.send('ok'));",
      "app.get('/docs', async (_req, res) => {",
      "  const { docs } = await import('./docs.js');",
      '  res.send(docs());',
      '});',
      'const server = app.listen(3000);',
      "process.on('SIGTERM', () => server.close());",
    ].join('\n'),
    'src/docs.ts': "import swaggerUi from 'swagger-ui-express';\nexport const docs = () => String(swaggerUi);\n",
  });
  try {
    const result = await audit(root);
    const finding = result.findings.find((f) => f.ruleId === 'src/dev-dependency-in-production');
    assert.ok(finding);
    assert.equal(finding.severity, 'high');
    assert.equal(`${finding.file}:${finding.line}`, 'src/docs.ts:1');
    assert.deepEqual(finding.related.map((r) => `${r.file}:${r.line} ${r.message}`).slice(0, 1), ['src/index.ts:5 dynamically imports "./docs.js"']);
  } finally {
    cleanup();
  }
});

test('tsconfig paths, workspace packages with exports, and a monorepo Dockerfile CMD resolve to source files', async () => {
  const { root, cleanup } = repo({
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['services/*', 'packages/*'] }),
    'tsconfig.base.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@lib/*': ['packages/lib/src/*'] } } }),
    'packages/lib/package.json': JSON.stringify({ name: '@acme/lib', version: '1.0.0', exports: { '.': { import: './dist/index.js' }, './queue': './dist/queue.js', './util/*': { import: './dist/util/*.js' } } }),
    'packages/lib/src/util/trim.ts': 'export const trim = (s: string) => s.trim();\n',
    'packages/lib/tsconfig.json': '{ "extends": "../../tsconfig.base.json", "compilerOptions": { "outDir": "dist", "rootDir": "src" } }',
    'packages/lib/src/index.ts': "export { pool } from './db';\n",
    'packages/lib/src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
    'packages/lib/src/queue.ts': "import { Queue } from 'bullmq';\nexport const queue = new Queue('q');\n",
    'packages/lib/src/format.ts': 'export const format = (s: string) => s.trim();\n',
    'services/api/package.json': JSON.stringify({ name: '@acme/api', version: '1.0.0', dependencies: { '@acme/lib': '*', express: '4', pg: '8', bullmq: '5' } }),
    'services/api/tsconfig.json': '{ "extends": "../../tsconfig.base.json", "compilerOptions": { "outDir": "dist", "rootDir": "src" } }',
    'services/api/src/index.ts': [
      "import express from 'express';",
      "import { pool } from '@acme/lib';",
      "import { queue } from '@acme/lib/queue';",
      "import { format } from '@lib/format';",
      "import { trim } from '@acme/lib/util/trim';",
      'const app = express();',
      "app.get('/healthz', (_req, res) => res.send(trim(format(' ok '))));",
      'const server = app.listen(Number(process.env.PORT ?? 8080));',
      "process.on('SIGTERM', () => server.close(async () => { await pool.end(); await queue.close(); }));",
    ].join('\n'),
    'services/api/Dockerfile': 'FROM node:20-alpine\nWORKDIR /app/services/api\nCOPY . /app\nUSER node\nCMD ["node", "dist/index.js"]\n',
  });
  try {
    const { model } = await discover(root);
    const api = model.services.find((s) => s.name === '@acme/api');
    assert.ok(api);
    assert.equal(api.kind, 'http');
    assert.deepEqual(api.entries.map((e) => `${e.file} ${e.via}`), ['services/api/src/index.ts services/api/Dockerfile CMD']);
    assert.deepEqual(api.dockerfiles.map((d) => d.path), ['services/api/Dockerfile']);
    assert.deepEqual([...api.files].sort(), [
      'packages/lib/src/db.ts',
      'packages/lib/src/format.ts',
      'packages/lib/src/index.ts',
      'packages/lib/src/queue.ts',
      'packages/lib/src/util/trim.ts',
      'services/api/src/index.ts',
    ]);
    assert.deepEqual(api.connections.map((c) => `${c.kind} ${c.name} closed=${!!c.closedAt}`).sort(), ['bullmq queue closed=true', 'pg pool closed=true']);
    assert.equal(api.servers[0].port?.env, 'PORT');
    assert.equal(api.servers[0].port?.value, 8080);
    // The library is not a service of its own.
    assert.equal(model.services.length, 1);
  } finally {
    cleanup();
  }
});

test('one package run by two images is two services: the API and the worker are judged apart', async () => {
  const { root, cleanup } = repo({
    'package.json': pkg({ scripts: { start: 'node dist/server.js' }, dependencies: { express: '4', bullmq: '5' } }),
    'tsconfig.json': '{ "compilerOptions": { "outDir": "dist", "rootDir": "src" } }',
    'src/server.ts': [
      "import express from 'express';",
      'const app = express();',
      "app.get('/health', (_req, res) => res.send('ok'));",
      'const server = app.listen(3000);',
      "process.on('SIGTERM', () => server.close());",
    ].join('\n'),
    'src/worker.ts': "import { Worker } from 'bullmq';\nnew Worker('emails', async () => {});\n",
    'Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY dist ./dist\nUSER node\nCMD ["node", "dist/server.js"]\n',
    'worker.Dockerfile': 'FROM node:20-alpine\nWORKDIR /app\nCOPY dist ./dist\nUSER node\nCMD ["node", "dist/worker.js"]\n',
  });
  try {
    const result = await audit(root);
    const services = result.model.services.map((s) => `${s.name} ${s.kind} ${s.entries.map((e) => e.file).join(',')} ${s.dockerfiles.map((d) => d.path).join(',')}`);
    assert.deepEqual(services.sort(), ['svc (worker) worker src/worker.ts worker.Dockerfile', 'svc http src/server.ts Dockerfile']);
    const sigterm = result.findings.filter((f) => f.ruleId === 'src/no-sigterm-handler').map((f) => `${f.file}:${f.line}`);
    assert.deepEqual(sigterm, ['src/worker.ts:2']); // the BullMQ worker that keeps it running
  } finally {
    cleanup();
  }
});

test('an undeclared package is reported (medium with npm); one the workspace root declares is not', async () => {
  const { root, cleanup } = repo({
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['services/*'], dependencies: { zod: '3' } }),
    'services/api/package.json': JSON.stringify({ name: '@acme/api', version: '1.0.0', scripts: { start: 'node src/index.js' }, dependencies: { express: '4' } }),
    'services/api/src/index.js': [
      "const express = require('express');",
      "const { z } = require('zod');",
      "const _ = require('lodash');",
      'const app = express();',
      "app.get('/health', (_req, res) => res.send(_.identity('ok')));",
      'const server = app.listen(3000);',
      "process.on('SIGTERM', () => server.close());",
      'module.exports = { z };',
    ].join('\n'),
  });
  try {
    const result = await audit(root);
    const found = result.findings.filter((f) => f.ruleId === 'src/dev-dependency-in-production').map((f) => `${f.file}:${f.line} ${f.severity}`);
    assert.deepEqual(found, ['services/api/src/index.js:3 medium']);
  } finally {
    cleanup();
  }
});

test('an undeclared package named only as a decorated parameter type is kept and marked; one named only in types is dropped', async () => {
  const { root, cleanup } = repo({
    'package.json': pkg({ dependencies: { '@nestjs/common': '10', '@nestjs/core': '10' } }),
    'tsconfig.json': '{ "compilerOptions": { "outDir": "dist", "rootDir": "src", "experimentalDecorators": true, "emitDecoratorMetadata": true } }',
    'src/index.ts': [
      "import { NestFactory } from '@nestjs/core';",
      "import { Controller, Get, Module, Req } from '@nestjs/common';",
      "import { Request } from 'express'; // the type of a decorated parameter: decorator metadata may name it",
      "import { Document } from 'mongoose'; // only in an interface: erased",
      "import { Redis } from 'ioredis'; // used as a value",
      "interface Item extends Pick<Document, '_id'> { name: string }",
      "@Controller('items')",
      'class ItemsController {',
      '  private readonly cache = new Redis();',
      '  @Get()',
      '  list(@Req() req: Request): Item[] { return []; }',
      '}',
      '@Module({ controllers: [ItemsController] })',
      'class AppModule {}',
      'const app = await NestFactory.create(AppModule);',
      'app.enableShutdownHooks();',
      'await app.listen(3000);',
    ].join('\n'),
  });
  try {
    const { model } = await discover(root);
    const imports = model.services[0].externalImports.map((i) => `${i.packageName}${i.metadataOnly ? ' (metadata only)' : ''}`).sort();
    assert.deepEqual(imports, ['@nestjs/common', '@nestjs/core', 'express (metadata only)', 'ioredis']);
  } finally {
    cleanup();
  }
});

test('a require() in a try block is optional; a lockfile entry hoisted for another package is recorded', async () => {
  const { root, cleanup } = repo({
    'package.json': pkg({ dependencies: { koa: '2' } }),
    'package-lock.json': JSON.stringify({
      name: 'svc',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'svc', dependencies: { koa: '2' } }, 'node_modules/koa': { version: '2.15.3' }, 'node_modules/escape-html': { version: '1.0.3' } },
    }),
    'src/index.js': [
      "const Koa = require('koa');",
      "const escape = require('escape-html');",
      'let nr = null;',
      "try { nr = require('newrelic'); } catch { nr = null; }",
      'const app = new Koa();',
      'app.use((ctx) => { ctx.body = escape(String(ctx.query.q)); });',
      'const server = app.listen(3000);',
      "process.on('SIGTERM', () => server.close());",
    ].join('\n'),
  });
  try {
    const { model } = await discover(root);
    const byName = new Map(model.services[0].externalImports.map((i) => [i.packageName, i]));
    assert.equal(byName.get('newrelic')?.optional, true);
    assert.equal(byName.get('escape-html')?.installedThrough?.entry, 'node_modules/escape-html');
    assert.equal(byName.get('koa')?.installedThrough, undefined);
  } finally {
    cleanup();
  }
});
