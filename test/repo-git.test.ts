import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit } from '../src/engine/audit.js';
import { auditFixture, FIXTURES } from './helpers/fixtures.js';

/** A throwaway git repository; `commit` returns the full hash of the new commit. */
function gitRepo() {
  const root = mkdtempSync(join(tmpdir(), 'shipready-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=dev@example.invalid', '-c', 'user.name=dev', '-c', 'commit.gpgsign=false', ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  git('init', '-q', '-b', 'main');
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  return { root, git, write, commit, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('an .env committed and later deleted is reported with the commit that added it', async () => {
  const repo = gitRepo();
  try {
    repo.write('package.json', '{ "name": "orders", "private": true }\n');
    repo.write('.env', 'PORT=3000\nDATABASE_URL=postgres://app:Pq7v2LmX9sT4@db.internal:5432/orders\nSTRIPE_SECRET_KEY=rk_prod_fixture\n');
    const added = repo.commit('initial import with local settings');
    repo.git('rm', '-q', '--cached', '.env');
    rmSync(join(repo.root, '.env'));
    repo.write('.gitignore', '.env\n');
    repo.commit('stop tracking .env');

    const result = await audit(repo.root);
    const findings = result.findings.filter((f) => f.ruleId === 'repo/env-file-committed');
    assert.equal(findings.length, 1, findings.map((f) => f.message).join('\n'));
    const [finding] = findings;
    assert.equal(finding.severity, 'high');
    // The file is gone from the working tree: the finding is about the repository's history.
    assert.equal(finding.file, null);
    assert.match(finding.message, new RegExp(`committed in ${added.slice(0, 12)}`));
    assert.match(finding.message, /initial import with local settings/);
    assert.match(finding.message, /DATABASE_URL, STRIPE_SECRET_KEY/);
    // Key names only: the values never reach the report.
    assert.doesNotMatch(finding.message + finding.fix, /Pq7v2LmX9sT4|rk_prod_fixture/);
    assert.match(finding.fix, /rotate DATABASE_URL, STRIPE_SECRET_KEY/);
  } finally {
    repo.cleanup();
  }
});

test('an .env deleted from git but kept on disk (now ignored) points at the file', async () => {
  const repo = gitRepo();
  try {
    repo.write('.env', 'JWT_SECRET=3b9f0c1e7d2a4f6b\n');
    const added = repo.commit('add env');
    repo.git('rm', '-q', '--cached', '.env');
    repo.write('.gitignore', '.env\n');
    repo.commit('ignore env');

    const result = await audit(repo.root);
    const findings = result.findings.filter((f) => f.ruleId === 'repo/env-file-committed');
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line}`), ['.env:1']);
    assert.match(findings[0].message, new RegExp(added.slice(0, 12)));
  } finally {
    repo.cleanup();
  }
});

test('an .env still tracked although .gitignore lists it is reported once, at its first credential', async () => {
  const repo = gitRepo();
  try {
    repo.write('services/api/.env', 'PORT=3000\nLOG_LEVEL=info\nREDIS_URL=redis://:s3cret@cache.internal:6379\n');
    const added = repo.commit('api settings');
    repo.write('.gitignore', '.env\n');
    repo.commit('ignore env files');

    const result = await audit(repo.root);
    const findings = result.findings.filter((f) => f.ruleId === 'repo/env-file-committed');
    assert.deepEqual(findings.map((f) => `${f.file}:${f.line}`), ['services/api/.env:3']);
    assert.match(findings[0].message, /although \.gitignore lists it/);
    assert.match(findings[0].message, new RegExp(`added in ${added.slice(0, 12)}`));
    assert.match(findings[0].fix, /git rm --cached services\/api\/\.env/);
  } finally {
    repo.cleanup();
  }
});

test('an env file on another branch counts: history means every branch', async () => {
  const repo = gitRepo();
  try {
    repo.write('README.md', '# svc\n');
    repo.commit('init');
    repo.git('checkout', '-q', '-b', 'experiment');
    repo.write('.env.production', 'AWS_SECRET_ACCESS_KEY=not-a-real-one\n');
    const onBranch = repo.commit('try prod settings');
    repo.git('checkout', '-q', 'main');

    const result = await audit(repo.root);
    const findings = result.findings.filter((f) => f.ruleId === 'repo/env-file-committed');
    assert.equal(findings.length, 1);
    assert.match(findings[0].message, new RegExp(`\\.env\\.production was committed in ${onBranch.slice(0, 12)}`));
  } finally {
    repo.cleanup();
  }
});

test('examples and templates in history are not reported; a secret in an untracked, unignored file is', async () => {
  const repo = gitRepo();
  try {
    repo.write('.env.example', 'DATABASE_URL=\n');
    repo.write('.gitignore', '.env\n');
    repo.commit('template');
    repo.write('.env', 'DATABASE_URL=postgres://app:pw@db/app\n');
    repo.write('scripts/deploy.sh', '#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIA4HQZ7RB2LWNX3KPD\n');

    const result = await audit(repo.root);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'repo/env-file-committed'), []);
    const secrets = result.findings.filter((f) => f.ruleId === 'repo/hardcoded-secret');
    assert.deepEqual(secrets.map((f) => `${f.file}:${f.line}`), ['scripts/deploy.sh:2']);
    assert.match(secrets[0].message, /git does not track it yet/);
    assert.doesNotMatch(secrets[0].message, /AKIA4HQZ7RB2LWNX3KPD/);
  } finally {
    repo.cleanup();
  }
});

test('committed env files of stand-in values are hygiene (low), never a leak', async () => {
  const { result, cleanup } = await auditFixture(join(FIXTURES, 'repo', 'env-file-committed', 'fires-low-stand-in-values'));
  try {
    const findings = result.findings.filter((f) => f.ruleId === 'repo/env-file-committed');
    assert.deepEqual(findings.map((f) => `${f.file} ${f.severity}`).sort(), ['packages/client/.env.production low', 'packages/server/.env low']);
  } finally {
    cleanup();
  }
});
