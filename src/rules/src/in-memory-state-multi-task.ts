import { defineRule } from '../rule.js';
import type { Service } from '../../model/source.js';
import { firstAtPlace, taskCount } from './_deployment.js';

/** Adapters that share socket.io rooms and broadcasts between processes. */
const ADAPTER_PACKAGE = /^(@socket\.io\/[\w-]*adapter|socket\.io-redis|socket\.io-[\w-]*adapter|@socket\.io\/redis-streams-adapter)$/;

function hasAdapter(service: Service): boolean {
  return service.realtimeAdapters.length > 0 || service.externalImports.some((i) => ADAPTER_PACKAGE.test(i.packageName));
}

export default defineRule({
  id: 'src/in-memory-state-multi-task',
  severity: 'high',
  title: 'In-memory state in a service that runs several tasks',
  messages: {
    socketIo: {
      message: 'socket.io server without an adapter{{transports}} in a service that runs {{tasks}}: each task knows only its own clients, so broadcasts and rooms miss the users on the other tasks, and the long-polling handshake lands on a task that does not know the session ("Session ID unknown", HTTP 400)',
      fix: 'add a shared adapter (`io.adapter(createAdapter(pubClient, subClient))` from @socket.io/redis-adapter) and either enable target-group stickiness or use `transports: [\'websocket\']` on server and client',
    },
    session: {
      message: '{{library}} keeps sessions in the process ({{store}}) in a service that runs {{tasks}}: the load balancer sends the next request to another task, which has no such session, so users are logged out at random',
      fix: 'give the session a shared store (connect-redis, connect-pg-simple, connect-dynamodb…) via `store:`',
    },
  },
  check(model, report) {
    const once = firstAtPlace();
    for (const service of model.services) {
      if (service.realtimeServers.length === 0 && !service.sessionStores.some((s) => s.inMemory)) continue;
      const tasks = taskCount(model, service);
      if (!tasks || tasks.count <= 1) continue; // unknown or one task: the state is whole
      const related = [{ file: tasks.loc.file, line: tasks.loc.line, message: tasks.description }];
      if (!hasAdapter(service)) {
        for (const io of service.realtimeServers) {
          if (io.adapterOption || io.websocketOnly || !once(io.loc)) continue;
          report('socketIo', io.loc, { transports: ' and with long-polling enabled (the default)', tasks: tasks.description }, { related });
        }
      }
      for (const s of service.sessionStores) {
        if (!s.inMemory || !once(s.loc)) continue;
        report('session', s.loc, { library: s.library, store: s.store ? `store: ${s.store}` : 'no store: the default MemoryStore', tasks: tasks.description }, { related });
      }
    }
  },
});
