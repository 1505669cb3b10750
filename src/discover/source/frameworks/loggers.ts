import { calleePath, memberPath, numberValue, objectProperties, stringValue, unwrap, type Node } from '../ast.js';
import type { Detector, WalkContext } from './types.js';

/** The file name an options object names, when literal. */
function fileTarget(options: Node, ...keys: string[]): string | undefined {
  const props = objectProperties(options);
  for (const key of keys) {
    const value = stringValue(props.get(key)?.value);
    if (value !== undefined) return value;
  }
  return undefined;
}

function push(ctx: WalkContext, library: string, node: Node, target: string | undefined, alsoConsole: boolean): void {
  if (ctx.devOnly()) return;
  ctx.logFiles.push({ library, ...(target !== undefined ? { target } : {}), alsoConsole, loc: ctx.loc(node) });
}

/** winston: `new winston.transports.File({ filename })`, `new transports.File(…)`, winston-daily-rotate-file. */
export const winston: Detector = {
  name: 'winston',
  packages: ['winston', 'winston-daily-rotate-file'],
  hints: /transports|DailyRotateFile/,
  construct(node, ctx) {
    const path = memberPath(node.callee) ?? '';
    const callee = unwrap(node.callee);
    const rotate = path.endsWith('DailyRotateFile') || (callee?.type === 'Identifier' && ctx.importedFrom(callee.name)?.module === 'winston-daily-rotate-file');
    if (!rotate && !/(^|\.)transports\.File$/.test(path)) return;
    const alsoConsole = /transports\.Console|new\s+Console\s*\(/.test(ctx.text);
    push(ctx, rotate ? 'winston-daily-rotate-file' : 'winston', node, fileTarget(node.arguments[0], 'filename', 'dirname'), alsoConsole);
  },
};

/** pino: `pino.destination('./app.log')`, `transport: { target: 'pino/file', options: { destination: './app.log' } }` (1 and 2 are stdout/stderr). */
export const pino: Detector = {
  name: 'pino',
  packages: ['pino', 'pino-roll'],
  hints: /destination|pino\/file|pino-roll/,
  call(call, ctx) {
    const path = calleePath(call) ?? '';
    if (!path.endsWith('.destination') || !call.arguments[0]) return;
    const arg = call.arguments[0];
    const dest = unwrap(arg).type === 'ObjectExpression' ? objectProperties(arg).get('dest')?.value : arg;
    if (!dest || numberValue(dest) !== undefined || /process\.std(out|err)/.test(ctx.source(dest))) return;
    push(ctx, 'pino', call, stringValue(dest), false);
  },
};

/** An options object `{ target: 'pino/file', options: { destination } }` anywhere in a pino file. */
export function pinoFileTarget(node: Node, ctx: WalkContext): void {
  const props = objectProperties(node);
  const target = stringValue(props.get('target')?.value);
  if (target !== 'pino/file' && target !== 'pino-roll') return;
  const options = props.get('options')?.value;
  const dest = options ? objectProperties(options).get('destination')?.value ?? objectProperties(options).get('file')?.value : undefined;
  if (!dest || numberValue(dest) !== undefined) return;
  push(ctx, 'pino', node, stringValue(dest), /pino-pretty|target:\s*['"]pino\/file['"][^}]*destination:\s*[12]\b/.test(ctx.text));
}

/** log4js appenders `{ type: 'file' | 'dateFile' | 'fileSync', filename }`; bunyan streams `{ path }`. */
export function appenderObject(node: Node, ctx: WalkContext): void {
  const props = objectProperties(node);
  const type = stringValue(props.get('type')?.value);
  if (ctx.imports('log4js') && (type === 'file' || type === 'dateFile' || type === 'fileSync')) {
    push(ctx, 'log4js', node, fileTarget(node, 'filename'), /type:\s*['"](stdout|console)['"]/.test(ctx.text));
    return;
  }
  if (ctx.imports('bunyan') && props.has('path') && !props.has('type')) {
    const target = stringValue(props.get('path')?.value);
    if (target !== undefined) push(ctx, 'bunyan', node, target, /process\.stdout/.test(ctx.text));
  }
}

/** `fs.createWriteStream('logs/app.log')` or `appendFileSync('app.log', …)`: a hand-written log file. */
export const fsLogs: Detector = {
  name: 'fs-logs',
  packages: [],
  hints: /createWriteStream|appendFile/,
  call(call, ctx) {
    const path = calleePath(call) ?? '';
    if (!/(^|\.)(createWriteStream|appendFileSync|appendFile)$/.test(path)) return;
    const target = stringValue(call.arguments[0]);
    const text = target ?? ctx.source(call.arguments[0] ?? call);
    if (!/\.log\b|(^|[/_-])logs?([/_.-]|$)/i.test(text)) return;
    push(ctx, 'fs', call, target, /console\.(log|info)|process\.stdout/.test(ctx.text));
  },
};
