import { posix } from 'node:path';
import { finalStage } from '../../model/docker.js';
import type { Service } from '../../model/source.js';
import type { Analysis } from '../../analysis/index.js';
import { defineRule } from '../rule.js';
import { notRunOnEcs } from './_deployment.js';

/**
 * What happens to SIGTERM, from the program the production image starts: Node itself as PID 1
 * (exec form) ignores it without a handler; behind npm, yarn, pm2-runtime or a shell it either
 * reaches Node, which exits at once, or never reaches it and ECS kills the task after stopTimeout.
 */
function mechanism(service: Service, analysis: Analysis): string {
  const programs = service.dockerfiles
    .filter((d) => analysis.scope.dockerfile(d).production)
    .map((d) => {
      const stage = finalStage(d);
      const command = stage?.entrypoint ?? stage?.cmd;
      if (!command || command.form !== 'exec') return 'shell';
      const first = posix.basename(command.argv[0] ?? '');
      return /^(tini|dumb-init)$/.test(first) || /\.sh$/.test(first) ? 'init' : first;
    });
  if (programs.length > 0 && programs.every((p) => p === 'node' || p === 'nodejs')) {
    return 'Node runs as PID 1 and, with no handler, ignores it: ECS waits stopTimeout (30 s by default) and then kills the task';
  }
  const launcher = programs.find((p) => /^(npm|yarn|pnpm|pm2-runtime|pm2)$/.test(p));
  if (launcher) return `${launcher} starts Node here: when the signal reaches Node, with no handler it exits at once; when it does not, ECS kills the task after stopTimeout`;
  return 'with no handler Node exits at once, or, as PID 1, ignores it until ECS kills the task after stopTimeout (30 s by default)';
}

/** Calls that stop a server or drain work: what a shutdown handler must do before exiting. */
const CLOSING = /(^|\.)(close|stop|shutdown|terminate|drain|destroy|end|quit|disconnect|\$disconnect|closeAll|gracefulShutdown|closeServer|closeGracefully)$/i;

export default defineRule({
  id: 'src/no-sigterm-handler',
  severity: 'high',
  title: 'No graceful SIGTERM handling',
  messages: {
    missing: {
      message: '{{service}} ({{kind}}, entry {{entry}}, kept running by this {{keeper}}) never handles SIGTERM: ECS sends SIGTERM when it stops a task (deploys, scale-in); {{mechanism}}. Either way in-flight requests and jobs are cut',
      fix: 'handle SIGTERM: stop accepting work (server.close()), finish what is in flight, close pools, then exit, e.g. process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0)))); NestJS: app.enableShutdownHooks()',
    },
    exitsBeforeDrain: {
      message: 'the {{signal}} handler calls {{closes}} and then process.exit() at once ({{exit}}), without waiting for it: close() only stops new connections, and the exit cuts off the requests in flight at every deploy and scale-in',
      fix: 'exit in the callback (or after awaiting) of what drains: server.close(() => process.exit(0)), or `await new Promise((r) => server.close(r)); await pool.end(); process.exit(0)`; keep a forced-exit timer below the task\'s stopTimeout',
    },
    exitsOnly: {
      message: 'the {{signal}} handler exits without closing the server ({{calls}}): requests in flight are cut off at every deploy and scale-in',
      fix: 'call server.close() (it stops accepting connections and waits for in-flight requests) and exit in its callback; add a forced exit timer below the task\'s stopTimeout',
    },
  },
  check(model, report, analysis) {
    for (const service of model.services) {
      if (service.kind !== 'http' && service.kind !== 'worker') continue;
      if (notRunOnEcs(model, analysis, service)) continue;
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
        report('missing', keeper.loc, { service: service.name, kind: service.kind, entry: service.entries[0].file, keeper: keeper.what, mechanism: mechanism(service, analysis) });
        continue;
      }
      if (service.kind !== 'http') continue;
      // Judged on the best handler: one that closes something and waits for it is enough.
      const closes = (h: (typeof handlers)[number]) => h.calls.filter((c) => CLOSING.test(c.value));
      if (handlers.some((h) => h.via || (closes(h).length > 0 && !h.exitsAtOnce))) continue;
      const hasty = handlers.find((h) => closes(h).length > 0 && h.exitsAtOnce);
      if (hasty?.exitsAtOnce) {
        report('exitsBeforeDrain', hasty.exitsAtOnce, { signal: hasty.signal, closes: [...new Set(closes(hasty).map((c) => `${c.value}()`))].slice(0, 3).join(', '), exit: `${hasty.exitsAtOnce.file}:${hasty.exitsAtOnce.line}` }, { related: [{ file: hasty.loc.file, line: hasty.loc.line, message: `the ${hasty.signal} handler` }] });
        continue;
      }
      const handler = handlers[0];
      if (!handler.calls.some((c) => c.value === 'process.exit')) continue;
      report('exitsOnly', handler.loc, { signal: handler.signal, calls: handler.calls.map((c) => c.value).slice(0, 4).join(', ') });
    }
  },
});
