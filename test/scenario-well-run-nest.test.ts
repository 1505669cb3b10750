import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, toLine } from './helpers/fixtures.js';
import { severityRank } from '../src/rules/rule.js';
import { toServiceJson } from '../src/report/services.js';

/**
 * A well-run repository the rules were not written against: NestJS API (terminus /health, Joi env
 * schema in its own file, Prisma with the musl engine), BullMQ worker, npm workspaces, multi-stage
 * Dockerfiles, CDK infrastructure, a PR workflow and an environment-protected deploy with migrations
 * as a separate ECS task. shipready must understand it and stay silent.
 */
const SCENARIO = join(FIXTURES, 'scenarios', 'well-run-nest-prisma-cdk');

test('well-run NestJS + Prisma + BullMQ + CDK repository: no finding of medium or above', async () => {
  const { result, cleanup } = await auditFixture(SCENARIO);
  try {
    const serious = result.findings.filter((f) => severityRank(f.severity) <= severityRank('medium'));
    assert.deepEqual(serious.map((f) => `${toLine(f)} [${f.severity}] ${f.message}`), []);
    // Low and info findings: one. Every one that appears here must be listed with the reason it is
    // right. This one is: without a git base, the newest Prisma migration is taken as the pending one
    // and the others as applied, which the report says once.
    const minor = result.findings.filter((f) => severityRank(f.severity) > severityRank('medium'));
    assert.deepEqual(minor.map((f) => `${toLine(f)} [${f.severity}]`), ['(repository) migrations/applied-not-checked [info]']);
    assert.deepEqual(result.model.problems, [], 'every artifact parsed');
  } finally {
    cleanup();
  }
});

test('well-run NestJS scenario: the services section understands both services', async () => {
  const { result, cleanup } = await auditFixture(SCENARIO);
  try {
    const services = Object.fromEntries(result.model.services.map((s) => [s.name, toServiceJson(s) as Record<string, any>]));
    assert.deepEqual(Object.keys(services).sort(), ['@orders/api', '@orders/worker']);

    const api = services['@orders/api'];
    assert.equal(api.kind, 'http');
    assert.equal(api.framework, 'nest');
    assert.equal(api.entry, 'apps/api/src/main.ts');
    assert.deepEqual(api.port, { value: 3000, env: 'PORT', text: "config.get<number>('PORT', 3000)", file: 'apps/api/src/main.ts', line: 16 });
    assert.deepEqual(api.healthRoutes, [{ method: 'GET', path: '/health', file: 'apps/api/src/health/health.controller.ts', line: 13 }]);
    // The Joi schema lives in its own file (config/env.validation.ts) and is handed to ConfigModule.forRoot.
    assert.deepEqual(
      api.requiredEnv.map((e: any) => `${e.name} ${e.file}:${e.line} ${e.via}`),
      [
        'DATABASE_URL apps/api/src/config/env.validation.ts:7 Joi validationSchema',
        'REDIS_URL apps/api/src/config/env.validation.ts:8 Joi validationSchema',
        'CORS_ORIGINS apps/api/src/config/env.validation.ts:9 Joi validationSchema',
      ],
    );
    assert.equal(api.shutdown.via, 'enableShutdownHooks');
    assert.deepEqual(api.connections.map((c: any) => `${c.kind} closed=${c.closed}`), ['ioredis closed=true', 'bullmq closed=true', 'prisma closed=true']);
    assert.deepEqual(api.dockerfiles, ['apps/api/Dockerfile']);
    assert.equal(api.deployment.length, 1);
    assert.equal(api.deployment[0].container, 'api');
    assert.equal(api.deployment[0].stopTimeoutSeconds, 45);
    assert.deepEqual(api.deployment[0].secrets, ['DATABASE_URL', 'REDIS_URL']);
    assert.equal(api.behindLoadBalancer.keepAliveTimeoutMs.value, 65000);
    assert.deepEqual(api.behindLoadBalancer.trustProxy.map((t: any) => t.value), ['1']);

    const worker = services['@orders/worker'];
    assert.equal(worker.kind, 'worker');
    assert.equal(worker.entry, 'apps/worker/src/main.ts');
    assert.deepEqual(worker.healthRoutes, []);
    assert.deepEqual(worker.requiredEnv.map((e: any) => `${e.name} ${e.via}`), ['REDIS_URL zod schema', 'SMTP_URL zod schema']);
    assert.deepEqual(worker.shutdown, { signal: 'SIGTERM', file: 'apps/worker/src/main.ts', line: 38, via: 'process.on', timeoutMs: 45000 });
    assert.deepEqual(worker.connections.map((c: any) => `${c.kind} closed=${c.closed}`), ['ioredis closed=true', 'bullmq closed=true']);
    assert.equal(worker.deployment.length, 1);
    assert.equal(worker.deployment[0].container, 'worker');
    // Above the worker's own 45 s forced exit, so ECS never SIGKILLs a draining worker.
    assert.equal(worker.deployment[0].stopTimeoutSeconds, 60);
  } finally {
    cleanup();
  }
});
