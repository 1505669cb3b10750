import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { auditFixture, FIXTURES, toLine } from './helpers/fixtures.js';
import { severityRank } from '../src/rules/rule.js';
import { toServiceJson } from '../src/report/services.js';

/**
 * A well-run pnpm workspace written without looking at the rules: a Fastify API (JavaScript ESM,
 * env-schema, close-with-grace, knex with the RDS CA bundle), a setInterval worker (envalid, pg Pool),
 * safe Knex migrations, Dockerfiles built with `pnpm fetch` + `pnpm deploy --prod`, GitHub Actions
 * with OIDC, scans, a migration job on pull requests, `aws ecs wait services-stable`, a smoke test
 * and a rollback, Renovate, and Terraform for the ECS services, the ALB and the ECR repositories.
 * shipready must understand it and stay quiet.
 */
const SCENARIO = join(FIXTURES, 'scenarios', 'well-run-fastify-knex-terraform');

test('well-run Fastify + Knex + Terraform workspace: no finding of severity medium or above', async () => {
  const { result, cleanup } = await auditFixture(SCENARIO);
  try {
    const serious = result.findings.filter((f) => severityRank(f.severity) <= severityRank('medium'));
    assert.deepEqual(serious.map((f) => `${toLine(f)} [${f.severity}] ${f.message}`), []);
    // Low and info findings: one. Every other one the audit made on this repository while it was
    // written was either a real gap of the repository (fixed in it: migrations are now applied to a
    // throwaway PostgreSQL on pull requests) or a misunderstanding of shipready (env-schema, fixed in
    // the source discoverer). A new low/info finding here must be judged and listed with the reason it
    // is right. This one is: without a git base, the newest migration is taken as the pending one and
    // the four before it as applied, which the report says once.
    assert.deepEqual(result.findings.map((f) => `${toLine(f)} [${f.severity}]`), ['(repository) migrations/applied-not-checked [info]']);
    assert.deepEqual(result.model.problems, [], 'every artifact parsed');
  } finally {
    cleanup();
  }
});

test('well-run Fastify + Knex + Terraform workspace: every migration, judged as history, is safe too', async () => {
  const { result, cleanup } = await auditFixture(SCENARIO, { migrations: { all: true } });
  try {
    assert.deepEqual(result.findings.map((f) => `${toLine(f)} [${f.severity}] ${f.message}`), []);
  } finally {
    cleanup();
  }
});

test('well-run Fastify + Knex + Terraform workspace: the services section understood both services', async () => {
  const { result, cleanup } = await auditFixture(SCENARIO, { migrations: { all: true } });
  try {
    const services = result.model.services.map((s) => toServiceJson(s) as Record<string, any>);
    assert.deepEqual(services.map((s) => [s.name, s.kind]), [
      ['@orders/api', 'http'],
      ['@orders/worker', 'worker'],
    ]);
    const [api, worker] = services;

    assert.equal(api.framework, 'fastify');
    assert.equal(api.entry, 'apps/api/src/server.js');
    assert.deepEqual(api.port, { value: 8080, env: 'PORT', text: 'Number(process.env.PORT ?? 8080)', file: 'apps/api/src/server.js', line: 15 });
    assert.equal(api.host, '0.0.0.0');
    assert.deepEqual(api.healthRoutes, [
      { method: 'GET', path: '/healthz', file: 'apps/api/src/app.js', line: 26 },
      { method: 'GET', path: '/readyz', file: 'apps/api/src/app.js', line: 29 },
    ]);
    // env-schema: the names in `required` without a default; LOG_LEVEL has one, so it is optional.
    assert.deepEqual(api.requiredEnv, [
      { name: 'DATABASE_URL', file: 'apps/api/src/env.js', line: 10, via: 'env-schema' },
      { name: 'CORS_ORIGINS', file: 'apps/api/src/env.js', line: 11, via: 'env-schema' },
    ]);
    assert.ok(api.optionalEnv.some((e: { name: string; default: string }) => e.name === 'LOG_LEVEL' && e.default === 'info'));
    assert.deepEqual(api.shutdown, { signal: 'SIGTERM', file: 'apps/api/src/server.js', line: 9, via: 'close-with-grace', timeoutMs: 10000 });
    assert.deepEqual(api.connections, [{ kind: 'knex', file: 'apps/api/src/db.js', line: 9, closed: true }]);
    assert.deepEqual(api.dockerfiles, ['apps/api/Dockerfile']);
    assert.deepEqual(
      api.deployment.map((d: Record<string, unknown>) => [d.taskDefinition, d.container, d.stopTimeoutSeconds, d.cpuArchitecture, d.secrets]),
      [['infra/ecs.tf:11', 'api', 30, 'ARM64', ['DATABASE_URL', 'CORS_ORIGINS']]],
    );
    assert.equal(api.behindLoadBalancer.keepAliveTimeoutMs.value, 65000);

    assert.equal(worker.port, null);
    assert.equal(worker.entry, 'apps/worker/src/worker.js');
    assert.deepEqual(worker.healthRoutes, []);
    assert.deepEqual(worker.requiredEnv, [{ name: 'DATABASE_URL', file: 'apps/worker/src/worker.js', line: 7, via: 'envalid cleanEnv' }]);
    assert.deepEqual(worker.shutdown, { signal: 'SIGTERM', file: 'apps/worker/src/worker.js', line: 44, via: 'process.on', timeoutMs: null });
    assert.deepEqual(worker.connections, [{ kind: 'pg', file: 'apps/worker/src/worker.js', line: 15, closed: true }]);
    assert.deepEqual(
      worker.deployment.map((d: Record<string, unknown>) => [d.taskDefinition, d.container, d.secrets]),
      [['infra/ecs.tf:65', 'worker', ['DATABASE_URL']]],
    );

    // The Knex migrations were read (schema builder and knex.raw alike), and only the CONCURRENTLY one,
    // which exports `config = { transaction: false }`, is known to run outside a transaction.
    assert.deepEqual(
      result.model.migrations.map((m) => [m.path.replace('apps/api/migrations/', ''), m.tool, m.statements.map((st) => st.kind), m.toolTransaction !== undefined]),
      [
        ['20261001090000_create_orders.js', 'knex', ['CreateStmt'], true],
        ['20261010090000_add_orders_note.js', 'knex', ['AlterTableStmt'], true],
        ['20261012090000_index_orders_customer_id.js', 'knex', ['IndexStmt'], false],
        ['20261015090000_orders_amount_check.js', 'knex', ['AlterTableStmt'], true],
        ['20261016090000_validate_orders_amount_check.js', 'knex', ['AlterTableStmt'], true],
      ],
    );
  } finally {
    cleanup();
  }
});
