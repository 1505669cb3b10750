import { defineRule } from '../rule.js';

/** Calls that stop a server or drain work: what a shutdown handler must do before exiting. */
const CLOSING = /(^|\.)(close|stop|shutdown|terminate|drain|destroy|end|quit|disconnect|\$disconnect|closeAll|gracefulShutdown|closeServer|closeGracefully)$/i;

export default defineRule({
  id: 'src/no-sigterm-handler',
  severity: 'high',
  title: 'No graceful SIGTERM handling',
  messages: {
    missing: {
      message: '{{service}} ({{kind}}, entry {{entry}}, kept running by this {{keeper}}) never handles SIGTERM: ECS sends SIGTERM when it stops a task (deploys, scale-in); as PID 1 without a handler Node ignores it, ECS waits stopTimeout (30 s by default) and then kills it, cutting in-flight requests and jobs',
      fix: 'handle SIGTERM: stop accepting work (server.close()), finish what is in flight, close pools, then exit, e.g. process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0)))); NestJS: app.enableShutdownHooks()',
    },
    exitsOnly: {
      message: 'the {{signal}} handler exits without closing the server ({{calls}}): requests in flight are cut off at every deploy and scale-in',
      fix: 'call server.close() (it stops accepting connections and waits for in-flight requests) and exit in its callback; add a forced exit timer below the task\'s stopTimeout',
    },
  },
  check(model, report) {
    for (const service of model.services) {
      if (service.kind !== 'http' && service.kind !== 'worker') continue;
      const handlers = service.signalHandlers.filter((h) => h.signal === 'SIGTERM');
      if (handlers.length === 0) {
        // A worker that ends by itself (a one-off script, a scheduled task) needs no handler: only one
        // kept alive by a timer, a consumer or an open connection is stopped by SIGTERM.
        if (service.kind === 'worker' && service.backgroundWork.length === 0 && service.connections.every((c) => c.closedAt)) continue;
        // Point at what keeps the process alive: the server, else the timer/consumer, else the open connection.
        const keeper = service.servers[0]
          ? { loc: service.servers[0].loc, what: `${service.servers[0].framework} server` }
          : service.backgroundWork[0]
            ? { loc: service.backgroundWork[0].loc, what: service.backgroundWork[0].value }
            : { loc: service.connections.find((c) => !c.closedAt)!.loc, what: `${service.connections.find((c) => !c.closedAt)!.kind} connection` };
        report('missing', keeper.loc, { service: service.name, kind: service.kind, entry: service.entries[0].file, keeper: keeper.what });
        continue;
      }
      if (service.kind !== 'http') continue;
      // Judged on the best handler: one that closes something is enough.
      if (handlers.some((h) => h.via || h.calls.some((c) => CLOSING.test(c.value)))) continue;
      const handler = handlers[0];
      if (!handler.calls.some((c) => c.value === 'process.exit')) continue;
      report('exitsOnly', handler.loc, { signal: handler.signal, calls: handler.calls.map((c) => c.value).slice(0, 4).join(', ') });
    }
  },
});
