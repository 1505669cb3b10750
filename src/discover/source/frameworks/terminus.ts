import { calleePath, objectProperties, propertyName, unwrap, type Node } from '../ast.js';
import type { Detector, WalkContext } from './types.js';

/**
 * @godaddy/terminus, lightship and close-with-grace: libraries that own the
 * SIGTERM handling (and for terminus, the health routes) of a server.
 */
export const gracefulShutdownLibraries: Detector = {
  name: 'graceful-shutdown',
  packages: ['@godaddy/terminus', 'lightship', 'close-with-grace'],
  hints: /createTerminus|createLightship|closeWithGrace/,
  call(call: Node, ctx: WalkContext) {
    const path = calleePath(call) ?? '';
    const callee = unwrap(call.callee);
    const local = callee?.type === 'Identifier' ? ctx.importedFrom(callee.name) : undefined;
    if (local?.module === '@godaddy/terminus' || path === 'createTerminus') {
      const options = objectProperties(call.arguments[1]);
      const checks = options.get('healthChecks');
      for (const p of unwrap(checks?.value)?.properties ?? []) {
        const route = propertyName(p.key, p.computed);
        if (route?.startsWith('/')) ctx.routes.push({ method: 'GET', path: route, framework: 'terminus', loc: ctx.loc(p) });
      }
      const onSignal = options.get('onSignal') ?? options.get('beforeShutdown');
      ctx.signalHandlers.push({
        signal: 'SIGTERM',
        loc: ctx.loc(call),
        calls: [{ value: 'server.close', loc: ctx.loc(call) }, ...(onSignal ? ctx.callsOf(onSignal.shorthand ? onSignal.key : onSignal.value) : [])],
        via: '@godaddy/terminus',
      });
      return;
    }
    if (local?.module === 'close-with-grace' || path === 'closeWithGrace') {
      const fn = call.arguments[call.arguments.length - 1];
      ctx.signalHandlers.push({ signal: 'SIGTERM', loc: ctx.loc(call), calls: fn ? ctx.callsOf(fn) : [], via: 'close-with-grace' });
      return;
    }
    if (local?.module === 'lightship') {
      // Lightship registers its own SIGTERM listener and runs the shutdown handlers given to it.
      ctx.signalHandlers.push({ signal: 'SIGTERM', loc: ctx.loc(call), calls: [{ value: 'server.close', loc: ctx.loc(call) }], via: local.module });
    }
  },
};
