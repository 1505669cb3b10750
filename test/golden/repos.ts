import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundled example repository: the report tests audit it as a user would. */
export const EXAMPLE = fileURLToPath(new URL('../../examples/shopfront/', import.meta.url));

export interface TempRepo {
  root: string;
  write(path: string, text: string): void;
  cleanup(): void;
}

/**
 * A fresh folder named `name` (reports show the folder name, so goldens stay stable), filled from
 * a source folder or from a map of files. Outside the project's git repository on purpose.
 */
export function tempRepo(name: string, from: string | Record<string, string>): TempRepo {
  const parent = mkdtempSync(join(tmpdir(), 'shipready-report-'));
  const root = join(parent, name);
  mkdirSync(root);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  if (typeof from === 'string') cpSync(from, root, { recursive: true });
  else for (const [path, text] of Object.entries(from)) write(path, text);
  return { root, write, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}

export function exampleExists(): boolean {
  return existsSync(join(EXAMPLE, 'package.json'));
}

/**
 * A small monorepo with problems the current rules find: three services whose images run as root
 * (one explicitly), and two files that do not parse. Used where a test must change the
 * repository between runs (baseline, waivers).
 */
export const SERVICES_REPO: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'fleet', private: true, workspaces: ['services/*'] }, null, 2) + '\n',
  'services/api/package.json': JSON.stringify({ name: 'api', version: '1.0.0', scripts: { start: 'node dist/server.js' } }, null, 2) + '\n',
  'services/api/Dockerfile': [
    'FROM node:20-alpine AS build',
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN npm ci',
    'COPY . .',
    'RUN npm run build',
    '',
    'FROM node:20-alpine',
    'WORKDIR /app',
    'COPY --from=build /app/dist ./dist',
    'CMD ["node", "dist/server.js"]',
    '',
  ].join('\n'),
  'services/billing/Dockerfile': [
    'FROM node:20-slim',
    'WORKDIR /srv',
    'COPY dist ./dist',
    'USER root',
    'CMD ["node", "dist/main.js"]',
    '',
  ].join('\n'),
  'services/legacy/Dockerfile': [
    'FROM node:18',
    'WORKDIR /usr/src/app',
    'COPY . .',
    'CMD ["node", "index.js"]',
    '',
  ].join('\n'),
  'services/billing/package.json': '{\n  "name": "billing",\n  "version": "1.0.0",\n  "scripts": { "start": "node dist/main.js", }\n}\n',
  'services/worker/Dockerfile': [
    'FROM node:20-alpine',
    'WORKDIR /app',
    'COPPY dist ./dist',
    'USER node',
    'CMD ["node", "dist/worker.js"]',
    '',
  ].join('\n'),
};
