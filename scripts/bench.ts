/**
 * npm run bench — generates a pnpm monorepo of 200 services (Dockerfile, package.json, tsconfig,
 * .env.example, a task definition and 20 source files each, plus workflows) and times `shipready
 * audit` on it: in-process (discover + rules) and as a whole CLI run (process start included).
 *
 *   npm run bench                 # 200 services, 20 source files each, 5 runs
 *   npm run bench -- --services 50 --files 10 --runs 3
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { audit } from '../src/engine/audit.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '200' },
    files: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const SERVICES = Number(values.services);
const FILES = Number(values.files);
const RUNS = Number(values.runs);

function write(root: string, path: string, text: string): void {
  const abs = join(root, path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
}

function generate(root: string): number {
  let count = 0;
  const put = (path: string, text: string) => {
    write(root, path, text);
    count++;
  };
  put('package.json', JSON.stringify({ name: 'bench', private: true, packageManager: 'pnpm@9.15.0', engines: { node: '>=20' } }, null, 2));
  put('pnpm-workspace.yaml', 'packages:\n  - "services/*"\n  - "packages/*"\n');
  put('pnpm-lock.yaml', "lockfileVersion: '9.0'\n");
  put('.nvmrc', '20\n');
  put('.gitignore', 'node_modules\ndist\n.env\n');
  put('.dockerignore', 'node_modules\n**/node_modules\n.git\n.env*\ncoverage\ndist\n');
  put('packages/shared/package.json', JSON.stringify({ name: '@bench/shared', version: '1.0.0', main: 'dist/index.js' }, null, 2));
  put('packages/shared/src/index.ts', 'export const log = (m: string) => console.log(m);\n');
  const steps: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const name = `svc-${String(s).padStart(3, '0')}`;
    const dir = `services/${name}`;
    const worker = s % 5 === 4;
    put(`${dir}/package.json`, JSON.stringify({
      name: `@bench/${name}`, version: '1.0.0', main: 'dist/index.js',
      scripts: { build: 'tsc -p tsconfig.json', start: 'node dist/index.js', test: 'node --test' },
      dependencies: { express: '^4.21.0', pg: '^8.13.0', '@bench/shared': 'workspace:*' },
      devDependencies: { typescript: '^5.6.0', vite: '^5.4.0' },
    }, null, 2));
    put(`${dir}/tsconfig.json`, JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'NodeNext', strict: true } }, null, 2));
    put(`${dir}/.env.example`, 'PORT=3000\nDATABASE_URL=\n');
    put(`${dir}/Dockerfile`, [
      'FROM node:20-alpine AS build',
      'RUN corepack enable',
      'WORKDIR /app',
      'COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./',
      `COPY ${dir}/package.json ./${dir}/`,
      'COPY packages/shared/package.json ./packages/shared/',
      'RUN pnpm install --frozen-lockfile',
      'COPY . .',
      `RUN pnpm --filter @bench/shared build && pnpm --filter @bench/${name} build`,
      `RUN pnpm --filter @bench/${name} deploy --prod /out`,
      '',
      'FROM node:20-alpine',
      'ENV NODE_ENV=production',
      'WORKDIR /app',
      'COPY --from=build --chown=node:node /out ./',
      'USER node',
      worker ? '' : 'EXPOSE 3000',
      'CMD ["node", "dist/index.js"]',
      '',
    ].join('\n'));
    put(`infra/taskdefs/${name}.json`, JSON.stringify({
      family: name, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecs-task-execution',
      containerDefinitions: [{
        name, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name}:abc123`, essential: true,
        portMappings: worker ? [] : [{ containerPort: 3000 }],
        environment: [{ name: 'PORT', value: '3000' }],
        secrets: [{ name: 'DATABASE_URL', valueFrom: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-db` }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${name}`, 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': name } },
      }],
    }, null, 2));
    put(`${dir}/src/index.ts`, worker ? [
      "import { Pool } from 'pg';",
      "import { runJobs } from './jobs/job-0.js';",
      'const pool = new Pool({ connectionString: process.env.DATABASE_URL });',
      "process.on('SIGTERM', async () => { await pool.end(); process.exit(0); });",
      'void runJobs(pool);',
      '',
    ].join('\n') : [
      "import express from 'express';",
      "import { Pool } from 'pg';",
      "import { log } from '@bench/shared';",
      "import { registerRoutes } from './routes/route-0.js';",
      "const port = Number(process.env.PORT ?? 3000);",
      'const pool = new Pool({ connectionString: process.env.DATABASE_URL });',
      'const app = express();',
      "app.get('/health', (_req, res) => res.json({ ok: true }));",
      'registerRoutes(app, pool);',
      "const server = app.listen(port, '0.0.0.0', () => log(`listening on ${port}`));",
      "process.on('SIGTERM', () => { server.close(async () => { await pool.end(); process.exit(0); }); });",
      '',
    ].join('\n'));
    for (let f = 0; f < FILES - 1; f++) {
      const kind = worker ? 'jobs/job' : 'routes/route';
      const next = f + 1 < FILES - 1 ? `import { helper${f + 1} } from '../lib/helper-${f + 1}.js';\n` : '';
      put(`${dir}/src/${kind}-${f}.ts`, worker
        ? `${next}import type { Pool } from 'pg';\nexport async function runJobs(pool: Pool): Promise<void> {\n  const { rows } = await pool.query('select 1');\n  console.log(rows.length, process.env.JOB_BATCH_SIZE ?? '10');\n}\n`
        : `${next}import type { Express } from 'express';\nimport type { Pool } from 'pg';\nexport function registerRoutes(app: Express, pool: Pool): void {\n  app.get('/api/items/${f}', async (_req, res) => {\n    const { rows } = await pool.query('select * from items where id = $1', [${f}]);\n    res.json(rows);\n  });\n}\n`);
      put(`${dir}/src/lib/helper-${f}.ts`, `export function helper${f}(input: string): string {\n  return input.trim().toLowerCase() + '-${f}';\n}\n`);
    }
    steps.push(`      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          file: ${dir}/Dockerfile\n          push: true\n          tags: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name}:\${{ github.sha }}`);
  }
  put('.github/workflows/deploy.yml', [
    'name: deploy',
    'on: { push: { branches: [main] } }',
    'permissions: { contents: read, id-token: write }',
    'jobs:',
    '  build:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with: { node-version: 20 }',
    '      - run: corepack enable && pnpm install --frozen-lockfile',
    '      - run: pnpm audit --audit-level=high',
    ...steps,
    '',
  ].join('\n'));
  return count;
}

const root = mkdtempSync(join(tmpdir(), 'shipready-bench-'));
const written = generate(root);
console.log(`generated ${SERVICES} services, ${FILES} source files each: ${written} files in ${root}`);
console.log(`machine: ${cpus().length} cores, Node ${process.version}`);

// Warm-up run (module loading, WASM compilation), then measured runs.
await audit(root);
const inProcess: number[] = [];
let files = 0;
let findings = 0;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const result = await audit(root);
  inProcess.push(performance.now() - t);
  files = result.stats.files;
  findings = result.findings.length;
}
const bin = fileURLToPath(new URL('../bin/shipready.js', import.meta.url));
const cli: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'audit', root, '--format', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  cli.push(performance.now() - t);
  if (r.status !== 0 && r.status !== 1) {
    console.error(r.stderr);
    process.exit(1);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${Math.round(x)} ms`;
console.log(`audit in-process: median ${ms(median(inProcess))} (min ${ms(Math.min(...inProcess))}) over ${RUNS} runs, ${files} files, ${findings} findings`);
console.log(`files/s (in-process): ${Math.round(files / (median(inProcess) / 1000)).toLocaleString('en-US')}`);
console.log(`shipready audit (CLI wall time, process start included): median ${ms(median(cli))} (min ${ms(Math.min(...cli))})`);
if (!values.keep) rmSync(root, { recursive: true, force: true });
