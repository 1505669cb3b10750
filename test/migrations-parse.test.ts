import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPgParser } from '../src/discover/migrations/pg.js';
import { parseSql } from '../src/discover/migrations/sql.js';
import { audit } from '../src/engine/audit.js';
import { migrationRules } from '../src/rules/migrations/index.js';

/**
 * A throwaway repository with these files, audited with the migration rules only. These tests are
 * about reading and judging statements: every migration is judged (not only the pending ones), and
 * every rule's finding is listed apart (not grouped by statement).
 */
async function auditFiles(files: Record<string, string>, options: { labels?: string[] } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'shipready-migrations-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    const result = await audit(root, { rules: migrationRules, config: false, labels: options.labels ?? [], migrations: { all: true }, group: false });
    return { result, lines: result.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`).sort() };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('statement lines are right after multi-byte text (libpg-query reports UTF-8 byte offsets)', async () => {
  const parser = await loadPgParser();
  const sql = "-- Übersicht 😀 des données\nINSERT INTO t VALUES ('日本語😀');\n\n  /* é */ ALTER TABLE users\n  DROP COLUMN a;\nSELECT 'ß';";
  const parsed = parseSql(parser, sql);
  assert.deepEqual(
    parsed.statements.map((s) => [s.line, s.kind]),
    [
      [2, 'InsertStmt'],
      [4, 'AlterTableStmt'],
      [6, 'SelectStmt'],
    ],
  );
  assert.equal(parsed.statements[1].text, 'ALTER TABLE users DROP COLUMN a');
});

test('a statement that does not parse is reported at its own line; the others are still parsed', async () => {
  const parser = await loadPgParser();
  const parsed = parseSql(parser, "SELECT '😀😀';\nALTER TABLE users\n  ADD COLUMN;\nDROP TABLE t;");
  assert.deepEqual(parsed.errors.map((e) => e.line), [3]);
  assert.deepEqual(parsed.statements.map((s) => [s.line, s.kind]), [
    [1, 'SelectStmt'],
    [4, 'DropStmt'],
  ]);
});

test('a 1 MB migration file parses and is checked whole', async () => {
  const statements: string[] = [];
  let size = 0;
  for (let i = 0; size < 1_000_000; i++) {
    const s =
      i % 3 === 0
        ? `ALTER TABLE orders_${i} ADD COLUMN note_${i} text; -- commentaire é\n`
        : i % 3 === 1
          ? `CREATE TABLE audit_${i} (id bigint PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz DEFAULT now());\n`
          : `INSERT INTO settings (key, value) VALUES ('k${i}', 'valeur ${i}');\n`;
    statements.push(s);
    size += Buffer.byteLength(s);
  }
  statements.push('ALTER TABLE users DROP COLUMN legacy_field;\n');
  const text = statements.join('');
  assert.ok(Buffer.byteLength(text) > 1_000_000 && Buffer.byteLength(text) < 1_048_576);
  await loadPgParser();
  // Its speed is measured by npm run bench, never asserted here.
  const { result, lines } = await auditFiles({ 'migrations/0001_big.sql': text });
  assert.deepEqual(lines, [`migrations/0001_big.sql:${statements.length} migrations/drop-column`]);
  assert.equal(result.model.migrations[0].statements.length, statements.length);
});

test('Knex schema-builder calls are read as the SQL they run, at the line of the call', async () => {
  const { lines } = await auditFiles({
    'migrations/20240101_orders.js': `exports.up = async function (knex) {
  await knex.schema.alterTable('orders', (table) => {
    table.dropColumn('legacy');
    table.renameColumn('total', 'amount');
    table.dropNullable('currency');
    table.index(['customer_id']);
    table.foreign('coupon_id').references('id').inTable('coupons');
    table.decimal('amount', 12, 2).alter();
    table.string('note');
    table.uuid('region').notNullable();
  });
  await knex.schema.renameTable('posts', 'articles');
  await knex.schema.dropTableIfExists('audit_log');
  await knex.schema.createTable('drafts', (table) => {
    table.increments('id');
  });
  await knex.schema.dropTable('drafts');
};

exports.down = async function (knex) {
  await knex.schema.dropTable('orders');
};
`,
  });
  assert.deepEqual(
    lines,
    [
      'migrations/20240101_orders.js:3 migrations/drop-column',
      'migrations/20240101_orders.js:4 migrations/renaming-column',
      'migrations/20240101_orders.js:5 migrations/setting-not-null',
      'migrations/20240101_orders.js:6 migrations/require-concurrent-index-creation',
      'migrations/20240101_orders.js:7 migrations/constraint-missing-not-valid',
      'migrations/20240101_orders.js:8 migrations/changing-column-type',
      'migrations/20240101_orders.js:10 migrations/adding-required-field',
      'migrations/20240101_orders.js:12 migrations/renaming-table',
      'migrations/20240101_orders.js:13 migrations/drop-table',
    ].sort(),
  );
});

test('TypeORM: multi-statement template literals keep their lines, builder calls are read, down() is not', async () => {
  const { lines, result } = await auditFiles({
    'src/migrations/1700000000000-Orders.ts': `import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class Orders1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`
      ALTER TABLE "orders" ADD "note" text;
      CREATE INDEX "IDX_orders_note" ON "orders" ("note");
      ALTER TABLE "orders" ALTER COLUMN "total" TYPE numeric(12,2)\`);
    await queryRunner.query(\`ALTER TABLE "\${'orders'}" DROP COLUMN "legacy"\`);
    await queryRunner.createTable(new Table({ name: 'refunds', columns: [] }));
    await queryRunner.dropColumn('refunds', 'reason');
    await queryRunner.clearTable('sessions');
    await queryRunner.dropForeignKey('orders', 'FK_orders_coupon');
    await queryRunner.query(\`ALTER TABLE "orders" ADD COLUMN\`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`DROP TABLE "orders"\`);
  }
}
`,
  });
  assert.deepEqual(
    lines,
    [
      'src/migrations/1700000000000-Orders.ts:7 migrations/require-concurrent-index-creation',
      'src/migrations/1700000000000-Orders.ts:8 migrations/changing-column-type',
      // ${} parts are placeholders: the statement is still judged.
      'src/migrations/1700000000000-Orders.ts:9 migrations/drop-column',
      'src/migrations/1700000000000-Orders.ts:12 migrations/truncate-table',
      'src/migrations/1700000000000-Orders.ts:13 migrations/drop-constraint',
      'src/migrations/1700000000000-Orders.ts:14 migrations/parse-error',
    ].sort(),
  );
  const quoted = result.findings.find((f) => f.ruleId === 'migrations/truncate-table')!.message;
  assert.match(quoted, /queryRunner\.clearTable\('sessions'\)/);
});

test('node-pg-migrate: pgm builder calls and pgm.sql; noTransaction() lets CONCURRENTLY run', async () => {
  const { lines } = await auditFiles({
    'migrations/1700000000000_orders.js': `exports.up = (pgm) => {
  pgm.dropColumns('orders', ['legacy', 'old_total']);
  pgm.alterColumn('orders', 'status', { notNull: true });
  pgm.createIndex('orders', 'customer_id');
  pgm.createIndex('orders', ['placed_at'], { concurrently: true });
  pgm.sql('CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status)');
};
`,
    'migrations/1700000000001_index.js': `exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('orders', 'region', { concurrently: true });
};
`,
  });
  assert.deepEqual(
    lines,
    [
      'migrations/1700000000000_orders.js:2 migrations/drop-column',
      'migrations/1700000000000_orders.js:3 migrations/setting-not-null',
      'migrations/1700000000000_orders.js:4 migrations/require-concurrent-index-creation',
      'migrations/1700000000000_orders.js:5 migrations/ban-concurrent-index-creation-in-transaction',
      'migrations/1700000000000_orders.js:6 migrations/ban-concurrent-index-creation-in-transaction',
    ].sort(),
  );
});

test('CONCURRENTLY: Drizzle always wraps, Prisma only multi-statement files (milder for CREATE), COMMIT ends a transaction', async () => {
  const { result } = await auditFiles({
    'db/drizzle/0001_index.sql': 'CREATE INDEX CONCURRENTLY "users_email_idx" ON "users" ("email");',
    'db/drizzle/meta/_journal.json': '{"version":"7","dialect":"postgresql","entries":[]}',
    'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'prisma/migrations/20240101_alone/migration.sql': 'CREATE INDEX CONCURRENTLY "a_idx" ON "A"("x");\n',
    'prisma/migrations/20240102_mixed/migration.sql': 'SET lock_timeout = \'5s\';\nCREATE INDEX CONCURRENTLY "b_idx" ON "B"("x");\nDROP INDEX CONCURRENTLY "c_idx";\n',
    'migrations/0001_commit_first.sql': 'BEGIN;\nALTER TABLE t ADD COLUMN c text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n',
  });
  const rule = 'migrations/ban-concurrent-index-creation-in-transaction';
  assert.deepEqual(
    result.findings.filter((f) => f.ruleId === rule).map((f) => `${f.file}:${f.line} ${f.severity}`).sort(),
    [
      'db/drizzle/0001_index.sql:1 high',
      'prisma/migrations/20240102_mixed/migration.sql:2 medium',
      'prisma/migrations/20240102_mixed/migration.sql:3 high',
    ],
  );
});

test('PostgreSQL version: any default rewrites before 11, a validated NOT NULL check spares SET NOT NULL from 12', async () => {
  const files = {
    'docker-compose.yml': 'services:\n  db:\n    image: postgres:10-alpine\n',
    'migrations/0001.sql': `ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
ALTER TABLE orders ADD CONSTRAINT orders_email_nn CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_email_nn;
ALTER TABLE orders ALTER COLUMN email SET NOT NULL;
`,
  };
  const { result, lines } = await auditFiles(files);
  assert.deepEqual(lines, ['migrations/0001.sql:1 migrations/adding-field-with-default', 'migrations/0001.sql:4 migrations/setting-not-null']);
  assert.match(result.findings[0].message + result.findings[1].message, /docker-compose\.yml:3 \(postgres:10-alpine\)/);
  const modern = await auditFiles({ ...files, 'docker-compose.yml': 'services:\n  db:\n    image: postgres:16\n' });
  assert.deepEqual(modern.lines, []);
});

test('down migrations and down sections are not read', async () => {
  const { lines } = await auditFiles({
    'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint);\n',
    'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
    'db/migrations/20240101_dbmate.sql': '-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\nDROP TABLE b;\n',
    'db/migrations/20240102_goose.sql': '-- +goose Up\nALTER TABLE b ADD COLUMN c text;\n-- +goose Down\nALTER TABLE b DROP COLUMN c;\n',
    'db/migrations/20240103_sql_migrate.sql': '-- +migrate Up\nALTER TABLE b ADD COLUMN d text;\n\n-- +migrate Down\nALTER TABLE b DROP COLUMN d;\n',
  });
  assert.deepEqual(lines, []);
});

test('migrations for another database (Prisma provider, Drizzle dialect, Knex client) are left alone', async () => {
  const { lines, result } = await auditFiles({
    'prisma/migrations/migration_lock.toml': 'provider = "mysql"\n',
    'prisma/migrations/20240101_init/migration.sql': 'ALTER TABLE `User` DROP COLUMN `legacy`;\n',
    'drizzle.config.ts': "export default { dialect: 'sqlite', out: './src/db/migrations' };\n",
    'src/db/migrations/0001_drop.sql': 'DROP TABLE users;\n',
    'knexfile.js': "module.exports = { client: 'mysql2', migrations: { directory: './db/migrations' } };\n",
    'db/migrations/20240101_drop.js': "exports.up = (knex) => knex.schema.dropTable('users');\n",
    // A TypeORM service on MySQL: its package depends on mysql2, not on a PostgreSQL driver.
    'services/legacy/package.json': JSON.stringify({ name: 'legacy', dependencies: { typeorm: '0.3.20', mysql2: '3.9.0' } }),
    'services/legacy/src/migrations/1701847951059-DropRole.ts': `import { MigrationInterface, QueryRunner } from 'typeorm';

export class DropRole1701847951059 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP FOREIGN KEY FK_a2cecd1a3531c0b041e29ba46e1');
    await queryRunner.query('ALTER TABLE users DROP COLUMN role_id');
  }
  public async down(): Promise<void> {}
}
`,
  });
  assert.deepEqual(lines, []);
  assert.equal(result.model.migrations.length, 0);
});

test('Knex in the shapes real migrations take: constants, expression callbacks, awaited builder calls, schema.raw', async () => {
  const { lines } = await auditFiles({
    'migrations/20220101_rename_places.mjs': `const TABLE_NAME = 'organization-places';
const OLD_COLUMN_NAME = 'expiredDate';
const NEW_COLUMN_NAME = 'expirationDate';

export const up = async function (knex) {
  return knex.schema.table(TABLE_NAME, (t) => t.renameColumn(OLD_COLUMN_NAME, NEW_COLUMN_NAME));
};

export const down = async function (knex) {
  return knex.schema.table(TABLE_NAME, (t) => t.renameColumn(NEW_COLUMN_NAME, OLD_COLUMN_NAME));
};
`,
    'migrations/20190418_migration-2.js': `exports.up = function (knex) {
\treturn knex.schema.alterTable('table-1', async table => {
\t\tawait table.dropColumn('name');
\t\tawait table.string('name').notNullable();
\t});
};
`,
    'migrations/20230301_imports.js': `function up(knex) {
    return knex.schema.raw(\`
        DELETE FROM imports;

        ALTER TABLE imports
            ADD COLUMN name TEXT NOT NULL;
    \`);
}

function down(knex) {
    return knex.schema.raw(\`\`);
}

export { up, down };
`,
  });
  assert.deepEqual(
    lines,
    [
      'migrations/20220101_rename_places.mjs:6 migrations/renaming-column',
      'migrations/20190418_migration-2.js:3 migrations/drop-column',
      // Re-adding it NOT NULL without a default fails on any table with rows.
      'migrations/20190418_migration-2.js:4 migrations/adding-required-field',
      'migrations/20230301_imports.js:5 migrations/adding-required-field',
    ].sort(),
  );
});

test('statements inside DO $$ … $$ blocks (older drizzle-kit foreign keys) are read at their own lines', async () => {
  const { lines } = await auditFiles({
    'drizzle/meta/_journal.json': '{"version":"5","dialect":"pg","entries":[]}',
    'drizzle/0004_posts.sql': `CREATE TABLE IF NOT EXISTS "posts" (
	"id" serial PRIMARY KEY NOT NULL,
	"author_id" integer NOT NULL
);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "users"("id") ON DELETE no action ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "posts"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
`,
    'migrations/0001_do.sql': `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'users_email_idx') THEN
    CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
  END IF;
  EXECUTE 'DROP TABLE ' || 'legacy';
END
$$;
`,
  });
  assert.deepEqual(
    lines,
    [
      // posts was created above: its foreign key is exempt; comments exists already.
      'drizzle/0004_posts.sql:13 migrations/constraint-missing-not-valid',
      // A DO block is one transaction: CONCURRENTLY cannot run in it. Dynamic EXECUTE is not read.
      'migrations/0001_do.sql:4 migrations/ban-concurrent-index-creation-in-transaction',
    ].sort(),
  );
});
