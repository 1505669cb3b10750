import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';
import type { LockfileContents } from '../src/model/packages.js';
import { audit } from '../src/engine/audit.js';

/** Writes a small repository (path → text) into a fresh temporary folder. */
function tree(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'shipready-lockfile-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const pkg = (body: Record<string, unknown>) => JSON.stringify(body, null, 2) + '\n';

async function contentsOf(files: Record<string, string>, lockPath: string): Promise<LockfileContents | undefined> {
  const t = tree(files);
  try {
    const { model } = await discover(t.root);
    const lockfile = model.projects.flatMap((p) => p.lockfiles).find((l) => l.path === lockPath);
    assert.ok(lockfile, `${lockPath} is a lockfile of a project`);
    return lockfile.contents();
  } finally {
    t.cleanup();
  }
}

/** Findings of the rule as `file:line`, from a full audit of the tree. */
async function findings(files: Record<string, string>): Promise<string[]> {
  const t = tree(files);
  try {
    const result = await audit(t.root, { now: new Date('2026-11-23T00:00:00Z') });
    return result.findings.filter((f) => f.ruleId === 'repo/lockfile-out-of-sync').map((f) => `${f.file}:${f.line}`).sort();
  } finally {
    t.cleanup();
  }
}

const PNPM9 = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

overrides:
  semver@<7.5.2: '>=7.5.2'

importers:

  .:
    devDependencies:
      typescript:
        specifier: ^5.6.0
        version: 5.7.2

  services/api:
    dependencies:
      '@scope/pkg':
        specifier: ~1.2.0
        version: 1.2.3
      express:
        specifier: ^4.21.0
        version: 4.21.2

packages:

  express@4.21.2:
    resolution: {integrity: sha512-AAAA}
`;

test('pnpm 9: importers with specifiers and lines, settings and overrides; packages is not read', async () => {
  const c = await contentsOf({ 'package.json': pkg({ name: 'r' }), 'pnpm-workspace.yaml': 'packages:\n  - services/*\n', 'pnpm-lock.yaml': PNPM9 }, 'pnpm-lock.yaml');
  assert.ok(c);
  assert.equal(c.version, '9.0');
  assert.equal(c.autoInstallPeers, true);
  assert.equal(c.excludeLinks, false);
  assert.deepEqual([...c.overriddenNames], ['semver']);
  assert.deepEqual([...c.importers.keys()], ['', 'services/api']);
  const api = c.importers.get('services/api')!;
  assert.equal(api.key, 'services/api');
  assert.equal(api.loc.line, 18);
  assert.deepEqual(api.dependencies.get('@scope/pkg'), { name: '@scope/pkg', specifier: '~1.2.0', kind: 'dependencies', loc: { file: 'pnpm-lock.yaml', line: 21 } });
  assert.equal(api.dependencies.get('express')?.loc.line, 24);
  assert.equal(c.importers.get('')?.dependencies.get('typescript')?.kind, 'devDependencies');
});

test('pnpm in a subfolder: importer folders are repo-relative; the last YAML document is the project lockfile', async () => {
  const lock = `lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n\n---\n${PNPM9}`;
  const c = await contentsOf({ 'app/package.json': pkg({ name: 'r' }), 'app/pnpm-workspace.yaml': 'packages:\n  - services/*\n', 'app/pnpm-lock.yaml': lock }, 'app/pnpm-lock.yaml');
  assert.deepEqual([...c!.importers.keys()], ['app', 'app/services/api']);
  assert.equal(c!.importers.get('app/services/api')!.dependencies.get('express')?.loc.line, 32);
});

test('pnpm 6 single project and pnpm 5 specifiers', async () => {
  const v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  express:\n    specifier: ^4.21.0\n    version: 4.21.2\n\ndevDependencies:\n  vitest:\n    specifier: ^2.1.0\n    version: 2.1.8\n";
  const c6 = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'pnpm-lock.yaml': v6 }, 'pnpm-lock.yaml');
  const root6 = c6!.importers.get('')!;
  assert.deepEqual([...root6.dependencies.values()].map((d) => [d.name, d.specifier, d.kind, d.loc.line]), [
    ['express', '^4.21.0', 'dependencies', 5],
    ['vitest', '^2.1.0', 'devDependencies', 10],
  ]);
  const v5 = 'lockfileVersion: 5.4\n\nspecifiers:\n  express: ^4.18.0\n\ndependencies:\n  express: 4.18.2\n';
  const c5 = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'pnpm-lock.yaml': v5 }, 'pnpm-lock.yaml');
  assert.deepEqual(c5!.importers.get('')!.dependencies.get('express'), { name: 'express', specifier: '^4.18.0', kind: 'dependencies', loc: { file: 'pnpm-lock.yaml', line: 4 } });
});

test('npm v3: importer ranges and installed packages with lines; v1 top-level dependencies', async () => {
  const lock = pkg({
    name: 'r',
    lockfileVersion: 3,
    packages: {
      '': { name: 'r', workspaces: ['services/*'], dependencies: { express: '^4.21.0' } },
      'node_modules/api': { resolved: 'services/api', link: true },
      'node_modules/express': { version: '4.21.2' },
      'services/api': { name: 'api', dependencies: { pino: '^9.0.0' } },
      'services/api/node_modules/pino': { version: '9.6.0', dependencies: { 'x': '^1.0.0' } },
      'node_modules/@img/sharp-linux-x64': { version: '0.33.5', cpu: ['x64'], os: ['linux'], libc: ['glibc'], optional: true },
      'node_modules/bcrypt': { version: '5.1.1', hasInstallScript: true },
    },
    // Lockfile v2 keeps npm 6's section too; workspace links appear there as "file:" versions.
    dependencies: { api: { version: 'file:services/api' }, express: { version: '4.21.2' } },
  });
  const c = await contentsOf({ 'package.json': pkg({ name: 'r', workspaces: ['services/*'] }), 'services/api/package.json': pkg({ name: 'api' }), 'package-lock.json': lock }, 'package-lock.json');
  assert.equal(c!.version, '3');
  assert.deepEqual(c!.importers.get('')!.dependencies.get('express'), { name: 'express', specifier: '^4.21.0', kind: 'dependencies', loc: { file: 'package-lock.json', line: 11 } });
  assert.equal(c!.importers.get('services/api')!.dependencies.get('pino')?.specifier, '^9.0.0');
  // A dependency map of an installed package is not an importer's.
  assert.equal(c!.importers.has('services/api/node_modules/pino'), false);
  assert.deepEqual(c!.nodes!.get('node_modules/api'), { link: true, loc: { file: 'package-lock.json', line: 14 } });
  assert.equal(c!.nodes!.get('services/api/node_modules/pino')?.version, '9.6.0');
  const sharp = c!.nodes!.get('node_modules/@img/sharp-linux-x64')!;
  assert.deepEqual([sharp.os, sharp.cpu, sharp.libc, sharp.optional], [['linux'], ['x64'], ['glibc'], true]);
  assert.equal(c!.nodes!.get('node_modules/bcrypt')?.hasInstallScript, true);

  const v1 = pkg({ name: 'a', lockfileVersion: 1, dependencies: { express: { version: '4.17.1' } } });
  const c1 = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'package-lock.json': v1 }, 'package-lock.json');
  assert.equal(c1!.nodes!.get('node_modules/express')?.version, '4.17.1');
  assert.equal(c1!.importers.size, 0);
});

test('yarn 1: every descriptor of an entry key, with the line of the key', async () => {
  const lock = '# yarn lockfile v1\n\n\n"@babel/core@^7.0.0", "@babel/core@^7.12.3":\n  version "7.26.0"\n\nlodash@^4.17.21:\n  version "4.17.21"\n  dependencies:\n    x "^1"\n';
  const c = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'yarn.lock': lock }, 'yarn.lock');
  assert.equal(c!.version, '1');
  assert.deepEqual(Object.fromEntries([...c!.descriptors!].map(([d, l]) => [d, l.line])), {
    '@babel/core@^7.0.0': 4,
    '@babel/core@^7.12.3': 4,
    'lodash@^4.17.21': 7,
  });
});

test('yarn 2+: descriptors and the dependencies of workspace entries', async () => {
  const lock = '__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"api@workspace:services/api":\n  version: 0.0.0-use.local\n  dependencies:\n    express: "npm:^4.21.2"\n  languageName: unknown\n\n"express@npm:^4.21.2, express@npm:^4.21.0":\n  version: 4.21.2\n';
  const c = await contentsOf({ 'package.json': pkg({ name: 'r', workspaces: ['services/*'] }), 'services/api/package.json': pkg({ name: 'api' }), 'yarn.lock': lock }, 'yarn.lock');
  assert.equal(c!.version, '8');
  assert.deepEqual([...c!.descriptors!.keys()].sort(), ['api@workspace:services/api', 'express@npm:^4.21.0', 'express@npm:^4.21.2']);
  assert.equal(c!.descriptors!.get('express@npm:^4.21.0')?.line, 11);
  const api = c!.importers.get('services/api')!;
  assert.deepEqual(api.dependencies.get('express'), { name: 'express', specifier: 'npm:^4.21.2', loc: { file: 'yarn.lock', line: 8 } });
});

test('a lockfile over the 1 MiB read limit is read whole (a 5 MiB pnpm lockfile)', async () => {
  let importers = '';
  for (let s = 0; s < 200; s++) {
    importers += `  services/svc-${s}:\n    dependencies:\n`;
    for (let d = 0; d < 25; d++) importers += `      dep-${d}:\n        specifier: ^${d}.0.0\n        version: ${d}.1.0\n`;
    importers += '\n';
  }
  const parts = [`lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .: {}\n\n${importers}packages:\n\n`];
  let size = parts[0].length;
  for (let i = 0; size < 5 * 1024 * 1024; i++) {
    const entry = `  pkg-${i}@1.${i}.0:\n    resolution: {integrity: sha512-${'x'.repeat(86)}==}\n    engines: {node: '>=14'}\n\n`;
    parts.push(entry);
    size += entry.length;
  }
  const t = tree({ 'package.json': pkg({ name: 'r' }), 'pnpm-workspace.yaml': 'packages:\n  - services/*\n', 'pnpm-lock.yaml': parts.join('') });
  try {
    const { model } = await discover(t.root);
    const lockfile = model.projects[0].lockfiles[0];
    const c = lockfile.contents();
    assert.equal(c?.importers.size, 201);
    assert.equal(c?.importers.get('services/svc-199')?.dependencies.size, 25);
    assert.equal(lockfile.contents(), c, 'read once');
    assert.equal(model.files.problems.length, 0);
  } finally {
    t.cleanup();
  }
});

test('rule: npm passes a changed range the locked version satisfies, and a dependency already installed transitively', async () => {
  const lock = pkg({
    name: 'a',
    lockfileVersion: 3,
    packages: {
      '': { name: 'a', dependencies: { express: '^4.17.0' } },
      'node_modules/express': { version: '4.21.2' },
      'node_modules/debug': { version: '2.6.9' },
    },
  });
  assert.deepEqual(await findings({ 'package.json': pkg({ name: 'a', dependencies: { express: '^4.21.0', debug: '^2.6.0' } }), 'package-lock.json': lock }), []);
  assert.deepEqual(await findings({ 'package.json': pkg({ name: 'a', dependencies: { express: '^4.21.0', debug: '^4.0.0' } }), 'package-lock.json': lock }), ['package.json:5']);
});

test('rule: pnpm peers are judged only when the lockfile says autoInstallPeers', async () => {
  const lock = (settings: string) => `lockfileVersion: '9.0'\n\n${settings}importers:\n\n  .:\n    dependencies:\n      express:\n        specifier: ^4.21.0\n        version: 4.21.2\n`;
  const manifest = pkg({ name: 'a', dependencies: { express: '^4.21.0' }, peerDependencies: { react: '^19.0.0' } });
  assert.deepEqual(await findings({ 'package.json': manifest, 'pnpm-lock.yaml': lock('') }), []);
  assert.deepEqual(await findings({ 'package.json': manifest, 'pnpm-lock.yaml': lock('settings:\n  autoInstallPeers: true\n\n') }), ['package.json:7']);
});

/** A pnpm 9 lockfile whose one importer (`key`) records `name` with `specifier`, and an optional `overrides:` block. */
const pnpmLock = (key: string, name: string, specifier: string, overrides = '') =>
  `lockfileVersion: '9.0'\n\n${overrides ? `overrides:\n${overrides}\n` : ''}importers:\n\n  ${key}:\n    dependencies:\n      ${name}:\n        specifier: ${specifier}\n        version: 6.30.6\n`;

test('rule: pnpm applies its overrides (selector range ∩ declared spec) before comparing, as its frozen check does', async () => {
  // logto's shape: a security override raises every spec its range meets; pnpm records the override's spec.
  const overrides = { 'react-router-dom@>=6.7.0 <6.30.6': '^6.30.6' };
  const block = "  react-router-dom@>=6.7.0 <6.30.6: ^6.30.6\n";
  const root = pkg({ name: 'r', pnpm: { overrides } });
  const files = (declared: string, specifier: string, lockOverrides = block) => ({
    'package.json': root,
    'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
    'pnpm-lock.yaml': pnpmLock('packages/account', 'react-router-dom', specifier, lockOverrides),
    'packages/account/package.json': pkg({ name: '@r/account', dependencies: { 'react-router-dom': declared } }),
  });
  assert.deepEqual(await findings(files('^6.30.2', '^6.30.6')), []);
  // The same override from pnpm-workspace.yaml (pnpm 10), with no record in the lockfile yet.
  assert.deepEqual(await findings({ ...files('^6.30.2', '^6.30.6', ''), 'package.json': pkg({ name: 'r' }), 'pnpm-workspace.yaml': "packages:\n  - packages/*\noverrides:\n  'react-router-dom@>=6.7.0 <6.30.6': ^6.30.6\n" }), []);
  // A spec the selector's range does not meet is compared as written.
  assert.deepEqual(await findings(files('^6.31.0', '^6.30.6')), ['packages/account/package.json:4']);
  // The override's spec is not what the lockfile holds: pnpm refuses it.
  assert.deepEqual(await findings(files('^6.30.2', '^6.30.2')), []);
  assert.deepEqual(await findings(files('^6.30.2', '^6.29.0')), ['packages/account/package.json:4']);
});

test('rule: pnpm parent-scoped overrides apply to that parent only; "-" removes the dependency', async () => {
  const files = (overrides: Record<string, string>, specifier: string) => ({
    'package.json': pkg({ name: 'r', pnpm: { overrides } }),
    'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
    'pnpm-lock.yaml': pnpmLock('packages/core', 'nanoid', specifier),
    'packages/core/package.json': pkg({ name: '@r/core', version: '1.2.0', dependencies: { nanoid: '^3.1.20' } }),
  });
  assert.deepEqual(await findings(files({ '@r/core@1>nanoid': '^3.3.8' }, '^3.3.8')), []);
  assert.deepEqual(await findings(files({ 'other>nanoid': '^3.3.8' }, '^3.3.8')), ['packages/core/package.json:5']);
  assert.deepEqual(await findings(files({ nanoid: '-' }, '^9.9.9')), []);
});

test('rule: Yarn 2+ resolves the devDependencies entry of a package a workspace lists twice', async () => {
  const lock = '__metadata:\n  version: 6\n\n"@swc/core@npm:^1.7.28":\n  version: 1.7.28\n\n"medusa@workspace:packages/medusa":\n  version: 0.0.0-use.local\n  dependencies:\n    "@swc/core": ^1.7.28\n';
  const files = {
    'package.json': pkg({ name: 'root', private: true, workspaces: ['packages/*'] }),
    'yarn.lock': lock,
    'packages/medusa/package.json': pkg({ name: 'medusa', dependencies: { '@swc/core': '1.5.7' }, devDependencies: { '@swc/core': '^1.7.28' } }),
  };
  assert.deepEqual(await findings(files), []);
  // Yarn 1 keeps its own rules: the runtime entry is the one compared.
  const classic = '# yarn lockfile v1\n\n\n"@swc/core@^1.7.28":\n  version "1.7.28"\n';
  assert.deepEqual(await findings({ ...files, 'yarn.lock': classic }), ['packages/medusa/package.json:4']);
});

test('rule: a stale lockfile that no Dockerfile or workflow installs is left alone in a subfolder, and low at the root', async () => {
  const lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      jest:\n        specifier: ^29.7.0\n        version: 29.7.0\n      eslint:\n        specifier: ^8.57.0\n        version: 8.57.0\n";
  const action = {
    // payload's shape: a GitHub Action run from its committed ncc bundle; nothing installs its folder.
    '.github/actions/activity/package.json': pkg({ name: 'activity', dependencies: { '@slack/web-api': '^7.10.0' } }),
    '.github/actions/activity/pnpm-lock.yaml': lock,
    '.github/actions/activity/dist/index.js': 'console.log(1)\n',
    '.github/workflows/activity.yml': 'on: [issues]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: node ./.github/actions/activity/dist/index.js\n',
  };
  assert.deepEqual(await findings(action), []);
  const t = tree({ 'package.json': pkg({ name: 'root', dependencies: { express: '^4.21.0' } }), 'pnpm-lock.yaml': lock });
  try {
    const result = await audit(t.root, { now: new Date('2026-11-23T00:00:00Z') });
    const own = result.findings.filter((f) => f.ruleId === 'repo/lockfile-out-of-sync');
    // One stale lockfile is one finding: express missing, jest and eslint no longer declared.
    assert.equal(own.length, 1, own.map((f) => f.message).join('\n'));
    assert.equal(own[0].severity, 'low');
    assert.equal(own[0].related.length, 3);
    assert.match(own[0].message, /no Dockerfile or workflow of this repository installs from it/);
  } finally {
    t.cleanup();
  }
  // The same folder installed by a workflow step: one finding, naming the step that fails.
  const installed = { ...action, '.github/workflows/activity.yml': 'on: [issues]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cd .github/actions/activity && pnpm install\n' };
  const t2 = tree(installed);
  try {
    const result = await audit(t2.root, { now: new Date('2026-11-23T00:00:00Z') });
    const own = result.findings.filter((f) => f.ruleId === 'repo/lockfile-out-of-sync');
    assert.deepEqual(own.map((f) => [`${f.file}:${f.line}`, f.severity, f.related.length]), [['.github/actions/activity/package.json:4', 'critical', 4]]);
    assert.match(own[0].message, /`pnpm install` \(\.github\/workflows\/activity\.yml:7, frozen by default in CI\) fails/);
  } finally {
    t2.cleanup();
  }
});

test('rule: example projects and a workspace member with its own pnpm lockfile are not judged against the root lockfile', async () => {
  const lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n";
  assert.deepEqual(
    await findings({
      'package.json': pkg({ name: 'r' }),
      'pnpm-workspace.yaml': 'packages:\n  - services/*\n',
      'pnpm-lock.yaml': lock,
      'services/api/package.json': pkg({ name: 'api', dependencies: { express: '^4.21.0' } }),
      'services/api/pnpm-lock.yaml': "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      express:\n        specifier: ^4.21.0\n        version: 4.21.2\n",
      'examples/demo/package.json': pkg({ name: 'demo', dependencies: { express: '^5.0.0' } }),
      'examples/demo/pnpm-lock.yaml': lock,
    }),
    [],
  );
});

test('rule: a Yarn 1 lockfile under a Yarn 2+ packageManager is left to repo/lockfile-mismatch', async () => {
  const lock = '# yarn lockfile v1\n\n\nexpress@^4.21.0:\n  version "4.21.2"\n';
  const manifest = (packageManager?: string) => pkg({ name: 'a', ...(packageManager ? { packageManager } : {}), dependencies: { express: '^5.0.0' } });
  assert.deepEqual(await findings({ 'package.json': manifest(), 'yarn.lock': lock }), ['package.json:4']);
  assert.deepEqual(await findings({ 'package.json': manifest('yarn@4.6.0'), 'yarn.lock': lock }), []);
});

test('pnpm: shapes the fast reader does not take (flow maps with content, sequences) are read by the full YAML parser alike', async () => {
  const body = (meta: string) => `lockfileVersion: '9.0'

importers:

  .:
    # a comment
    dependencies:
      express:
        specifier: "^4.21.0"
        version: 4.21.2
${meta}
packages: {}
`;
  const block = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'pnpm-lock.yaml': body('    dependenciesMeta:\n      express:\n        injected: true\n') }, 'pnpm-lock.yaml');
  const flow = await contentsOf({ 'package.json': pkg({ name: 'a' }), 'pnpm-lock.yaml': body('    dependenciesMeta: {express: {injected: true}}\n    extra:\n      - one\n') }, 'pnpm-lock.yaml');
  const expected = { name: 'express', specifier: '^4.21.0', kind: 'dependencies', loc: { file: 'pnpm-lock.yaml', line: 9 } };
  assert.deepEqual(block!.importers.get('')!.dependencies.get('express'), expected);
  assert.deepEqual(flow!.importers.get('')!.dependencies.get('express'), expected);
  assert.equal(block!.importers.get('')!.loc.line, 5);
  assert.equal(flow!.importers.get('')!.loc.line, 5);
});

test('rule: workspace members the package manager does not read (pnpm without pnpm-workspace.yaml) are not judged', async () => {
  const lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n";
  const files = {
    'package.json': pkg({ name: 'r', packageManager: 'pnpm@9.15.0', workspaces: ['services/*'] }),
    'pnpm-lock.yaml': lock,
    'services/api/package.json': pkg({ name: 'api', dependencies: { express: '^4.21.0' } }),
  };
  assert.deepEqual(await findings(files), []);
  assert.deepEqual(await findings({ ...files, 'pnpm-workspace.yaml': 'packages:\n  - services/*\n' }), ['services/api/package.json:4']);
});

test('rule: the install that fails is named; when every install found rewrites the lockfile, the finding is high', async () => {
  const lock = pkg({ name: 'a', lockfileVersion: 3, packages: { '': { name: 'a', dependencies: { express: '^4.21.0' } }, 'node_modules/express': { version: '4.21.2' } } });
  const files = { 'package.json': pkg({ name: 'a', dependencies: { express: '^5.0.0' } }), 'package-lock.json': lock };
  const run = async (dockerfile: string) => {
    const t = tree({ ...files, Dockerfile: dockerfile });
    try {
      const result = await audit(t.root, { now: new Date('2026-11-23T00:00:00Z') });
      return result.findings.filter((f) => f.ruleId === 'repo/lockfile-out-of-sync').map((f) => ({ severity: f.severity, related: f.related?.map((r) => `${r.file}:${r.line}`) }));
    } finally {
      t.cleanup();
    }
  };
  const image = (install: string) => `FROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN ${install}\nCOPY . .\nCMD ["node", "server.js"]\n`;
  assert.deepEqual(await run(image('npm ci --omit=dev')), [{ severity: 'critical', related: ['package-lock.json:11', 'Dockerfile:4'] }]);
  assert.deepEqual(await run(image('npm install --omit=dev')), [{ severity: 'high', related: ['package-lock.json:11', 'Dockerfile:4'] }]);
});

test('broken lockfiles give no facts and no crash', async () => {
  const manifest = pkg({ name: 'a', dependencies: { express: '^4.21.0' } });
  for (const [name, text] of [
    ['pnpm-lock.yaml', "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: [\n<<<<<<< HEAD\n"],
    ['pnpm-lock.yaml', '\u0000\u0001binary'],
    ['yarn.lock', '# yarn lockfile v1\n\n"unterminated@^1:\n  version "1"\n'],
    ['yarn.lock', '__metadata:\n  version: 8\n\n"a@npm:1": [unclosed\n'],
    ['package-lock.json', '{"lockfileVersion": 3, "packages": {"": {"dependencies": {"express": 42}}}, "packages": []}'],
  ]) {
    const t = tree({ 'package.json': manifest, [name]: text });
    try {
      const result = await audit(t.root, { now: new Date('2026-11-23T00:00:00Z') });
      assert.ok(Array.isArray(result.findings), name);
    } finally {
      t.cleanup();
    }
  }
});
