import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, parseDockerignore, pathsUnder, splitImage } from '../src/discover/dockerfiles.js';
import { finalStage } from '../src/model/docker.js';

const lines = (...l: string[]) => l.join('\n') + '\n';

test('stages: names, FROM <stage> chains, root image and line ranges', () => {
  const d = parseDockerfile(lines(
    '# syntax=docker/dockerfile:1',
    'FROM node:20-alpine AS base',
    'WORKDIR /app',
    '',
    'FROM base AS build',
    'RUN npm ci',
    '',
    'FROM gcr.io/distroless/nodejs20-debian12:nonroot',
    'CMD ["dist/index.js"]',
  ), 'Dockerfile');
  assert.equal(d.stages.length, 3);
  assert.deepEqual(d.stages.map((s) => s.name?.value), ['base', 'build', undefined]);
  assert.equal(d.stages[1].from.stageRef, 0);
  assert.equal(d.stages[1].rootImage.raw, 'node:20-alpine');
  assert.equal(d.stages[1].workdir?.value, '/app', 'a stage built FROM another inherits its WORKDIR');
  assert.equal(d.stages[2].from.registry, 'gcr.io');
  assert.equal(d.stages[2].from.name, 'distroless/nodejs20-debian12');
  assert.equal(d.stages[2].from.tag, 'nonroot');
  assert.deepEqual(d.stages.map((s) => s.from.loc.line), [2, 5, 8]);
  assert.equal(finalStage(d), d.stages[2]);
  assert.deepEqual(d.syntaxErrors, []);
});

test('FROM --platform and ARG in FROM: the flag is kept apart, global ARG defaults resolve', () => {
  const d = parseDockerfile(lines(
    'ARG NODE_MAJOR=20',
    'ARG REGISTRY',
    'FROM --platform=$BUILDPLATFORM node:${NODE_MAJOR}-alpine AS build',
    'FROM ${REGISTRY}/base:1.2',
  ), 'Dockerfile');
  const [build, custom] = d.stages;
  assert.equal(build.from.platform?.value, '$BUILDPLATFORM');
  assert.equal(build.from.name, 'node');
  assert.equal(build.from.tag, '20-alpine');
  assert.equal(build.from.raw, 'node:${NODE_MAJOR}-alpine');
  assert.equal(build.from.unresolved, false);
  assert.equal(build.name?.value, 'build');
  assert.equal(custom.from.unresolved, true, 'an ARG without default cannot be resolved');
  assert.deepEqual(d.globalArgs.map((a) => [a.name, a.value, a.loc.line]), [['NODE_MAJOR', '20', 1], ['REGISTRY', '', 2]]);
});

test('splitImage: registry with port, digest, library/ prefix', () => {
  assert.deepEqual(splitImage('localhost:5000/org/node:20@sha256:abc'), { name: 'org/node', registry: 'localhost:5000', tag: '20', digest: 'sha256:abc' });
  assert.deepEqual(splitImage('library/node'), { name: 'node', registry: undefined, tag: undefined, digest: undefined });
  assert.deepEqual(splitImage('public.ecr.aws/docker/library/node:22-slim').tag, '22-slim');
});

test('COPY/ADD: sources, destination, --from stage index, --chown, JSON form, heredoc, WORKDIR', () => {
  const d = parseDockerfile(lines(
    'FROM node:20 AS build',
    'WORKDIR /app',
    'COPY --chown=node:node package.json package-lock.json ./',
    'FROM node:20-slim',
    'WORKDIR /srv',
    'WORKDIR api',
    'COPY --from=build /app/dist ./dist',
    'COPY --from=0 /app/package.json ./',
    'COPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx/',
    'COPY ["src/a b.txt", "./"]',
    'ADD https://example.com/cert.pem /certs/',
    'COPY <<EOF /srv/api/.npmrc',
    'fund=false',
    'EOF',
    'CMD ["node", "dist/index.js"]',
  ), 'Dockerfile');
  const [first] = d.stages[0].copies;
  assert.deepEqual(first.sources.map((s) => s.value), ['package.json', 'package-lock.json']);
  assert.equal(first.dest.value, './');
  assert.equal(first.workdir, '/app');
  assert.equal(first.from, undefined);
  const [fromBuild, fromIndex, fromImage, json, add, heredoc] = d.stages[1].copies;
  assert.equal(fromBuild.workdir, '/srv/api', 'relative WORKDIR resolves against the previous one');
  assert.equal(fromBuild.fromStage, 0);
  assert.equal(fromBuild.loc.line, 7);
  assert.equal(fromIndex.fromStage, 0, '--from=0 names the first stage');
  assert.equal(fromImage.from?.value, 'nginx:1.27');
  assert.equal(fromImage.fromStage, undefined);
  assert.deepEqual(json.sources.map((s) => s.value), ['src/a b.txt']);
  assert.equal(add.keyword, 'ADD');
  assert.equal(heredoc.heredoc, true);
  assert.deepEqual(heredoc.sources, []);
  assert.equal(heredoc.dest.value, '/srv/api/.npmrc');
  assert.equal(d.stages[1].cmd?.loc.line, 15, 'lines after a heredoc stay exact');
});

test('CMD/ENTRYPOINT: exec form vs shell form, invalid JSON is shell form', () => {
  const d = parseDockerfile(lines(
    'FROM node:20',
    'ENTRYPOINT ["dumb-init", "--"]',
    'CMD ["node", "dist/index.js"]',
    'FROM node:20',
    'CMD npm start',
    'FROM node:20',
    "CMD ['node', 'index.js']",
  ), 'Dockerfile');
  assert.equal(d.stages[0].entrypoint?.form, 'exec');
  assert.deepEqual(d.stages[0].entrypoint?.argv, ['dumb-init', '--']);
  assert.equal(d.stages[0].cmd?.form, 'exec');
  assert.deepEqual(d.stages[1].cmd && [d.stages[1].cmd.form, d.stages[1].cmd.argv], ['shell', ['npm', 'start']]);
  assert.equal(d.stages[2].cmd?.form, 'shell', 'single quotes are not JSON: Docker runs it through /bin/sh');
});

test('RUN: simple commands with their own lines, across continuations, flags, comments and heredocs', () => {
  const d = parseDockerfile(lines(
    'FROM node:20',                                             // 1
    'RUN --mount=type=cache,target=/root/.npm \\',             // 2
    '    npm ci && \\',                                         // 3
    '# comment lines inside a continuation are dropped',       // 4
    '    npm run build',                                        // 5
    'RUN <<EOF',                                                // 6
    'set -e',                                                   // 7
    'pnpm install --frozen-lockfile',                           // 8
    'EOF',                                                      // 9
    'RUN ["npm", "ci"]',                                        // 10
    'RUN apk add --no-cache curl; echo done',                   // 11
  ), 'Dockerfile');
  const runs = d.stages[0].runs;
  assert.deepEqual(runs[0].mounts, ['type=cache,target=/root/.npm']);
  assert.deepEqual(runs[0].commands.map((c) => [c.argv.join(' '), c.loc.line]), [['npm ci', 3], ['npm run build', 5]]);
  assert.equal(runs[0].commands[0].next, '&&');
  assert.equal(runs[1].command.text, 'set -e\npnpm install --frozen-lockfile');
  assert.deepEqual(runs[1].commands.map((c) => [c.argv.join(' '), c.loc.line]), [['set -e', 7], ['pnpm install --frozen-lockfile', 8]]);
  assert.deepEqual(runs[2].commands.map((c) => [c.argv, c.loc.line]), [[['npm', 'ci'], 10]]);
  assert.deepEqual(runs[3].commands.map((c) => [c.argv.join(' '), c.loc.line]), [['apk add --no-cache curl', 11], ['echo done', 11]]);
});

test('ENV, ARG, USER, EXPOSE, HEALTHCHECK', () => {
  const d = parseDockerfile(lines(
    'FROM node:20-alpine',
    'ARG NPM_TOKEN',
    'ENV NODE_ENV=production \\',
    '    PORT=3000',
    'ENV LEGACY value with spaces',
    'USER node',
    'EXPOSE 3000/tcp 9229',
    'HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "healthcheck.js"]',
    'FROM node:20-alpine',
    'HEALTHCHECK NONE',
  ), 'Dockerfile');
  const [stage, second] = d.stages;
  assert.deepEqual(stage.args.map((a) => a.name), ['NPM_TOKEN']);
  assert.deepEqual(stage.env.map((e) => [e.name, e.value, e.loc.line]), [['NODE_ENV', 'production', 3], ['PORT', '3000', 3], ['LEGACY', 'value with spaces', 5]]);
  assert.equal(stage.user?.value, 'node');
  assert.deepEqual(stage.expose.map((p) => p.value), ['3000/tcp', '9229']);
  assert.equal(stage.healthcheck?.none, false);
  assert.deepEqual(stage.healthcheck?.command?.argv, ['node', 'healthcheck.js']);
  assert.equal(stage.healthcheck?.loc.line, 8);
  assert.equal(second.healthcheck?.none, true);
});

test('broken Dockerfiles become syntax errors with a line, never exceptions', () => {
  const d = parseDockerfile(lines('RUN echo before any FROM', 'FROM node:20', 'FORM node:20', 'COPY onlyone'), 'Dockerfile');
  assert.deepEqual(d.syntaxErrors.map((e) => e.loc.line), [1, 3, 4]);
  assert.equal(parseDockerfile('', 'empty/Dockerfile').syntaxErrors[0].message, 'no FROM instruction: docker build cannot start');
});

test('dockerignore: Docker semantics (root-only names, **, exceptions, parent exclusion)', () => {
  const ignore = parseDockerignore(lines('# comment', 'node_modules', '**/.env*', '!**/.env.example', '*.md', '!README.md', 'build/'), '.dockerignore');
  assert.equal(ignore.ignores('node_modules'), true);
  assert.equal(ignore.ignores('packages/api/node_modules'), false, '"node_modules" matches only at the context root');
  assert.equal(ignore.ignores('packages/api/.env.local'), true);
  assert.equal(ignore.ignores('packages/api/.env.example'), false);
  assert.equal(ignore.ignores('CHANGELOG.md'), true);
  assert.equal(ignore.ignores('README.md'), false);
  assert.equal(ignore.ignores('build/index.js'), true);
  assert.equal(ignore.ignores('./'), false);
  assert.deepEqual(ignore.patterns.map((p) => p.loc.line), [2, 3, 4, 5, 6, 7]);
});

test('pathsUnder: the contiguous run of a sorted path list below a folder', () => {
  const paths = ['a.ts', 'pkg/a.ts', 'pkg/sub/b.ts', 'pkg-other/c.ts', 'pkg.json', 'z/pkg/d.ts'].sort();
  assert.deepEqual(pathsUnder(paths, 'pkg'), ['pkg/a.ts', 'pkg/sub/b.ts']);
  assert.deepEqual(pathsUnder(paths, 'pkg/sub'), ['pkg/sub/b.ts']);
  assert.deepEqual(pathsUnder(paths, 'missing'), []);
  assert.equal(pathsUnder(paths, '').length, paths.length);
});
