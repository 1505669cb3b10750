import { connectionDetectors } from './connections.js';
import { cors, corsHeaders } from './cors.js';
import { express } from './express.js';
import { fastify } from './fastify.js';
import { hono } from './hono.js';
import { http } from './http.js';
import { koa } from './koa.js';
import { fsLogs, pino, winston } from './loggers.js';
import { nest } from './nest.js';
import { rateLimit, sessions, socketIo } from './state.js';
import { gracefulShutdownLibraries } from './terminus.js';
import type { Detector } from './types.js';

export type { Detector, WalkContext } from './types.js';

/**
 * Every detector, in the order a server call is attributed: the most specific framework first
 * (a Nest or Fastify app also has the http module underneath).
 */
export const detectors: Detector[] = [
  nest,
  fastify,
  koa,
  hono,
  express,
  http,
  gracefulShutdownLibraries,
  cors,
  corsHeaders,
  winston,
  pino,
  fsLogs,
  socketIo,
  sessions,
  rateLimit,
  ...connectionDetectors,
];

/** Server frameworks: a package that depends on one of these is a service candidate. */
export const SERVER_PACKAGES = new Set([...nest.packages, ...fastify.packages, ...koa.packages, ...express.packages, ...hono.packages, '@hapi/hapi', 'restify', 'socket.io', 'ws', 'next']);

/** Worker libraries: a package that depends on one of these and has an entry is a service candidate. */
export const WORKER_PACKAGES = new Set(['bullmq', 'bull', 'kafkajs', 'amqplib', '@aws-sdk/client-sqs', 'sqs-consumer', 'node-cron', 'agenda', 'pg-boss']);

/** Browser frameworks: a package with one of these and no server framework is a front-end app. */
export const FRONTEND_PACKAGES = new Set(['react', 'react-dom', 'vue', 'svelte', '@angular/core', 'solid-js', 'preact', '@sveltejs/kit', 'nuxt']);

/** Detectors enabled by a package's dependencies (detectors with no package, or import-based, are always on). */
export function enabledDetectors(dependencies: Set<string>): Detector[] {
  return detectors.filter((d) => d.packages.length === 0 || d.importBased || d.packages.some((p) => dependencies.has(p)));
}

/** Entry files by convention for the frameworks a package depends on, most specific first. */
export function conventionEntries(dependencies: Set<string>): string[] {
  const out: string[] = [];
  for (const d of enabledDetectors(dependencies)) for (const e of d.entryConventions ?? []) if (!out.includes(e)) out.push(e);
  return out;
}
