import { calleePath, objectProperties, propertyName, unwrap, type Node } from '../ast.js';
import { portOrDuration, valueOf } from './shared.js';
import type { Detector, WalkContext } from './types.js';

/**
 * The deadline a library forces the exit after, from its options object: the option when it gives a
 * number or an environment variable, the library's default when the option is absent. Nothing when
 * the options are not an object literal this file shows (spread, parameter) or the option is not a number.
 */
function libraryDeadline(call: Node, options: Node | undefined, option: string, defaultMs: number, library: string, ctx: WalkContext): void {
  const resolved = options ? valueOf(options, ctx) : undefined;
  if (resolved && resolved.type !== 'ObjectExpression') return;
  if (resolved?.properties.some((p: Node) => p.type !== 'Property')) return;
  const prop = objectProperties(resolved).get(option);
  if (!prop) {
    ctx.shutdownTimeouts.push({ value: defaultMs, text: `${library} without a ${option} option: its default ${defaultMs} ms`, loc: ctx.loc(call) });
    return;
  }
  const duration = portOrDuration(prop.shorthand ? prop.key : prop.value, ctx);
  if (duration.value === undefined && !duration.env) return;
  ctx.shutdownTimeouts.push({ ...duration, text: `${library} ${option}: ${duration.text}`, loc: ctx.loc(prop) });
}

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
      // Terminus forces the exit `timeout` ms after SIGTERM (default 1000).
      libraryDeadline(call, call.arguments[1], 'timeout', 1000, '@godaddy/terminus', ctx);
      return;
    }
    if (local?.module === 'close-with-grace' || path === 'closeWithGrace') {
      const fn = call.arguments[call.arguments.length - 1];
      ctx.signalHandlers.push({ signal: 'SIGTERM', loc: ctx.loc(call), calls: fn ? ctx.callsOf(fn) : [], via: 'close-with-grace' });
      // close-with-grace exits `delay` ms after the signal when the handler has not finished (default 10000).
      libraryDeadline(call, call.arguments.length > 1 ? call.arguments[0] : undefined, 'delay', 10000, 'close-with-grace', ctx);
      return;
    }
    if (local?.module === 'lightship') {
      // Lightship registers its own SIGTERM listener and runs the shutdown handlers given to it.
      ctx.signalHandlers.push({ signal: 'SIGTERM', loc: ctx.loc(call), calls: [{ value: 'server.close', loc: ctx.loc(call) }], via: local.module });
      // Lightship terminates when its shutdown handlers have not resolved after shutdownHandlerTimeout (default 5000).
      libraryDeadline(call, call.arguments[0], 'shutdownHandlerTimeout', 5000, 'lightship', ctx);
    }
  },
};
