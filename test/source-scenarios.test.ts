import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, toLine } from './helpers/fixtures.js';
import type { Finding } from '../src/engine/finding.js';
import { severityRank } from '../src/rules/rule.js';
import { healthRoutes } from '../src/model/source.js';

/** Findings of the source area: other areas' rules are judged by their own tests. */
function isSourceFinding(f: Finding): boolean {
  return f.ruleId.startsWith('src/') || f.ruleId === 'repo/env-example-incomplete';
}

const IDIOMATIC: { dir: string; framework: string; requiredEnv: string[] }[] = [
  { dir: 'idiomatic-express', framework: 'express', requiredEnv: ['CORS_ORIGINS', 'DATABASE_URL'] },
  { dir: 'idiomatic-fastify', framework: 'fastify', requiredEnv: ['ALLOWED_ORIGINS', 'DATABASE_URL'] },
  { dir: 'idiomatic-nest', framework: 'nest', requiredEnv: ['DATABASE_URL', 'JWT_SECRET'] },
  { dir: 'idiomatic-koa', framework: 'koa', requiredEnv: ['REDIS_URL'] },
  { dir: 'idiomatic-http', framework: 'http', requiredEnv: ['MONGODB_URI'] },
];

for (const scenario of IDIOMATIC) {
  test(`${scenario.dir}: a service that shuts down, has health routes and validates env gives no medium+ source finding`, async () => {
    const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', scenario.dir));
    try {
      // The service must be understood, or silence would prove nothing.
      assert.equal(result.model.services.length, 1);
      const service = result.model.services[0];
      assert.equal(service.kind, 'http');
      assert.equal(service.servers[0]?.framework, scenario.framework);
      assert.ok(healthRoutes(service).length > 0, 'health route found');
      assert.ok(service.signalHandlers.some((h) => h.signal === 'SIGTERM'), 'SIGTERM handling found');
      assert.ok(service.connections.length > 0 && service.connections.every((c) => c.closedAt), 'connections found and closed');
      const required = [...new Set(service.env.filter((e) => e.required).map((e) => e.name))].sort();
      assert.deepEqual(required, scenario.requiredEnv);

      const serious = result.findings.filter((f) => isSourceFinding(f) && severityRank(f.severity) <= severityRank('medium'));
      assert.deepEqual(serious.map((f) => `${toLine(f)} [${f.severity}] ${f.message}`), []);
    } finally {
      cleanup();
    }
  });
}

test('the JSON services section names kind, entry, port, health routes and required env with file:line', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'scenarios', 'idiomatic-nest'));
  try {
    const { toServiceJson } = await import('../src/report/services.js');
    const json = toServiceJson(result.model.services[0]) as Record<string, unknown>;
    assert.equal(json.name, 'users-api');
    assert.equal(json.kind, 'http');
    assert.equal(json.entry, 'src/main.ts');
    assert.deepEqual(json.port, { value: 3000, env: 'PORT', text: "config.get<number>('PORT', 3000)", file: 'src/main.ts', line: 11 });
    assert.deepEqual(json.healthRoutes, [
      { method: 'GET', path: '/health/live', file: 'src/health/health.controller.ts', line: 13 },
      { method: 'GET', path: '/health/ready', file: 'src/health/health.controller.ts', line: 18 },
    ]);
    assert.deepEqual(json.requiredEnv, [
      { name: 'DATABASE_URL', file: 'src/app.module.ts', line: 14, via: 'Joi validationSchema' },
      { name: 'JWT_SECRET', file: 'src/app.module.ts', line: 15, via: 'Joi validationSchema' },
    ]);
    assert.deepEqual(json.dockerfiles, ['Dockerfile']);
  } finally {
    cleanup();
  }
});

test('seed 002: the vite import chain from the production entry is in related, with the devDependencies line', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'src', 'dev-dependency-in-production', 'fires'));
  try {
    const vite = result.findings.find((f) => f.ruleId === 'src/dev-dependency-in-production' && f.message.includes('"vite"'));
    assert.ok(vite);
    assert.equal(vite.severity, 'critical');
    assert.equal(`${vite.file}:${vite.line}`, 'server/vite.ts:4');
    assert.match(vite.message, /production entry server\/index\.ts/);
    assert.deepEqual(
      vite.related.map((r) => `${r.file}:${r.line} ${r.message}`),
      ['server/index.ts:3 imports "./vite"', 'package.json:22 "vite" is declared in devDependencies'],
    );
  } finally {
    cleanup();
  }
});

test('seed 003: the ws:// URL with the backend port and the loopback bind are quoted in the messages', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'src', 'hardcoded-backend-port', 'fires'));
  try {
    const url = result.findings.find((f) => f.ruleId === 'src/hardcoded-backend-port' && f.line === 12);
    assert.ok(url);
    assert.match(url.message, /`ws:\/\/\$\{host\}:8000\$\{WEBSOCKET_CONFIG\.ENDPOINT\}` with port 8000/);
    assert.equal(result.model.services.find((s) => s.name === 'durable-frontend')?.kind, 'frontend');
  } finally {
    cleanup();
  }
  const local = await auditFixture(join(FIXTURES, 'src', 'listen-localhost', 'fires'));
  try {
    const bind = local.result.findings.find((f) => f.ruleId === 'src/listen-localhost');
    assert.ok(bind);
    assert.equal(bind.severity, 'high');
    assert.match(bind.message, /listens on 127\.0\.0\.1/);
  } finally {
    local.cleanup();
  }
});
