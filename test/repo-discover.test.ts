import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';
import { FileIndex } from '../src/discover/files.js';
import { isEnvFileName } from '../src/discover/repo.js';
import { projectInstalls } from '../src/discover/packages.js';
import { nodeEndOfLifePassed, nodeMajorOfImage, nodeMajorOfVersion, pnpmOverriddenSpec } from '../src/model/packages.js';

/** Writes a small repository (path → text) into a fresh temporary folder. */
function tree(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'shipready-discover-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const pkg = (body: Record<string, unknown>) => JSON.stringify(body, null, 2) + '\n';

test('npm workspaces, array form: members join the root project, others stay standalone', async () => {
  const t = tree({
    'package.json': pkg({ name: 'root', workspaces: ['services/*', 'shared'] }),
    'package-lock.json': '{}',
    'services/api/package.json': pkg({ name: '@x/api', dependencies: { express: '^4.21.2' } }),
    'services/worker/package.json': pkg({ name: '@x/worker' }),
    'shared/package.json': pkg({ name: '@x/shared' }),
    'tools/cli/package.json': pkg({ name: 'cli', dependencies: { commander: '^14.0.0' } }),
    'tools/cli/package-lock.json': '{}',
  });
  try {
    const { model } = await discover(t.root);
    const dirs = model.projects.map((p) => p.dir).sort();
    assert.deepEqual(dirs, ['', 'tools/cli']);
    const root = model.projects.find((p) => p.dir === '')!;
    assert.deepEqual(root.members.map((m) => m.dir).sort(), ['services/api', 'services/worker', 'shared']);
    assert.deepEqual(root.lockfiles.map((l) => l.path), ['package-lock.json']);
    assert.equal(root.manager, 'npm');
    const cli = model.projects.find((p) => p.dir === 'tools/cli')!;
    assert.deepEqual(cli.lockfiles.map((l) => l.path), ['tools/cli/package-lock.json']);
    assert.equal(model.packages.find((p) => p.dir === 'services/api')!.projectDir, '');
    // Globs keep their own lines, for findings that point at them.
    assert.deepEqual(model.packages.find((p) => p.dir === '')!.workspaces.map((w) => [w.value, w.loc.line]), [['services/*', 4], ['shared', 5]]);
  } finally {
    t.cleanup();
  }
});

test('yarn workspaces, object form ({ packages: [...] })', async () => {
  const t = tree({
    'package.json': pkg({ name: 'root', packageManager: 'yarn@4.6.0', workspaces: { packages: ['packages/**'], nohoist: ['**/sharp'] } }),
    'yarn.lock': '__metadata:\n  version: 8\n',
    'packages/a/package.json': pkg({ name: 'a' }),
    'packages/group/b/package.json': pkg({ name: 'b' }),
  });
  try {
    const { model } = await discover(t.root);
    assert.equal(model.projects.length, 1);
    const [project] = model.projects;
    assert.deepEqual(project.members.map((m) => m.dir).sort(), ['packages/a', 'packages/group/b']);
    assert.equal(project.declaredManager?.value, 'yarn');
    assert.equal(project.declaredManager?.loc.line, 3);
    assert.equal(project.manager, 'yarn');
  } finally {
    t.cleanup();
  }
});

test('pnpm-workspace.yaml globs with ! exclusions; packageManager with an integrity suffix', async () => {
  const t = tree({
    'package.json': pkg({ name: 'root', packageManager: 'pnpm@9.15.0+sha512.abc123' }),
    'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n  - 'packages/**'\n  - '!packages/**/test/**'\n  - '!apps/playground'\n",
    'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    'apps/web/package.json': pkg({ name: 'web' }),
    'apps/playground/package.json': pkg({ name: 'playground' }),
    'packages/ui/package.json': pkg({ name: 'ui' }),
    'packages/ui/test/fixture/package.json': pkg({ name: 'fixture' }),
  });
  try {
    const { model } = await discover(t.root);
    const root = model.projects.find((p) => p.dir === '')!;
    assert.deepEqual(root.members.map((m) => m.dir).sort(), ['apps/web', 'packages/ui']);
    assert.equal(root.pnpmWorkspace?.path, 'pnpm-workspace.yaml');
    assert.deepEqual(root.pnpmWorkspace?.packages.map((p) => [p.value, p.loc.line]), [
      ['apps/*', 2], ['packages/**', 3], ['!packages/**/test/**', 4], ['!apps/playground', 5],
    ]);
    assert.equal(root.declaredManager?.value, 'pnpm');
    assert.equal(root.manager, 'pnpm');
    // Excluded packages are projects of their own.
    assert.deepEqual(model.projects.map((p) => p.dir).sort(), ['', 'apps/playground', 'packages/ui/test/fixture']);
  } finally {
    t.cleanup();
  }
});

test('manager from the lockfile, then from pnpm-workspace.yaml; several lockfiles leave it open', async () => {
  const t = tree({
    'a/package.json': pkg({ name: 'a' }),
    'a/bun.lock': '{}',
    'b/package.json': pkg({ name: 'b' }),
    'b/pnpm-workspace.yaml': 'packages: []\n',
    'c/package.json': pkg({ name: 'c' }),
    'c/yarn.lock': '',
    'c/package-lock.json': '{}',
  });
  try {
    const { model } = await discover(t.root);
    const by = (dir: string) => model.projects.find((p) => p.dir === dir)!;
    assert.equal(by('a').manager, 'bun');
    assert.equal(by('b').manager, 'pnpm');
    assert.equal(by('c').manager, undefined);
    assert.deepEqual(by('c').lockfiles.map((l) => l.manager).sort(), ['npm', 'yarn']);
  } finally {
    t.cleanup();
  }
});

test('a lockfile that .gitignore excludes is recorded as such', async () => {
  const t = tree({
    '.gitignore': 'package-lock.json\n',
    'package.json': pkg({ name: 'svc', dependencies: { pg: '^8.0.0' } }),
    'package-lock.json': '{}',
  });
  try {
    const { model } = await discover(t.root);
    assert.deepEqual(model.projects[0].lockfiles, []);
    assert.deepEqual(model.projects[0].gitignoredLockfiles, ['package-lock.json']);
  } finally {
    t.cleanup();
  }
});

test('package.json facts keep their lines: engines, scripts, dependencies; .nvmrc and .node-version', async () => {
  const t = tree({
    'package.json': pkg({
      name: 'svc',
      engines: { node: '>=22' },
      scripts: { start: 'node dist/server.js' },
      dependencies: { express: '^4.21.2' },
      devDependencies: { express: '^4.21.2', typescript: '^5.7.2' },
    }),
    '.nvmrc': '# pinned for nvm\nv24.11.1\n',
    'services/api/.node-version': '24\n',
  });
  try {
    const { model } = await discover(t.root);
    const [p] = model.packages;
    assert.deepEqual([p.engines.node?.value, p.engines.node?.loc.line], ['>=22', 4]);
    assert.equal(p.scripts.get('start')?.loc.line, 7);
    // Listed in both: the runtime kind wins, since production installs it.
    assert.equal(p.dependencies.get('express')?.kind, 'dependencies');
    assert.equal(p.dependencies.get('typescript')?.kind, 'devDependencies');
    assert.deepEqual(
      model.nodeVersionFiles.map((f) => [f.path, f.version.value, f.version.loc.line]).sort(),
      [['.nvmrc', 'v24.11.1', 2], ['services/api/.node-version', '24', 1]],
    );
  } finally {
    t.cleanup();
  }
});

test('.gitignore is respected, nested .gitignore files too, with negation; skipped folders are never walked', () => {
  const t = tree({
    '.gitignore': 'secrets/\n*.log\n!keep.log\n',
    'app.log': 'x',
    'keep.log': 'x',
    'secrets/key.json': '{}',
    'services/api/.gitignore': 'generated/\n.env.local\n',
    'services/api/generated/client.ts': '',
    'services/api/.env.local': 'A=1',
    'services/api/src/index.ts': '',
    'services/worker/.env.local': 'A=1',
    'node_modules/express/package.json': '{}',
    'services/api/node_modules/pg/package.json': '{}',
    'dist/server.js': '',
    '.git/config': '',
    '.turbo/cache.json': '{}',
  });
  try {
    const files = new FileIndex(t.root);
    assert.deepEqual(files.paths, [
      '.gitignore',
      'keep.log',
      'services/api/.gitignore',
      'services/api/src/index.ts',
      'services/worker/.env.local',
    ]);
    // After the walk, the same verdicts for paths that may not exist.
    assert.equal(files.isGitignored('services/api/.env.local'), true);
    assert.equal(files.isGitignored('services/worker/.env.local'), false);
    assert.equal(files.isGitignored('services/api/generated/other.ts'), true);
    assert.equal(files.isGitignored('secrets/new.json'), true);
    assert.equal(files.isGitignored('other.log'), true);
    assert.equal(files.isGitignored('keep.log'), false);
    assert.equal(files.isGitignored('node_modules/x/index.js'), true);
    assert.equal(files.isGitignored('src/index.ts'), false);
    assert.equal(files.isDir('services/api/node_modules'), false);
    assert.equal(files.isDir('dist'), false);
  } finally {
    t.cleanup();
  }
});

test('reads: a missing file is not a problem; a quiet read records nothing; a path may not leave the root', () => {
  const t = tree({ 'logo.png': '\x89PNG\r\n\x1a\n\0\0\0\rIHDR', 'a.txt': 'hello' });
  try {
    const files = new FileIndex(t.root);
    assert.equal(files.read('missing.json'), undefined);
    assert.equal(files.readIfText('logo.png'), undefined);
    assert.equal(files.problems.length, 0);
    assert.equal(files.read('logo.png'), undefined);
    assert.deepEqual(files.problems.map((p) => [p.kind, p.file]), [['binary', 'logo.png']]);
    files.read('logo.png');
    assert.equal(files.problems.length, 1, 'each problem is recorded once');
    assert.equal(files.read('../' + t.root.split('/').pop() + '/a.txt'), undefined);
    // A link out of the repository is neither indexed nor read.
    symlinkSync('/etc/hostname', join(t.root, 'hostname'));
    const relinked = new FileIndex(t.root);
    assert.equal(relinked.has('hostname'), false);
    assert.equal(relinked.read('hostname'), undefined);
  } finally {
    t.cleanup();
  }
});

test('env file names: real ones, not code or encrypted vaults', () => {
  for (const name of ['.env', '.env.production', '.env.local', '.env.keys', 'api.env']) assert.equal(isEnvFileName(name), true, name);
  for (const name of ['.envrc', 'env.d.ts', '.env.ts', '.env.schema.json', '.env.vault', 'environment.ts', '.env.md']) {
    assert.equal(isEnvFileName(name), false, name);
  }
});

test('Node majors from version texts and image tags; end of life by date', () => {
  assert.equal(nodeMajorOfVersion('v20.11.1'), 20);
  assert.equal(nodeMajorOfVersion('22.x'), 22);
  assert.equal(nodeMajorOfVersion('lts/iron'), 20);
  assert.equal(nodeMajorOfVersion('jod'), 22);
  assert.equal(nodeMajorOfVersion('lts/*'), undefined);
  assert.equal(nodeMajorOfVersion('>=18'), undefined);
  assert.equal(nodeMajorOfVersion('node'), undefined);
  assert.equal(nodeMajorOfImage({ name: 'node', tag: '18.20.4-bookworm-slim' }), 18);
  assert.equal(nodeMajorOfImage({ name: 'node', tag: 'hydrogen-alpine' }), 18);
  assert.equal(nodeMajorOfImage({ name: 'docker/library/node', tag: '24' }), 24);
  assert.equal(nodeMajorOfImage({ name: 'distroless/nodejs22-debian12' }), 22);
  assert.equal(nodeMajorOfImage({ name: 'node', tag: 'lts-alpine' }), undefined);
  assert.equal(nodeMajorOfImage({ name: 'node' }), undefined);
  assert.equal(nodeMajorOfImage({ name: 'nginx', tag: '1.27' }), undefined);
  const day = new Date('2026-11-23T12:00:00Z');
  assert.equal(nodeEndOfLifePassed(18, day), '2025-04-30');
  assert.equal(nodeEndOfLifePassed(20, day), '2026-04-30');
  assert.equal(nodeEndOfLifePassed(22, day), undefined);
  assert.equal(nodeEndOfLifePassed(0, day), '2018-04-30');
  assert.equal(nodeEndOfLifePassed(99, day), undefined);
});

test('secret scan: shaped credentials in every walked file, redacted; placeholders, words and PEM templates are not', async () => {
  const pem = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', '-----END OPENSSH PRIVATE KEY-----'].join('\n');
  const t = tree({
    '.gitignore': 'local/\n',
    'src/aws.ts': "export const id = 'AKIA4HQZ7RB2LWNX3KPD';\nexport const region = 'ASIAPACIFICNORTHEAST';\n",
    'config/credentials': '[default]\naws_secret_access_key = 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\n',
    'keys/id_ed25519': pem + '\n',
    'src/pem.ts': 'export const header = "-----BEGIN PRIVATE KEY-----\\n" + body;\n',
    'docs/aws.md': 'Example: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    '.env.example': 'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nSLACK_TOKEN=xoxb-your-token-here\n',
    '.env.sample': 'NPM_TOKEN=npm_a8Kq2Lm9Xv4Tz7Rp1Ws6Yb3Nc5Dh0Jf2Gk8Q\n',
    'local/secrets.json': '{ "id": "AKIA7TNWQ3XP5RZK2LMB" }\n',
    'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]).toString('latin1'),
    'package-lock.json': '{ "resolved": "AKIA7TNWQ3XP5RZK2LMB" }\n',
  });
  try {
    const { model } = await discover(t.root);
    const found = model.secretCandidates.map((c) => `${c.loc.file}:${c.loc.line} ${c.kind} ${c.redacted}`).sort();
    assert.deepEqual(found, [
      '.env.sample:1 npm token npm_…8Q',
      'config/credentials:2 AWS secret access key q8Zr…4w',
      'keys/id_ed25519:1 private key PRIVATE KEY block',
      'src/aws.ts:1 AWS access key id AKIA…PD',
    ]);
    // The scan reads every file quietly: a binary asset is no problem to report.
    assert.deepEqual(model.problems.filter((p) => p.loc.file === 'assets/logo.png'), []);
  } finally {
    t.cleanup();
  }
});

test('package.json of odd shapes: wrong types are skipped, a non-object or commented file is a parse error at its line', async () => {
  const t = tree({
    'package.json': '\uFEFF' + pkg({ name: 'root', workspaces: 'packages/*', engines: { node: 18 }, packageManager: 'pnpm', dependencies: { a: '^1.0.0', b: { version: '1' } }, bin: 5 }),
    'array/package.json': '[]\n',
    'comments/package.json': '{\n  // a comment\n  "name": "c"\n}\n',
    'empty/package.json': '',
  });
  try {
    const { model } = await discover(t.root);
    const root = model.packages.find((p) => p.dir === '')!;
    assert.deepEqual(root.workspaces, []);
    assert.equal(root.engines.node, undefined);
    assert.deepEqual([...root.dependencies.keys()], ['a']);
    assert.equal(model.projects.find((p) => p.dir === '')?.declaredManager?.value, 'pnpm');
    const problems = model.problems.filter((p) => p.artifact === 'package.json').map((p) => `${p.loc.file}:${p.loc.line}`).sort();
    assert.deepEqual(problems, ['array/package.json:1', 'comments/package.json:2', 'empty/package.json:1']);
  } finally {
    t.cleanup();
  }
});

test('lockfile formats come from the head of the file, even past the 1 MiB read limit', async () => {
  const t = tree({
    'a/package.json': pkg({ name: 'a' }),
    'a/pnpm-lock.yaml': "lockfileVersion: '9.0'\n\nimporters:\n" + '  x: {}\n'.repeat(300_000),
    'b/package.json': pkg({ name: 'b' }),
    'b/yarn.lock': '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n',
    'c/package.json': pkg({ name: 'c' }),
    'c/yarn.lock': '# This file is generated by running "yarn install" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n',
  });
  try {
    const { model } = await discover(t.root);
    const format = (dir: string) => model.projects.find((p) => p.dir === dir)!.lockfiles[0].format;
    assert.deepEqual(format('a'), { value: '9.0', loc: { file: 'a/pnpm-lock.yaml', line: 1 } });
    assert.deepEqual(format('b'), { value: '1', loc: { file: 'b/yarn.lock', line: 2 } });
    assert.deepEqual(format('c'), { value: '8', loc: { file: 'c/yarn.lock', line: 4 } });
    assert.deepEqual(model.problems, []);
  } finally {
    t.cleanup();
  }
});

test('pnpm overrides from package.json, pnpm-workspace.yaml and the lockfile; duplicated dev entries; override keys with ranges', async () => {
  const t = tree({
    'package.json': pkg({
      name: 'root',
      resolutions: { 'left-pad': '1.3.0' },
      pnpm: { overrides: { 'react-router-dom@>=6.7.0 <6.30.6': '^6.30.6', 'left-pad': '1.3.1' } },
      dependencies: { '@swc/core': '1.5.7' },
      devDependencies: { '@swc/core': '^1.7.28' },
    }),
    'pnpm-workspace.yaml': "packages:\n  - apps/*\noverrides:\n  'nanoid@<3.1.31': ^3.1.31\n",
    'pnpm-lock.yaml': "lockfileVersion: '9.0'\n\noverrides:\n  react-router-dom@>=6.7.0 <6.30.6: ^6.30.6\n\nimporters:\n\n  .: {}\n",
  });
  try {
    const { model } = await discover(t.root);
    const root = model.packages.find((p) => p.dir === '')!;
    // pnpm reads yarn's `resolutions` too; its own `pnpm.overrides` wins.
    assert.deepEqual([...root.pnpmOverrides], [['left-pad', '1.3.1'], ['react-router-dom@>=6.7.0 <6.30.6', '^6.30.6']]);
    // A `>` that opens a range is not a parent separator.
    assert.deepEqual([...root.overriddenNames].sort(), ['left-pad', 'react-router-dom']);
    assert.equal(root.dependencies.get('@swc/core')?.range, '1.5.7');
    assert.equal(root.alsoInDevDependencies.get('@swc/core')?.range, '^1.7.28');
    const project = model.projects[0];
    assert.deepEqual([...project.pnpmWorkspace!.overrides!], [['nanoid@<3.1.31', '^3.1.31']]);
    assert.deepEqual([...project.lockfiles[0].contents()!.overrides!], [['react-router-dom@>=6.7.0 <6.30.6', '^6.30.6']]);
  } finally {
    t.cleanup();
  }
});

test('pnpmOverriddenSpec: selector range ∩ declared spec, parent scope, the narrowest range, removal and references', () => {
  const overrides = new Map([
    ['react-router-dom@>=6.7.0 <6.30.6', '^6.30.6'],
    ['ajv@<6.14.0', '^6.14.0'],
    ['ajv@>=7.0.0-alpha.0 <8.18.0', '^8.18.0'],
    ['@acme/api>fast-xml-parser@<5.5.7', '^5.5.7'],
    ['esbuild', '^0.25.0'],
    ['left-pad', '-'],
    ['react', '$react'],
  ]);
  const owner = { name: '@acme/web', version: '1.0.0' };
  const refs = new Map([['react', '^18.3.1']]);
  const spec = (name: string, range: string, o = owner) => pnpmOverriddenSpec(overrides, { name, range }, o, refs);
  assert.equal(spec('react-router-dom', '^6.30.2'), '^6.30.6');
  assert.equal(spec('react-router-dom', '^6.31.0'), undefined);
  assert.equal(spec('ajv', '^8.12.0'), '^8.18.0');
  assert.equal(spec('ajv', '^6.12.6'), '^6.14.0');
  assert.equal(spec('fast-xml-parser', '^5.3.4'), undefined);
  assert.equal(spec('fast-xml-parser', '^5.3.4', { name: '@acme/api', version: '2.0.0' }), '^5.5.7');
  assert.equal(spec('esbuild', '^0.19.0'), '^0.25.0');
  assert.equal(spec('left-pad', '^1.3.0'), null);
  assert.equal(spec('react', '^18.2.0'), '^18.3.1');
});

test('projectInstalls: Dockerfile RUNs that read the project manifest through COPY, and workflow steps in its folder', async () => {
  const t = tree({
    'package.json': pkg({ name: 'root', workspaces: ['services/*'] }),
    'package-lock.json': '{}',
    'services/api/package.json': pkg({ name: 'api' }),
    'services/api/Dockerfile': 'FROM node:22-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nCOPY services/api/package.json services/api/\nRUN npm ci\nCOPY . .\nCMD ["node", "services/api/server.js"]\n',
    '.github/actions/bot/package.json': pkg({ name: 'bot', dependencies: { '@actions/core': '^1.11.1' } }),
    '.github/actions/bot/pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    'tools/seed/package.json': pkg({ name: 'seed', dependencies: { pg: '^8.13.1' } }),
    '.github/workflows/ci.yml': 'on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: node .github/actions/bot/dist/index.js\n      - run: cd tools/seed && npm install && node seed.js\n',
  });
  try {
    const { model } = await discover(t.root);
    const installsOf = (dir: string) => projectInstalls(model, model.projects.find((p) => p.dir === dir)!).map((i) => `${i.loc.file}:${i.loc.line} ${i.command.text}`);
    assert.deepEqual(installsOf(''), ['services/api/Dockerfile:5 npm ci', '.github/workflows/ci.yml:7 npm ci']);
    assert.deepEqual(installsOf('.github/actions/bot'), []);
    assert.deepEqual(installsOf('tools/seed'), ['.github/workflows/ci.yml:9 npm install']);
  } finally {
    t.cleanup();
  }
});
