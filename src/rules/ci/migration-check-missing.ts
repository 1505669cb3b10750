import type { DeploymentModel } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { allSteps, deployEvidence, findActivity, abandonedDockerfile, runsOnPullRequests, unreachable } from './_pipeline.js';

/** Migration folders of the usual tools: knex/TypeORM/node-pg-migrate `migrations/`, Drizzle `drizzle/`, Prisma `prisma/migrations/`. */
const MIGRATION_FILE = /(^|\/)(migrations|drizzle|migrate)\/.+\.(sql|ts|js|mjs|cjs)$/;

/** Folders named for a database a PostgreSQL/MySQL check cannot apply or lint (ClickHouse, MongoDB, …). */
const OTHER_ENGINE_FOLDER = /^(clickhouse|mongo|mongodb|cassandra|scylla|dynamodb|redis|elasticsearch|neo4j|influxdb|sqlite|sqlite3)$/i;

/**
 * Packages that run SQL migrations written as scripts (Knex, TypeORM, Sequelize, node-pg-migrate,
 * Kysely, MikroORM) or talk to PostgreSQL/MySQL. A script migration in a package with none of them
 * is a data script for another store (MongoDB migrations booting the app), not SQL.
 */
const SQL_PACKAGE = /^(knex|typeorm|sequelize|sequelize-cli|node-pg-migrate|kysely|drizzle-orm|pg|postgres|pg-promise|slonik|mysql|mysql2|mariadb|@mikro-orm\/(postgresql|mysql|mariadb|migrations)|umzug|db-migrate|@databases\/pg|@databases\/mysql)$/;

export default defineRule({
  id: 'ci/migration-check-missing',
  severity: 'medium',
  title: 'Database migrations are never checked in CI',
  messages: {
    missing: {
      message: 'the repository has SQL database migrations ({{migration}}, {{count}} file(s)) and {{does}}, but no workflow checks them (lint for destructive or locking statements, or applies them to a test database on pull requests)',
      fix: 'add a pull-request job that lints the migrations (e.g. `npx shipready migrations` or squawk) and applies them to a throwaway database service container of the same engine',
    },
  },
  check(model, report) {
    const evidence = deployEvidence(model);
    if (!evidence) return;
    const scope = model.migrationScope;
    const located = scope ? [...scope.judged, ...scope.notJudged].sort() : [];
    const candidates = located.length > 0 ? located : model.files.paths.filter((p) => MIGRATION_FILE.test(p) && !p.endsWith('.d.ts'));
    const files = candidates.filter((p) => isSqlMigration(model, p) && shipped(model, p));
    if (files.length === 0) return;
    if (findActivity(model, 'migration-check')) return;
    for (const { workflow, step } of allSteps(model)) {
      if (runsOnPullRequests(workflow) && step.activities.some((a) => a.kind === 'migration-run')) return;
    }
    // A repository that only publishes images (its users' containers migrate their own databases) has less at stake than one that deploys onto its own.
    const deploys = evidence.kind === 'deploy';
    report(
      'missing',
      evidence.loc,
      { migration: files[0], count: files.length, does: deploys ? 'deploys' : 'publishes images' },
      { related: [{ file: files[0], line: 1, message: 'a migration no workflow checks' }], key: 'migration-check-missing', ...(deploys ? {} : { severity: 'low' }) },
    );
  },
});

/**
 * A migration a SQL check can take: a `.sql` file outside folders named for another engine, or a
 * script in a package that depends on a SQL migration tool or driver.
 */
function isSqlMigration(model: DeploymentModel, path: string): boolean {
  if (path.split('/').slice(0, -1).some((s) => OTHER_ENGINE_FOLDER.test(s))) return false;
  if (path.endsWith('.sql')) return true;
  const owner = model.packages.filter((p) => p.dir === '' || path.startsWith(p.dir + '/')).sort((a, b) => b.dir.length - a.dir.length)[0];
  return !!owner && [...owner.dependencies.keys()].some((name) => SQL_PACKAGE.test(name));
}

/**
 * The migration is part of what the workflows ship: inside the context of an image they build and
 * push (and can build). Without such builds (a deploy of an image made elsewhere) it is taken as shipped.
 */
function shipped(model: DeploymentModel, path: string): boolean {
  const contexts: string[] = [];
  for (const { workflow, job, step } of allSteps(model)) {
    for (const build of step.dockerBuilds) {
      if (!build.push || abandonedDockerfile(model, job, step, build) || unreachable(model, workflow, job, step)) continue;
      if (build.contextDirs.length === 0) return true;
      contexts.push(...build.contextDirs);
    }
  }
  return contexts.length === 0 || contexts.some((dir) => dir === '' || path.startsWith(dir + '/'));
}
