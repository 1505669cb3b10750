import { defineRule } from '../rule.js';

const CLOSE_CALL: Record<string, string> = {
  pg: 'pool.end()', postgres: 'sql.end()', mysql2: 'pool.end()', prisma: 'prisma.$disconnect()', knex: 'knex.destroy()', mongoose: 'mongoose.disconnect()',
  mongodb: 'client.close()', ioredis: 'redis.quit()', redis: 'client.quit()', bullmq: 'worker.close()', typeorm: 'dataSource.destroy()', amqplib: 'connection.close()',
  drizzle: 'db.$client.end()',
};

export default defineRule({
  id: 'src/connection-not-closed',
  severity: 'medium',
  title: 'Connection never closed on shutdown',
  messages: {
    open: {
      message: '{{kind}} connection {{name}}({{text}}) is opened here but never closed anywhere in {{service}}\'s code: on SIGTERM the task exits with queries, jobs or transactions in flight and the server sees dropped connections{{handler}}',
      fix: 'close it in the shutdown path after the server stops accepting requests: {{close}} (NestJS: in onModuleDestroy/beforeApplicationShutdown with enableShutdownHooks())',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend' || service.kind === 'unknown') continue;
      const sigterm = service.signalHandlers.find((h) => h.signal === 'SIGTERM');
      for (const conn of service.connections) {
        if (conn.closedAt) continue;
        const key = `${conn.loc.file}:${conn.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report(
          'open',
          conn.loc,
          {
            kind: conn.kind,
            name: conn.name && conn.name !== 'this' ? `"${conn.name}" ` : '',
            text: conn.text,
            service: service.name,
            close: CLOSE_CALL[conn.kind] ?? 'close it',
            handler: sigterm ? ` (the SIGTERM handler at ${sigterm.loc.file}:${sigterm.loc.line} does not close it)` : '',
          },
          { ...(sigterm ? { related: [{ file: sigterm.loc.file, line: sigterm.loc.line, message: 'the shutdown handler, which does not close this connection' }] } : {}), key: `${conn.kind}:${conn.name ?? ''}` },
        );
      }
    }
  },
});
