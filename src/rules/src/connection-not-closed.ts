import { defineRule } from '../rule.js';
import { notRunOnEcs } from './_deployment.js';

const CLOSE_CALL: Record<string, string> = {
  pg: 'pool.end()', postgres: 'sql.end()', mysql2: 'pool.end()', prisma: 'prisma.$disconnect()', knex: 'knex.destroy()', mongoose: 'mongoose.disconnect()',
  mongodb: 'client.close()', ioredis: 'redis.quit()', redis: 'client.quit()', bullmq: 'worker.close()', typeorm: 'dataSource.destroy()', amqplib: 'connection.close()',
  drizzle: 'db.$client.end()',
};

/**
 * Clients whose server cleans up after a dropped socket with nothing lost that a close would have
 * saved: MongoDB and Redis drop the connection, RabbitMQ requeues unacknowledged messages.
 */
const SOCKET_ONLY = new Set(['mongoose', 'mongodb', 'ioredis', 'redis', 'amqplib']);

/** Calls that stop a server or drain work: a handler that makes one is a graceful shutdown path. */
const CLOSING = /(^|\.)(close|stop|shutdown|terminate|drain|destroy|end|quit|disconnect|\$disconnect|closeAll|gracefulShutdown|closeServer|closeGracefully)$/i;

export default defineRule({
  id: 'src/connection-not-closed',
  severity: 'medium',
  title: 'Connection never closed on shutdown',
  messages: {
    open: {
      message: '{{kind}} connection {{name}}({{text}}) is opened here but never closed anywhere in {{service}}\'s code, although {{handler}} shuts the service down: on SIGTERM the task exits with {{lost}} in flight',
      fix: 'close it in the shutdown path after the server stops accepting requests: {{close}} (NestJS: in onModuleDestroy/beforeApplicationShutdown with enableShutdownHooks())',
    },
  },
  check(model, report, analysis) {
    const seen = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend' || service.kind === 'unknown') continue;
      if (notRunOnEcs(model, analysis, service)) continue;
      // Without a graceful SIGTERM path (no handler, or one that only exits) every connection is cut
      // the same way: that root cause is src/no-sigterm-handler's finding, not one per connection.
      const sigterm = service.signalHandlers.find((h) => h.signal === 'SIGTERM' && (h.via || (h.calls.some((c) => CLOSING.test(c.value)) && !h.exitsAtOnce)));
      if (!sigterm) continue;
      for (const conn of service.connections) {
        if (conn.closedAt) continue;
        const key = `${conn.loc.file}:${conn.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const socketOnly = SOCKET_ONLY.has(conn.kind);
        report(
          'open',
          conn.loc,
          {
            kind: conn.kind,
            name: conn.name && conn.name !== 'this' ? `"${conn.name}" ` : '',
            text: conn.text,
            service: service.name,
            close: CLOSE_CALL[conn.kind] ?? 'close it',
            handler: sigterm.via ? `${sigterm.via} (${sigterm.loc.file}:${sigterm.loc.line})` : `the SIGTERM handler at ${sigterm.loc.file}:${sigterm.loc.line}`,
            lost: socketOnly ? 'the socket open (the server drops it; commands not yet sent are lost)' : conn.kind === 'bullmq' ? 'jobs that stall until their lock expires and then run twice' : 'queries and transactions',
          },
          {
            related: [{ file: sigterm.loc.file, line: sigterm.loc.line, message: 'the shutdown path, which does not close this connection' }],
            key: `${conn.kind}:${conn.name ?? ''}`,
            // A dropped MongoDB/Redis/RabbitMQ socket loses little: hygiene, not an outage.
            ...(socketOnly ? { severity: 'low' as const } : {}),
          },
        );
      }
    }
  },
});
