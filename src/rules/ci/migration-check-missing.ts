import { defineRule } from '../rule.js';
import { deployEvidence, findActivity, allSteps, runsOnPullRequests } from './_pipeline.js';

/** Migration folders of the usual tools: knex/TypeORM/node-pg-migrate `migrations/`, Drizzle `drizzle/`, Prisma `prisma/migrations/`. */
const MIGRATION_FILE = /(^|\/)(migrations|drizzle|migrate)\/.+\.(sql|ts|js|mjs|cjs)$/;

export default defineRule({
  id: 'ci/migration-check-missing',
  severity: 'medium',
  title: 'Database migrations are never checked in CI',
  messages: {
    missing: {
      message: 'the repository has database migrations ({{migration}}, {{count}} file(s)) and deploys, but no workflow checks them (lint for destructive or locking statements, or applies them to a test database on pull requests)',
      fix: 'add a pull-request job that lints the migrations (e.g. `npx shipready migrations` or squawk) and applies them to a throwaway PostgreSQL service container',
    },
  },
  check(model, report) {
    const evidence = deployEvidence(model);
    if (!evidence) return;
    const scope = model.migrationScope;
    const located = scope ? [...scope.judged, ...scope.notJudged].sort() : [];
    const files = located.length > 0 ? located : model.files.paths.filter((p) => MIGRATION_FILE.test(p) && !p.endsWith('.d.ts'));
    if (files.length === 0) return;
    if (findActivity(model, 'migration-check')) return;
    for (const { workflow, step } of allSteps(model)) {
      if (runsOnPullRequests(workflow) && step.activities.some((a) => a.kind === 'migration-run')) return;
    }
    report('missing', evidence.loc, { migration: files[0], count: files.length }, { related: [{ file: files[0], line: 1, message: 'a migration no workflow checks' }], key: 'migration-check-missing' });
  },
});
