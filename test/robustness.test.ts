import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import type { Finding } from '../src/engine/finding.js';
import { FileIndex } from '../src/discover/files.js';

/**
 * Bad input never crashes the audit: every file that cannot be used becomes a finding or a note at
 * its file and line, and the real problems of the repository are still reported.
 */

function write(root: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

function mkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function at(findings: Finding[], file: string): Finding[] {
  return findings.filter((f) => f.file === file);
}

test('a repository full of broken, binary, huge, looping and special files is still audited', { timeout: 30_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-robust-'));
  try {
    // Files that parse.
    write(root, 'package.json', JSON.stringify({ name: 'robust', private: true, packageManager: 'npm@10.9.2', workspaces: ['services/*'] }, null, 2));
    write(root, 'package-lock.json', '{ "lockfileVersion": 3 }\n');
    // The one real problem: an image that runs as root.
    write(root, 'services/worker/Dockerfile', 'FROM node:24-alpine\nWORKDIR /app\nCOPY . .\nCMD ["node", "worker.js"]\n');
    write(root, 'services/worker/package.json', '{ "name": "worker", "dependencies": {} }\n');

    // A Dockerfile with an unknown instruction on line 3.
    write(root, 'services/api/Dockerfile', 'FROM node:24-alpine\nWORKDIR /app\nCOPPY package.json ./\nUSER node\nCMD ["node", "server.js"]\n');
    // Invalid JSON: a trailing comma on line 3.
    write(root, 'services/api/package.json', '{\n  "name": "api",\n  "dependencies": { "express": "^4.21.2", },\n}\n');
    // Invalid YAML: a workflow and a pnpm workspace file with broken indentation / flow syntax.
    write(root, '.github/workflows/deploy.yml', 'name: deploy\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n   steps:\n      - run: echo hi\n');
    write(root, 'pnpm-workspace.yaml', 'packages:\n  - "services/*\n  - [broken\n');
    // Other formats other discoverers read: compose YAML, a task definition's JSON, Terraform's HCL.
    write(root, 'docker-compose.yml', 'services:\n  api:\n    image: api\n   ports: [\n');
    write(root, 'ecs/task-definition.json', '{ "family": "api", "containerDefinitions": [ { "name": "api", }');
    write(root, 'infra/main.tf', 'resource "aws_ecs_task_definition" "api" {\n  family = \n');
    // A binary file where a Dockerfile is expected.
    write(root, 'Dockerfile.worker', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x46, 0x52, 0x4f, 0x4d]));
    // A .dockerignore saved by Windows PowerShell (UTF-16LE with a byte order mark).
    write(root, 'services/worker/.dockerignore', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('node_modules\r\n.env\r\n', 'utf16le')]));
    // A package.json that is a folder (works as root too, where file permissions do not stop reads).
    mkdirSync(join(root, 'services/web/package.json'), { recursive: true });
    write(root, 'services/web/package.json/README', 'not a manifest\n');
    // A broken link named like a Dockerfile.
    symlinkSync('does-not-exist/Dockerfile', join(root, 'Dockerfile.api'));
    // Symbolic link loops: a link to itself, and a folder link to its parent.
    symlinkSync('.nvmrc', join(root, '.nvmrc'));
    symlinkSync('..', join(root, 'services/worker/parent'));
    // Over 1 MiB.
    write(root, '.env.example', 'KEY=value\n'.repeat(220_000));
    // A named pipe named like a Dockerfile: opening it for reading would block forever.
    const fifo = mkfifo(join(root, 'services/api/Dockerfile.queue'));

    const result = await audit(root);
    const findings = result.findings;
    assert.deepEqual(result.errors, [], 'no rule crashed');

    const problem = (file: string) => at(findings, file).filter((f) => f.ruleId === 'repo/parse-error');
    const lines = (file: string) => problem(file).map((f) => f.line);

    assert.deepEqual(lines('services/api/Dockerfile'), [3]);
    assert.match(problem('services/api/Dockerfile')[0].message, /unknown instruction "COPPY"/);
    assert.deepEqual(lines('services/api/package.json'), [3]);
    assert.match(problem('services/api/package.json')[0].message, /not valid JSON/);
    assert.equal(problem('.github/workflows/deploy.yml').length, 1, 'invalid workflow YAML is reported');
    assert.ok(problem('.github/workflows/deploy.yml')[0].line! >= 5);
    assert.equal(problem('pnpm-workspace.yaml').length, 1, 'invalid pnpm-workspace.yaml is reported');
    assert.ok(problem('pnpm-workspace.yaml')[0].line! >= 2);
    assert.deepEqual(lines('Dockerfile.worker'), [1]);
    assert.match(problem('Dockerfile.worker')[0].message, /binary/);
    assert.deepEqual(lines('services/worker/.dockerignore'), [1]);
    assert.match(problem('services/worker/.dockerignore')[0].message, /UTF-16/);
    assert.deepEqual(lines('services/web/package.json'), [1]);
    assert.match(problem('services/web/package.json')[0].message, /is a folder/);
    assert.deepEqual(lines('Dockerfile.api'), [1]);
    assert.match(problem('Dockerfile.api')[0].message, /does not exist/);
    assert.deepEqual(lines('.nvmrc'), [1]);
    assert.match(problem('.nvmrc')[0].message, /loop/);
    assert.deepEqual(lines('services/worker/parent'), [1]);
    assert.match(problem('services/worker/parent')[0].message, /loop/);
    assert.deepEqual(lines('.env.example'), [1]);
    assert.match(problem('.env.example')[0].message, /2\.1 MiB, over the 1 MiB read limit/);
    for (const file of ['docker-compose.yml', 'ecs/task-definition.json', 'infra/main.tf']) {
      assert.equal(problem(file).length, 1, `${file} is reported`);
      assert.ok(problem(file)[0].line! >= 1);
      assert.equal(problem(file)[0].severity, 'high');
    }
    // A discoverer that throws would show up as an "internal error" problem at ".": none did.
    assert.deepEqual(findings.filter((f) => /internal error/.test(f.message)).map((f) => f.message), []);
    if (fifo) {
      assert.deepEqual(lines('services/api/Dockerfile.queue'), [1]);
      assert.match(problem('services/api/Dockerfile.queue')[0].message, /not a regular file/);
    }

    // Notes for files that were skipped are not failures of the build; parse errors are.
    assert.equal(problem('Dockerfile.worker')[0].severity, 'info');
    assert.equal(problem('services/api/Dockerfile')[0].severity, 'high');

    // The real problem is still found, with its line.
    const root_ = at(findings, 'services/worker/Dockerfile').filter((f) => f.ruleId === 'docker/runs-as-root');
    assert.deepEqual(root_.map((f) => f.line), [1]);
    // The valid files were still modelled.
    assert.ok(result.model.packages.some((p) => p.path === 'package.json'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('reading a named pipe, a folder or a device never blocks', { timeout: 10_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-fifo-'));
  try {
    const fifo = mkfifo(join(root, 'Dockerfile'));
    mkdirSync(join(root, 'package.json'));
    symlinkSync('/dev/zero', join(root, '.nvmrc'));
    const files = new FileIndex(root);
    // The walk notes what is neither a file nor a folder, and indexes none of it as a file.
    assert.deepEqual(files.paths, []);
    assert.ok(files.problems.some((p) => p.file === '.nvmrc' && /not a regular file/.test(p.message)));
    if (fifo) assert.ok(files.problems.some((p) => p.file === 'Dockerfile' && /not a regular file/.test(p.message)));
    // Reading them anyway (a workflow may name any path) returns nothing, at once.
    if (fifo) assert.equal(files.read('Dockerfile'), undefined);
    assert.equal(files.read('package.json'), undefined);
    assert.match(files.problems.at(-1)!.message, /is a folder/);
    assert.equal(files.read('.nvmrc'), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('odd file names ("...") are indexed, and .gitignore still applies around them', () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-odd-'));
  try {
    write(root, '.gitignore', '*.log\n');
    write(root, '...', 'odd name');
    write(root, 'app.log', 'x');
    write(root, 'Dockerfile', 'FROM node:24-alpine\n');
    const files = new FileIndex(root);
    assert.deepEqual(files.paths, ['...', '.gitignore', 'Dockerfile']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
