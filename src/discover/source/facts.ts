import { builtinModules } from 'node:module';
import type { Loc, Located } from '../../model/location.js';
import { LineMap } from '../../model/location.js';
import type { PortOrDuration, SignalHandlerFact, SourceFacts } from '../../model/source.js';
import {
  calleePath,
  inDevOnlyBranch,
  isFunction,
  isProcessEnv,
  memberPath,
  numberValue,
  objectProperties,
  propertyName,
  stringValue,
  unwrap,
  walk,
  type Node,
} from './ast.js';
import { CLOSE_METHODS } from './frameworks/connections.js';
import type { Detector, WalkContext } from './frameworks/index.js';
import { appenderObject, pinoFileTarget } from './frameworks/loggers.js';
import { portOrDuration } from './frameworks/shared.js';

/** One import of a file, as written. */
export interface ImportSite {
  specifier: string;
  line: number;
  kind: 'static' | 'require' | 'dynamic';
  /** Inside a development-only branch (`if (NODE_ENV !== 'production')`): not loaded in production. */
  devOnly: boolean;
  /**
   * A `require()`/`import()` inside a `try` block of the same function: the code is written to run
   * on without the module (`try { nr = require('newrelic') } catch { return }`).
   */
  optional?: boolean;
  /**
   * Its names appear only as the type of a decorated parameter or property (`@Req() req: Request`):
   * the import stays in the output only when the compiler writes that type into decorator metadata
   * as a value (swc does; tsc does for classes, not for interfaces).
   */
  metadataOnly?: boolean;
}

/** A call that closes something (`pool.end()`), matched later to the connections of the service. */
export interface CloseCall {
  /** The object closed, as a dotted path (`pool`, `this.pool`, `mongoose.connection`). */
  object: string;
  method: string;
  loc: Loc;
  /**
   * The close sits in a method or function that is itself named like a close (`close()` of a
   * DatabaseConnectionFactory): it only runs if something calls that wrapper.
   */
  wrapper?: string;
  /** The named function or method the call sits in (`onApplicationShutdown` for `this.shutdown()` in a Nest hook). */
  caller?: string;
}

/** Everything read from one file. Files are parsed once, however many services include them. */
export interface FileFacts extends SourceFacts {
  imports: ImportSite[];
  closes: CloseCall[];
}

export function emptyFacts(): FileFacts {
  return { imports: [], env: [], servers: [], routes: [], signalHandlers: [], shutdownTimeouts: [], connections: [], closes: [], tls: [], cors: [], logFiles: [], clientUrls: [], backgroundWork: [], ...emptyFieldFacts() };
}

/** The HTTP-server field facts (timeouts, middleware order, proxy trust, shared state), empty. */
export function emptyFieldFacts(): Pick<FileFacts, 'serverTimeouts' | 'gateMiddleware' | 'trustProxy' | 'proxyDependentUses' | 'realtimeServers' | 'realtimeAdapters' | 'sessionStores'> {
  return { serverTimeouts: [], gateMiddleware: [], trustProxy: [], proxyDependentUses: [], realtimeServers: [], realtimeAdapters: [], sessionStores: [] };
}

/** Text that tells the walker a file may hold a fact of the core (detectors bring their own hints). */
const CORE_HINTS = /process\.env|validationSchema|cleanEnv|createEnv|\bz\.object|Joi\.object|\(\s*['"][A-Z][A-Z0-9_]+['"]|process\.(on|once|addListener|exit)\b|setTimeout|setInterval|schedule|consume|subscribe|\.run\(|\.process\(|\.start\(|SIG(TERM|INT)|rejectUnauthorized|checkServerIdentity|require\s*\(|import\s*\(|\.(end|close|quit|disconnect|\$disconnect|destroy|terminate|shutdown)\s*\(/;

/** Calls that keep a process running after its entry returns: timers, schedulers, queue consumers. */
const BACKGROUND_WORK = /^(setInterval|cron\.schedule|schedule\.scheduleJob)$|(^|\.)(consume|subscribe)$|(^|\.)(consumer\.run|queue\.process|job\.start)$/;

/** Variables every container gets from Node, the OS or ECS; never "required" configuration. */
const PLATFORM_ENV = new Set(['NODE_ENV']);

interface ParseResultLike {
  program: Node;
  module: {
    staticImports: { moduleRequest: { value: string; start: number }; entries: { importName: { kind: string; name: string | null }; localName: { value: string }; isType: boolean }[]; start: number; end: number }[];
    staticExports: { entries: { moduleRequest: { value: string; start: number } | null; isType: boolean }[]; start: number; end: number }[];
    dynamicImports: { start: number; moduleRequest: { start: number; end: number } }[];
  };
}

export interface ExtractOptions {
  file: string;
  text: string;
  parsed: ParseResultLike;
  detectors: Detector[];
  /** Browser code: read the URLs it builds, not server facts. */
  browser: boolean;
  /**
   * Packages only the development install has (devDependencies of the file's package). An import
   * of one whose names are used only as types is elided by TypeScript: it is checked, not assumed.
   */
  devPackages?: string[];
  /**
   * Packages a production install gives the file's package (its and its workspace root's
   * dependencies, optional and peer dependencies). An import of any other package is checked the
   * same way: TypeScript drops an import whose names are only used as types, `import type` or not.
   */
  installedPackages?: string[];
  /**
   * The file parsed again with its type annotations (the facts read the JavaScript shape): needed
   * only when a decorated class may name an imported type in its emitted metadata.
   */
  typedProgram?: () => Node | undefined;
}

/** Reads the imports of a file and, when its text can hold one, its facts. */
export function extractFacts({ file, text, parsed, detectors, browser, devPackages = [], installedPackages, typedProgram }: ExtractOptions): FileFacts {
  const facts = emptyFacts();
  const lines = new LineMap(text);
  const loc = (node: Node | number): Loc => {
    const offset = typeof node === 'number' ? node : node.start;
    return { file, line: lines.line(offset), column: lines.column(offset) };
  };

  // Imports come from the parser's module record: no AST walk needed for them.
  const importedNames = new Map<string, { module: string; imported: string }>();
  const importedModules = new Set<string>();
  const typeScript = /\.[cm]?tsx?$/.test(file);
  let usage: NameUsage | undefined;
  const installed = installedPackages ? new Set(installedPackages) : undefined;
  /** A package the production install may not have: a devDependency, or one the package does not declare. */
  const notInstalled = (specifier: string) => {
    if (devPackages.some((p) => specifier === p || specifier.startsWith(p + '/'))) return true;
    if (!installed || /^[./#]|^node:/.test(specifier)) return false;
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    return !installed.has(name) && !builtinModules.includes(name);
  };
  for (const imp of parsed.module.staticImports) {
    const specifier = imp.moduleRequest.value;
    const runtime = imp.entries.length === 0 || imp.entries.some((e) => !e.isType);
    if (!runtime) continue;
    if (typeScript && imp.entries.length > 0 && notInstalled(specifier)) {
      // `import { Config } from 'vite'`, `import { Document } from 'mongoose'` used only in types:
      // TypeScript drops the import from its output whether or not it says `import type`.
      usage ??= identifiersInValues(parsed.program, text, typedProgram);
      const names = imp.entries.filter((e) => !e.isType).map((e) => e.localName.value);
      if (!names.some((n) => usage!.values.has(n))) {
        if (usage.metadata && !names.some((n) => usage!.metadata!.has(n))) continue;
        // Named only in decorator metadata (or metadata could not be read): kept, marked.
        importedModules.add(specifier);
        facts.imports.push({ specifier, line: lines.line(imp.start), kind: 'static', devOnly: false, metadataOnly: true });
        continue;
      }
    }
    importedModules.add(specifier);
    facts.imports.push({ specifier, line: lines.line(imp.start), kind: 'static', devOnly: false });
    for (const e of imp.entries) {
      if (e.isType) continue;
      const imported = e.importName.kind === 'Default' ? 'default' : e.importName.kind === 'NamespaceObject' ? '*' : e.importName.name ?? '*';
      importedNames.set(e.localName.value, { module: specifier, imported });
    }
  }
  for (const exp of parsed.module.staticExports) {
    for (const e of exp.entries) {
      if (!e.moduleRequest || e.isType) continue;
      if (facts.imports.some((i) => i.specifier === e.moduleRequest!.value && i.line === lines.line(exp.start))) continue;
      facts.imports.push({ specifier: e.moduleRequest.value, line: lines.line(exp.start), kind: 'static', devOnly: false });
    }
  }

  const active = browser ? [] : detectors.filter((d) => d.hints.test(text));
  // Browser code is walked only when it joins something to a port: `${host}:8000`, `${host}:${PORT}`, `':8000'`.
  if (browser && !/\}:(\d{2,5}|\$\{)|['"`]:\d{2,5}/.test(text)) return facts;

  // Only the subtrees that contain a hint are walked: the places that mention process.env, a signal,
  // a TLS option, a framework's calls or a name imported from a detector's packages. A file whose only
  // hints are in its import lines is not walked at all (its AST is never even materialised).
  const siteSources = [CORE_HINTS.source, ...active.map((d) => d.hints.source)];
  const fromDetectorPackage = (module: string) => active.some((d) => d.packages.some((p) => module === p || module.startsWith(p + '/')));
  const nameHint = (local: string) => `\\b${local.replace(/\$/g, '\\$')}\\b`;
  for (const [local, from] of importedNames) if (fromDetectorPackage(from.module) || from.module === 'env-schema') siteSources.push(nameHint(local));
  const importSpans = [...parsed.module.staticImports, ...parsed.module.staticExports.filter((e) => e.entries.some((x) => x.moduleRequest))];
  const outsideImports = (offset: number) => !importSpans.some((span) => offset >= span.start && offset < span.end);
  let hintOffsets: number[] = browser ? [] : [...text.matchAll(new RegExp(siteSources.join('|'), 'g'))].map((m) => m.index!).filter(outsideImports);
  if (!browser && hintOffsets.length === 0) return facts;

  const program = parsed.program;
  const constants = new Map<string, Node>();
  const functions = new Map<string, Node>();
  const pendingCalls: { fn: Node; out: Located<string>[] }[] = [];
  let ancestors: Node[] = [];
  let current: Node = program;

  const ctx: WalkContext = {
    file,
    text,
    loc,
    source: (node: Node) => (node ? text.slice(node.start, node.end) : ''),
    importedFrom: (name) => importedNames.get(name),
    imports: (module) => {
      for (const m of importedModules) if (m === module || m.startsWith(module + '/') || m === `node:${module}`) return true;
      return false;
    },
    constant: (name) => constants.get(name) ?? functions.get(name),
    get ancestors() {
      return ancestors;
    },
    devOnly: () => inDevOnlyBranch(current, ancestors),
    servers: facts.servers,
    routes: facts.routes,
    signalHandlers: facts.signalHandlers,
    shutdownTimeouts: facts.shutdownTimeouts,
    connections: facts.connections,
    cors: facts.cors,
    logFiles: facts.logFiles,
    serverTimeouts: facts.serverTimeouts,
    gateMiddleware: facts.gateMiddleware,
    trustProxy: facts.trustProxy,
    proxyDependentUses: facts.proxyDependentUses,
    realtimeServers: facts.realtimeServers,
    realtimeAdapters: facts.realtimeAdapters,
    sessionStores: facts.sessionStores,
    callsOf: (fn: Node) => {
      const out: Located<string>[] = [];
      pendingCalls.push({ fn, out });
      return out;
    },
  };

  /** `schema`: the variable a zod object is bound to (`const envSchema = z.object(…)`), and whether it is exported. */
  const schemaKeys: { name: string; loc: Loc; optional: boolean; via: string; defaultValue?: string; schema?: { name: string; exported: boolean } }[] = [];
  let envSchemaCalled = false;
  const listNames: { name: string; loc: Loc }[] = [];
  const pendingTimeouts: { calls: Located<string>[]; duration: PortOrDuration }[] = [];
  const pendingExits: { fn: Node; fact: SignalHandlerFact }[] = [];
  const envHelperCalls: { helper: string; name: string; node: Node; hasDefault: boolean }[] = [];

  /** A `require()` met during the walk names more places to visit (`const Redis = require('ioredis')` → `new Redis(`). */
  const addNameHints = (locals: string[]) => {
    if (browser || locals.length === 0) return;
    const more = [...text.matchAll(new RegExp(locals.map(nameHint).join('|'), 'g'))].map((m) => m.index!);
    hintOffsets = [...new Set([...hintOffsets, ...more])].sort((a, b) => a - b);
  };
  const enter = browser
    ? undefined
    : (node: Node): boolean => {
        // First hint at or after the node's start (decorators included): is it inside the node?
        // (`@Controller() export class …`: the decorator sits before the export that holds the class)
        const decorators = node.decorators?.length ? node.decorators : node.declaration?.decorators;
        const start = decorators?.length ? Math.min(node.start, decorators[0].start) : node.start;
        let lo = 0;
        let hi = hintOffsets.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (hintOffsets[mid] < start) lo = mid + 1;
          else hi = mid;
        }
        return lo < hintOffsets.length && hintOffsets[lo] < node.end;
      };
  // Declarations in skipped subtrees still name values that visited code refers to (`const HOST = '127.0.0.1'`).
  const declarations = (node: Node): void => {
    if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration') {
      if (node.declaration) declarations(node.declaration);
    } else if (node.type === 'VariableDeclaration') {
      for (const d of node.declarations) {
        if (d.id?.type !== 'Identifier' || !d.init) continue;
        constants.set(d.id.name, d.init);
        if (isFunction(d.init)) functions.set(d.id.name, d.init);
        requiredList(d);
      }
    } else if (node.type === 'FunctionDeclaration' && node.id?.name) functions.set(node.id.name, node);
  };

  walk(program, (node, anc) => {
    ancestors = anc;
    current = node;
    switch (node.type) {
      case 'VariableDeclarator':
        if (node.id?.type === 'Identifier' && node.init) {
          constants.set(node.id.name, node.init);
          if (isFunction(node.init)) functions.set(node.id.name, node.init);
          if (!browser) requiredList(node);
        }
        if (!browser && node.id?.type === 'ObjectPattern' && node.init && isProcessEnv(node.init)) destructuredEnv(node, anc);
        break;
      case 'FunctionDeclaration':
        if (node.id?.name) functions.set(node.id.name, node);
        break;
      case 'MemberExpression':
        if (browser) break;
        if (isProcessEnv(node.object)) envRead(node, anc);
        else for (const d of active) d.member?.(node, ctx);
        break;
      case 'ImportExpression': {
        const specifier = stringValue(node.source);
        if (specifier !== undefined) facts.imports.push({ specifier, line: loc(node).line, kind: 'dynamic', devOnly: inDevOnlyBranch(node, anc), ...(insideTry(anc) ? { optional: true } : {}) });
        break;
      }
      case 'CallExpression':
        if (browser) break;
        callExpression(node, anc);
        for (const d of active) d.call?.(node, ctx);
        break;
      case 'NewExpression':
        if (browser) break;
        for (const d of active) d.construct?.(node, ctx);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (browser) break;
        for (const d of active) d.klass?.(node, ctx);
        break;
      case 'BinaryExpression':
        if (browser) {
          if (node.operator === '+') concatenatedPort(node, anc);
          break;
        }
        if (node.operator === '===' || node.operator === '==') for (const d of active) d.compare?.(node.left, node.right, node, ctx);
        break;
      case 'SwitchStatement':
        if (browser) break;
        for (const c of node.cases) if (c.test) for (const d of active) d.compare?.(node.discriminant, c.test, c, ctx);
        break;
      case 'ObjectExpression':
        if (browser) break;
        tlsOptions(node, anc);
        if (ctx.imports('pino')) pinoFileTarget(node, ctx);
        if (ctx.imports('log4js') || ctx.imports('bunyan')) appenderObject(node, ctx);
        break;
      case 'AssignmentExpression':
        if (!browser) for (const d of active) d.assign?.(node, ctx);
        if (!browser && memberPath(node.left)?.endsWith('env.NODE_TLS_REJECT_UNAUTHORIZED') && stringValue(node.right) === '0' && !inDevOnlyBranch(node, anc)) {
          facts.tls.push({ setting: 'NODE_TLS_REJECT_UNAUTHORIZED', text: text.slice(node.start, node.end), loc: loc(node) });
        }
        break;
      case 'TemplateLiteral':
        if (browser) templatePort(node, anc);
        break;
    }
  }, enter, declarations);

  // Router-style detectors read the same shape (`x.get('/path', …)`): a call is one route, whichever claimed it first.
  const routeKeys = new Set<string>();
  facts.routes = facts.routes.filter((r) => {
    const key = `${r.loc.line}:${r.loc.column}:${r.method}:${r.path}`;
    return routeKeys.has(key) ? false : (routeKeys.add(key), true);
  });
  for (const { fn, out } of pendingCalls) out.push(...collectCalls(fn, new Set(), 0));
  for (const { fn, fact } of pendingExits) {
    const exit = exitAtOnce(fn);
    if (exit) fact.exitsAtOnce = exit;
  }
  // Only a timer that forces the exit is a shutdown deadline.
  for (const t of pendingTimeouts) if (t.calls.some((c) => c.value === 'process.exit')) facts.shutdownTimeouts.push(t.duration);
  for (const call of envHelperCalls) {
    const helper = functions.get(call.helper);
    const helperText = helper ? text.slice(helper.start, helper.end) : '';
    // A local helper counts when it reads process.env; an imported one when its name says it reads the environment.
    const readsEnv = helper ? /process\.env\[/.test(helperText) : /env/i.test(call.helper) && !!importedNames.get(call.helper);
    if (!readsEnv) continue;
    const throws = helper ? /\bthrow\b|process\.exit/.test(helperText) : /require|must|orThrow/i.test(call.helper);
    facts.env.push({ name: call.name, loc: loc(call.node), required: throws && !call.hasDefault, enforced: throws && !call.hasDefault, via: `${call.helper}('${call.name}')` });
  }
  const schemaValidated = schemaKeys.length > 0 && (envSchemaCalled || /(safeParse|parse)\(\s*process\.env|cleanEnv\(|createEnv\(|[vV]alidationSchema/.test(text));
  // A zod schema parsed by ConfigModule's validate (here, or in the exported validate function of this file),
  // or exported under an env-schema name for the module that passes it to validate (`validate: (c) => envSchema.parse(c)`).
  const configModuleSchemas = !schemaValidated && schemaKeys.some((k) => k.schema) ? zodSchemasValidatedByConfigModule() : new Set<string>();
  const viaConfigModule = (k: (typeof schemaKeys)[number]) =>
    !!k.schema && (configModuleSchemas.has(k.schema.name) || (k.schema.exported && /env/i.test(k.schema.name) && /schema$/i.test(k.schema.name)));
  if (schemaValidated || schemaKeys.some(viaConfigModule)) {
    for (const k of schemaKeys) {
      if (!schemaValidated && !viaConfigModule(k)) continue;
      if (facts.env.some((e) => e.name === k.name && e.loc.line === k.loc.line)) continue;
      facts.env.push({ name: k.name, loc: k.loc, required: !k.optional, enforced: !k.optional, via: k.via, ...(k.defaultValue !== undefined ? { defaultValue: k.defaultValue } : {}) });
    }
  }
  if (listNames.length && /process\.env\[/.test(text)) {
    for (const k of listNames) facts.env.push({ name: k.name, loc: k.loc, required: true, enforced: true, via: 'list of required variables' });
  }
  return facts;

  /**
   * `process.exit()` as a statement of the handler's own body, reached without awaiting anything
   * (`server.close(); process.exit(0)`): whatever the calls before it started is cut short.
   */
  function exitAtOnce(fnNode: Node): Loc | undefined {
    let fn = unwrap(fnNode);
    if (fn?.type === 'Identifier') fn = functions.get(fn.name) ?? constants.get(fn.name);
    fn = unwrap(fn);
    if (!isFunction(fn) || fn.body?.type !== 'BlockStatement') return undefined;
    for (const statement of fn.body.body as Node[]) {
      // `if (shuttingDown) return;`: a guard against a second signal, not a branch of the shutdown.
      const guard = statement.type === 'IfStatement' && !statement.alternate && (statement.consequent.type === 'ReturnStatement' || (statement.consequent.type === 'BlockStatement' && statement.consequent.body.length === 1 && statement.consequent.body[0].type === 'ReturnStatement'));
      if (guard) continue;
      if (statement.type === 'ReturnStatement' || statement.type === 'IfStatement' || statement.type === 'TryStatement') return undefined;
      let awaited = false;
      walk(statement, (n) => {
        if (n.type === 'AwaitExpression') awaited = true;
      });
      if (awaited) return undefined;
      const expression = statement.type === 'ExpressionStatement' ? unwrap(statement.expression) : undefined;
      if (expression?.type === 'CallExpression' && calleePath(expression) === 'process.exit') return loc(expression);
    }
    return undefined;
  }

  /** What a function calls, following functions of this file by name (a few levels deep). */
  function collectCalls(fnNode: Node, seen: Set<Node>, depth: number): Located<string>[] {
    let fn = unwrap(fnNode);
    if (fn?.type === 'Identifier') fn = functions.get(fn.name) ?? constants.get(fn.name);
    if (!fn || seen.has(fn) || depth > 4) return [];
    seen.add(fn);
    const out: Located<string>[] = [];
    walk(fn, (n) => {
      if (n.type !== 'CallExpression') return;
      const path = calleePath(n);
      if (!path) return;
      out.push({ value: path, loc: loc(n) });
      if (functions.has(path) || (constants.has(path) && isFunction(constants.get(path)))) out.push(...collectCalls({ type: 'Identifier', name: path }, seen, depth + 1));
      // `server.close(() => …)`, `Promise.all([...])`: callbacks are walked as part of the body already.
    });
    return out;
  }

  function callExpression(node: Node, anc: Node[]): void {
    const callee = unwrap(node.callee);
    if (callee?.type === 'Identifier' && callee.name === 'require' && node.arguments.length === 1) {
      const specifier = stringValue(node.arguments[0]);
      if (specifier !== undefined) {
        facts.imports.push({ specifier, line: loc(node).line, kind: 'require', devOnly: inDevOnlyBranch(node, anc), ...(insideTry(anc) ? { optional: true } : {}) });
        importedModules.add(specifier);
        const parent = anc[anc.length - 1];
        const locals: string[] = [];
        if (parent?.type === 'VariableDeclarator' && parent.init === node) {
          if (parent.id.type === 'Identifier') {
            importedNames.set(parent.id.name, { module: specifier, imported: 'default' });
            locals.push(parent.id.name);
          } else if (parent.id.type === 'ObjectPattern') {
            for (const p of parent.id.properties) {
              const key = propertyName(p.key, p.computed);
              const local = unwrap(p.value)?.type === 'Identifier' ? unwrap(p.value).name : undefined;
              if (key && local) {
                importedNames.set(local, { module: specifier, imported: key });
                locals.push(local);
              }
            }
          }
        }
        if (fromDetectorPackage(specifier)) addNameHints(locals);
      }
      return;
    }
    const path = calleePath(node) ?? '';
    if (/^process\.(on|once|addListener|prependListener)$/.test(path)) {
      const signalNode = node.arguments[0];
      let signals: string[] = [];
      const literal = stringValue(signalNode);
      if (literal !== undefined) signals = [literal];
      else if (/['"`]SIGTERM['"`]/.test(text)) signals = ['SIGTERM']; // `for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, …)`
      // `if (EnvSet.values.isIntegrationTest) process.on('SIGTERM', …)`: the task never registers it.
      if (inDevOnlyBranch(node, anc)) return;
      for (const signal of signals.filter((s) => s.startsWith('SIG'))) {
        const handler = node.arguments[1];
        const fact: SignalHandlerFact = { signal, loc: loc(node), calls: handler ? ctx.callsOf(handler) : [] };
        facts.signalHandlers.push(fact);
        if (handler) pendingExits.push({ fn: handler, fact });
      }
      return;
    }
    if (BACKGROUND_WORK.test(path)) {
      facts.backgroundWork.push({ value: path, loc: loc(node) });
    }
    if (path === 'setTimeout' && node.arguments.length >= 2) {
      const calls = ctx.callsOf(node.arguments[0]);
      const delay = node.arguments[1];
      const duration = portOrDuration(delay, ctx);
      pendingTimeouts.push({ calls, duration });
      return;
    }
    if (callee?.type === 'MemberExpression') {
      const method = propertyName(callee.property, callee.computed);
      const object = memberPath(callee.object);
      // `getPool().end()`, `(await db()).close()`: kept as text, matched by method.
      if (method && CLOSE_METHODS.has(method)) {
        const wrapper = enclosingName(anc);
        facts.closes.push({ object: object ?? text.slice(callee.object.start, callee.object.end), method, loc: loc(node), ...(wrapper && CLOSE_METHODS.has(wrapper) ? { wrapper } : {}), ...(wrapper ? { caller: wrapper } : {}) });
      }
      // zod: `z.object({ A: z.string(), B: z.string().optional() })`; envalid: `cleanEnv(process.env, { A: str() })`; t3: `createEnv({ server: {...} })`
      if (method === 'object' && (object === 'z' || importedNames.get(object ?? '')?.module === 'zod')) schemaObject(node.arguments[0], 'zod schema', boundName(anc));
    }
    if (callee?.type === 'Identifier' && callee.name === 'cleanEnv') schemaObject(node.arguments[1], 'envalid cleanEnv');
    // env-schema: `envSchema({ schema: { required: ['A'], properties: { A: {...}, B: { default: 'x' } } } })` (JSON Schema, ajv throws at boot).
    if (callee?.type === 'Identifier' && importedNames.get(callee.name)?.module === 'env-schema') envSchemaOptions(node.arguments[0]);
    // `required('REDIS_URL')`, `getEnv('X', 'default')`: a helper that reads process.env[name].
    const envName = stringValue(node.arguments[0]);
    if (envName && /^[A-Z][A-Z0-9_]*$/.test(envName)) {
      if (callee?.type === 'Identifier') envHelperCalls.push({ helper: callee.name, name: envName, node, hasDefault: node.arguments.length > 1 });
      // NestJS ConfigService: `config.get('PORT', 3000)`, `config.getOrThrow('DATABASE_URL')`.
      else if (/(^|\.)(get|getOrThrow)$/.test(path) && /config/i.test(path) && importedModules.has('@nestjs/config')) {
        const fallback = node.arguments[1] ? stringValue(node.arguments[1]) ?? numberValue(node.arguments[1])?.toString() : undefined;
        facts.env.push({ name: envName, loc: loc(node), required: path.endsWith('getOrThrow'), enforced: path.endsWith('getOrThrow'), ...(fallback !== undefined ? { defaultValue: fallback } : {}), via: 'ConfigService' });
      }
    }
    // NestJS ConfigModule.forRoot({ validationSchema: Joi.object({ ... }) }), or the schema kept in its own
    // file for it: `export const envValidationSchema = Joi.object({ ... })` (config/env.validation.ts).
    const validationSchemaSite = (a: Node) =>
      (a.type === 'Property' && propertyName(a.key) === 'validationSchema') || (a.type === 'VariableDeclarator' && /validationSchema$/i.test(a.id?.name ?? ''));
    if (/(^|\.)object$/.test(path) && /^Joi\.|^joi\./.test(path) && anc.some(validationSchemaSite)) schemaObject(node.arguments[0], 'Joi validationSchema');
    if (callee?.type === 'Identifier' && callee.name === 'createEnv') {
      const props = objectProperties(node.arguments[0]);
      for (const key of ['server', 'shared', 'runtimeEnv']) if (key !== 'runtimeEnv' && props.get(key)) schemaObject(props.get(key)!.value, 'createEnv schema');
    }
  }

  function envSchemaOptions(optionsNode: Node): void {
    // `const schema = { … }; envSchema({ schema, dotenv: true })`: a name declared earlier in the file stands for its value.
    const declared = (n: Node): Node => {
      const u = unwrap(n);
      return u?.type === 'Identifier' && constants.has(u.name) ? unwrap(constants.get(u.name)) : u;
    };
    const schemaProps = objectProperties(declared(objectProperties(declared(optionsNode)).get('schema')?.value));
    const requiredNode = declared(schemaProps.get('required')?.value);
    const required = new Set<string>(requiredNode?.type === 'ArrayExpression' ? requiredNode.elements.map((e: Node) => stringValue(e)).filter(Boolean) : []);
    const properties = declared(schemaProps.get('properties')?.value);
    if (properties?.type !== 'ObjectExpression') return;
    envSchemaCalled = true;
    for (const p of properties.properties) {
      if (p.type !== 'Property') continue;
      const name = propertyName(p.key, p.computed);
      if (!name || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
      const defaultNode = objectProperties(p.value).get('default')?.value;
      const defaultValue = defaultNode ? stringValue(defaultNode) ?? numberValue(defaultNode)?.toString() : undefined;
      // ajv fills a default before checking `required`, so a listed name with a default never stops the boot.
      schemaKeys.push({ name, loc: loc(p), optional: !required.has(name) || !!defaultNode, via: 'env-schema', ...(defaultValue !== undefined ? { defaultValue } : {}) });
    }
  }

  /** The variable a value is bound to (`export const envSchema = z.object(…).strict()`), and whether it is exported. */
  function boundName(anc: Node[]): { name: string; exported: boolean } | undefined {
    for (let i = anc.length - 1; i >= 0; i--) {
      const a = anc[i];
      if (a.type === 'VariableDeclarator') {
        if (a.id?.type !== 'Identifier') return undefined;
        return { name: a.id.name, exported: anc[i - 2]?.type === 'ExportNamedDeclaration' || exportedNames().has(a.id.name) };
      }
      if (isFunction(a) || a.type === 'Property') return undefined;
    }
    return undefined;
  }

  /** Names exported by `export { envSchema }` lists. */
  function exportedNames(): Set<string> {
    const names = new Set<string>();
    for (const stmt of program.body) {
      if (stmt.type !== 'ExportNamedDeclaration' || stmt.source || stmt.declaration) continue;
      for (const spec of stmt.specifiers ?? []) if (spec.local?.type === 'Identifier') names.add(spec.local.name);
    }
    return names;
  }

  /**
   * zod schemas this file runs against the environment through NestJS's ConfigModule:
   * `ConfigModule.forRoot({ validate: (config) => envSchema.parse(config) })`, `validate: validateEnv` with
   * a local `validateEnv` that parses, or an exported `validate…` function that parses its argument
   * (the config/env.validation.ts file of the Nest docs, imported by the module that calls forRoot).
   * ConfigModule calls validate at boot and a throwing parse stops the app, so the keys are enforced.
   */
  function zodSchemasValidatedByConfigModule(): Set<string> {
    const schemas = new Set<string>();
    const parsedIn = (fn: Node | undefined, onlyParam: boolean) => {
      if (!fn || !isFunction(fn)) return;
      const param = fn.params?.[0]?.type === 'Identifier' ? fn.params[0].name : undefined;
      walk(fn.body, (n) => {
        if (n.type !== 'CallExpression' || n.callee?.type !== 'MemberExpression') return;
        const method = propertyName(n.callee.property, n.callee.computed);
        const schema = unwrap(n.callee.object);
        if (!method || !/^(safeParse|parse|parseAsync|safeParseAsync)$/.test(method) || schema?.type !== 'Identifier') return;
        const arg = unwrap(n.arguments[0]);
        if (!onlyParam || (param !== undefined && arg?.type === 'Identifier' && arg.name === param)) schemas.add(schema.name);
      });
    };
    walk(program, (node, anc) => {
      if (node.type === 'Property' && !node.computed && propertyName(node.key) === 'validate') {
        const call = anc.at(-2);
        if (call?.type !== 'CallExpression' || !/(^|\.)forRoot(Async)?$/.test(calleePath(call) ?? '')) return;
        const value = unwrap(node.value);
        parsedIn(value?.type === 'Identifier' ? functions.get(value.name) : value, false);
      } else if (node.type === 'ExportNamedDeclaration' && node.declaration) {
        const d = node.declaration;
        if (d.type === 'FunctionDeclaration' && /validat/i.test(d.id?.name ?? '')) parsedIn(d, true);
        if (d.type === 'VariableDeclaration') for (const v of d.declarations) if (/validat/i.test(v.id?.name ?? '')) parsedIn(unwrap(v.init), true);
      }
    });
    return schemas;
  }

  function schemaObject(objectNode: Node, via: string, schema?: { name: string; exported: boolean }): void {
    const obj = unwrap(objectNode);
    if (obj?.type !== 'ObjectExpression') return;
    for (const p of obj.properties) {
      if (p.type !== 'Property') continue;
      const name = propertyName(p.key, p.computed);
      if (!name || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
      const valueText = text.slice(p.value.start, p.value.end);
      const optional = /\.optional\(|\.default\(|\.catch\(|default\s*:|devDefault\s*:|\.nullish\(|\.allow\(/.test(valueText) || (via.startsWith('Joi') && !/\.required\(/.test(valueText));
      // `.default(3000)`, `port({ default: 3000 })`: a literal default, kept for the port and timeouts.
      const literal = /(?:\.default\(|\bdefault\s*:)\s*(-?[\d_.]+|'[^']*'|"[^"]*")/.exec(valueText)?.[1];
      const defaultValue = literal?.replace(/^['"]|['"]$/g, '').replace(/_/g, '');
      schemaKeys.push({ name, loc: loc(p), optional, via, ...(defaultValue !== undefined ? { defaultValue } : {}), ...(schema ? { schema } : {}) });
    }
  }

  function requiredList(declarator: Node): void {
    const init = unwrap(declarator.init);
    if (init?.type !== 'ArrayExpression' || !/required|env|vars|variables/i.test(declarator.id.name)) return;
    const names = init.elements.map((e: Node) => ({ name: stringValue(e), node: e }));
    if (!names.length || !names.every((n: { name?: string }) => n.name && /^[A-Z][A-Z0-9_]*$/.test(n.name))) return;
    for (const n of names) listNames.push({ name: n.name!, loc: loc(n.node) });
  }

  function destructuredEnv(declarator: Node, anc: Node[]): void {
    const scope = enclosingScope(anc, anc.length - 1);
    for (const p of declarator.id.properties) {
      if (p.type !== 'Property') continue;
      const name = propertyName(p.key, p.computed);
      if (!name) continue;
      const value = unwrap(p.value);
      const hasDefault = value?.type === 'AssignmentPattern';
      const defaultValue = hasDefault ? stringValue(value.right) ?? numberValue(value.right)?.toString() : undefined;
      // `const { JWT_SECRET } = process.env; if (!JWT_SECRET) throw …`: enforced; checked otherwise: optional.
      const local = value?.type === 'Identifier' ? value : undefined;
      const use = !hasDefault && local && scope ? variableUse(scope, local.name, local) : undefined;
      const required = !hasDefault && !PLATFORM_ENV.has(name) && use !== 'guarded';
      facts.env.push({ name, loc: loc(p), required, ...(required && use === 'enforced' ? { enforced: true } : {}), ...(defaultValue !== undefined ? { defaultValue } : {}), via: 'destructuring of process.env' });
    }
  }

  function envRead(member: Node, anc: Node[]): void {
    const name = propertyName(member.property, member.computed);
    if (!name) return;
    let child = member;
    let i = anc.length - 1;
    const skipWrappers = () => {
      while (i >= 0 && ['TSAsExpression', 'ParenthesizedExpression', 'TSSatisfiesExpression'].includes(anc[i].type)) child = anc[i--];
    };
    skipWrappers();
    // A conversion keeps the read's meaning: `Number(process.env.X) || 20000` has a default like `process.env.X || 20000`.
    if (anc[i]?.type === 'CallExpression' && anc[i].arguments?.[0] === child && /^(Number|parseInt|parseFloat|String|Number\.parseInt|Number\.parseFloat)$/.test(calleePath(anc[i]) ?? '')) {
      child = anc[i--];
      skipWrappers();
    } else if (anc[i]?.type === 'UnaryExpression' && anc[i].operator === '+') {
      child = anc[i--]; // `+process.env.X || 500`
      skipWrappers();
    }
    const parent = anc[i];
    if (parent?.type === 'AssignmentExpression' && parent.left === child) return; // a write, not a read
    const via = member.computed ? `process.env['${name}']` : `process.env.${name}`;
    let required = true;
    let enforced = false;
    let defaultValue: string | undefined;
    const optional = optionalUse(child, parent, anc, i);
    if (parent?.type === 'TSNonNullExpression') required = true;
    else if (parent?.type === 'LogicalExpression' && (parent.operator === '??' || parent.operator === '||') && parent.left === child) {
      required = false;
      const fallback = unwrap(parent.right);
      defaultValue = stringValue(fallback) ?? numberValue(fallback)?.toString();
    } else if (parent?.type === 'UnaryExpression' && parent.operator === '!') {
      // `if (!process.env.X) throw …`: required when the branch throws or exits; a check otherwise.
      const test = anc[i - 1];
      const consequent = (test?.type === 'IfStatement' || test?.type === 'ConditionalExpression') && test.test === parent ? test.consequent : undefined;
      required = !!consequent && /\bthrow\b|process\.exit|exit\(/.test(text.slice(consequent.start, consequent.end));
      enforced = required;
    } else if (optional) {
      required = false;
      if (optional.defaultValue !== undefined) defaultValue = optional.defaultValue;
    }
    if (PLATFORM_ENV.has(name) || inDevOnlyBranch(member, anc) || (required && behindEnvCondition(member, anc))) required = false;
    facts.env.push({ name, loc: loc(member), required, enforced: required && enforced, ...(defaultValue !== undefined ? { defaultValue } : {}), via });
  }

  /**
   * A read the code is ready to see undefined: checked before use, compared with a value, given a
   * default by the helper it is passed to (`parseEnvInt(process.env.X, 60)`), parsed as a flag
   * (`stringToBoolean(process.env.X)`), a fallback after another variable (`A || process.env.B`), read
   * only on one branch of a condition, only to build an error message, or kept in a variable that the
   * code checks before use (`const dsn = process.env.SENTRY_DSN; if (dsn) …`).
   */
  function optionalUse(child: Node, parent: Node | undefined, anc: Node[], i: number): { defaultValue?: string } | undefined {
    if (!parent) return undefined;
    if (((parent.type === 'IfStatement' || parent.type === 'ConditionalExpression' || parent.type === 'WhileStatement') && parent.test === child) ||
      (parent.type === 'LogicalExpression' && parent.left === child) ||
      (parent.type === 'BinaryExpression' && ['===', '!==', '==', '!=', 'in'].includes(parent.operator)) ||
      (parent.type === 'UnaryExpression' && (parent.operator === 'typeof' || parent.operator === 'void')) ||
      (parent.type === 'MemberExpression' && parent.object === child && parent.optional) ||
      (parent.type === 'ChainExpression')) {
      return {};
    }
    // `A || process.env.B`, `A ?? process.env.B`: a fallback; which one is set is the caller's choice.
    if (parent.type === 'LogicalExpression' && parent.right === child && (parent.operator === '||' || parent.operator === '??')) return {};
    // Read only on one branch: `cond ? process.env.A : process.env.B`, `cond && process.env.A`.
    if (parent.type === 'ConditionalExpression' && parent.test !== child) return {};
    if (parent.type === 'LogicalExpression' && parent.operator === '&&' && parent.right === child) return {};
    if (parent.type === 'CallExpression' || parent.type === 'NewExpression') {
      const callee = calleePath(parent) ?? '';
      if (/(^|\.)Boolean$|bool|flag|enabled|truthy|isTrue|isSet|isDefined|exists/i.test(callee)) return {};
      const args: Node[] = parent.arguments ?? [];
      if (args.includes(child)) {
        // A default handed to the helper next to the read: `toInt(process.env.X, 65000)`, `getEnv(process.env.X, 'dev')`.
        const parser = /parse|int$|number|float|bool|env|default|fallback|coerce|^get|\.get/i.test(callee);
        for (const arg of args) {
          if (arg === child) continue;
          const a = unwrap(arg);
          const literal = stringValue(a) ?? numberValue(a)?.toString() ?? (a?.type === 'Literal' && typeof a.value === 'boolean' ? String(a.value) : undefined);
          if (literal !== undefined) return { defaultValue: literal };
          // `parseEnvInt(process.env.X, 2 * 60 * 1000)`, `toNumber(process.env.X, DEFAULT_WINDOW)`: a default the helper falls back to.
          if (parser && a && args.indexOf(arg) > args.indexOf(child) && !isProcessEnvRead(a)) return {};
          const defaultProperty = objectProperties(a).get('default') ?? objectProperties(a).get('defaultValue') ?? objectProperties(a).get('fallback');
          if (defaultProperty) return { defaultValue: stringValue(defaultProperty.value) ?? numberValue(defaultProperty.value)?.toString() ?? '' };
        }
      }
    }
    // Inside the message of an error being built: read to say what is missing, not to run with.
    for (let k = i; k >= 0; k--) {
      const a = anc[k];
      if (isFunction(a)) break;
      if (a.type === 'ThrowStatement' || (a.type === 'NewExpression' && /Error$/.test(calleePath(a) ?? ''))) return {};
    }
    // `const dsn = process.env.SENTRY_DSN;` then `if (dsn)`, `dsn ? … : …`, `dsn ?? x`, `dsn === 'none'`.
    if (parent.type === 'VariableDeclarator' && parent.init === child && parent.id?.type === 'Identifier') {
      const scope = enclosingScope(anc, i);
      if (scope && variableUse(scope, parent.id.name, parent.id) === 'guarded') return {};
    }
    return undefined;
  }

  function isProcessEnvRead(node: Node): boolean {
    return node.type === 'MemberExpression' && isProcessEnv(node.object);
  }

  function enclosingScope(anc: Node[], from: number): Node | undefined {
    for (let k = from; k >= 0; k--) if (isFunction(anc[k])) return anc[k].body;
    return program;
  }

  /**
   * How the code treats a variable holding an env value: `enforced` when it stops without it
   * (`if (!x) throw …`, `process.exit`), `guarded` when it checks it before use (`if (x)`, `x ?? d`,
   * `x === 'none'`), undefined when it only uses it.
   */
  function variableUse(scope: Node, variable: string, declaration: Node): 'enforced' | 'guarded' | undefined {
    let result: 'enforced' | 'guarded' | undefined;
    walk(scope, (node, ancestors) => {
      if (result === 'enforced' || node.type !== 'Identifier' || node.name !== variable || node === declaration) return;
      let j = ancestors.length - 1;
      let c: Node = node;
      while (j >= 0 && ['TSAsExpression', 'ParenthesizedExpression', 'TSNonNullExpression'].includes(ancestors[j].type)) c = ancestors[j--];
      const p = ancestors[j];
      if (!p) return;
      if (p.type === 'UnaryExpression' && p.operator === '!') {
        const test = ancestors[j - 1];
        const consequent = (test?.type === 'IfStatement' || test?.type === 'ConditionalExpression') && test.test === p ? test.consequent : undefined;
        result = consequent && /\bthrow\b|process\.exit|exit\(/.test(text.slice(consequent.start, consequent.end)) ? 'enforced' : 'guarded';
        return;
      }
      if (((p.type === 'IfStatement' || p.type === 'ConditionalExpression' || p.type === 'WhileStatement') && p.test === c) ||
        (p.type === 'LogicalExpression' && p.left === c) ||
        (p.type === 'UnaryExpression' && p.operator === 'typeof') ||
        (p.type === 'BinaryExpression' && ['===', '!==', '==', '!='].includes(p.operator)) ||
        (p.type === 'MemberExpression' && p.object === c && p.optional) ||
        (p.type === 'CallExpression' && /(^|\.)Boolean$|bool|valid|isSet|isDefined/i.test(calleePath(p) ?? '') && p.arguments?.includes(c))) result = 'guarded';
    });
    return result;
  }

  /** Name of the nearest enclosing named function or method (`close` for `class X { close() { … } }`). */
  function enclosingName(anc: Node[]): string | undefined {
    for (let i = anc.length - 1; i >= 0; i--) {
      const a = anc[i];
      if (a.type === 'FunctionDeclaration') return a.id?.name;
      if (a.type === 'FunctionExpression' || a.type === 'ArrowFunctionExpression') {
        const parent = anc[i - 1];
        if (parent?.type === 'MethodDefinition' || parent?.type === 'Property' || parent?.type === 'PropertyDefinition') return propertyName(parent.key, parent.computed);
        if (parent?.type === 'VariableDeclarator' && parent.id?.type === 'Identifier') return parent.id.name;
        return undefined; // an inline callback: it runs when whatever it is given to runs
      }
    }
    return undefined;
  }

  /** Read only when another setting says so: `process.env.PGSSL === 'true' ? { ca: process.env.PGCA } : undefined`. */
  function behindEnvCondition(node: Node, anc: Node[]): boolean {
    let child = node;
    for (let i = anc.length - 1; i >= 0; i--) {
      const a = anc[i];
      const guarded =
        ((a.type === 'IfStatement' || a.type === 'ConditionalExpression') && a.test !== child) || (a.type === 'LogicalExpression' && a.operator === '&&' && a.right === child);
      if (guarded && /process\.env|\benv\.|\bconfig\./.test(text.slice((a.test ?? a.left).start, (a.test ?? a.left).end))) return true;
      if (isFunction(a)) return false;
      child = a;
    }
    return false;
  }

  function tlsOptions(node: Node, anc: Node[]): void {
    const props = objectProperties(node);
    const reject = props.get('rejectUnauthorized');
    const identity = props.get('checkServerIdentity');
    if (!reject && !identity) return;
    if (inDevOnlyBranch(node, anc)) return;
    const context = tlsContext(anc);
    const chosen = sslModeBranch(anc);
    const extra = { ...(context ? { context } : {}), ...(chosen ? { sslModeBranch: chosen } : {}) };
    if (reject) {
      const v = unwrap(reject.value);
      if ((v?.type === 'Literal' && (v.value === false || v.value === 0)) || (v?.type === 'UnaryExpression' && v.operator === '!' && numberValue(v.argument) === 1)) {
        facts.tls.push({ setting: 'rejectUnauthorized', text: text.slice(reject.start, reject.end), ...extra, loc: loc(reject) });
      }
    }
    if (identity && acceptsEveryCertificate(identity.value)) {
      facts.tls.push({ setting: 'checkServerIdentity', text: text.slice(identity.start, identity.end).split('\n')[0], ...extra, loc: loc(identity) });
    }
  }

  /**
   * The condition of the branch the options sit on when it picks one of libpq's sslmodes that do not
   * verify (`if (sslMode === 'require' || sslMode === 'prefer')`), in a function that also has a
   * verifying mode (`verify-full`/`verify-ca`): the operator chose encryption without verification.
   */
  function sslModeBranch(anc: Node[]): string | undefined {
    let child: Node | undefined;
    let test: Node | undefined;
    let fn: Node | undefined;
    for (let i = anc.length - 1; i >= 0; i--) {
      const a = anc[i];
      if (!test) {
        if ((a.type === 'IfStatement' && a.consequent === child) || (a.type === 'ConditionalExpression' && a.consequent === child)) test = a.test;
        else if (a.type === 'SwitchCase' && a.test) test = a.test;
      }
      if (isFunction(a)) {
        fn = a;
        break;
      }
      child = a;
    }
    if (!test) return undefined;
    const modes = new Set<string>();
    walk(test, (n) => {
      const value = stringValue(n);
      if (value !== undefined) modes.add(value.toLowerCase());
    });
    if (modes.size === 0 || ![...modes].every((m) => ['require', 'prefer', 'allow', 'no-verify'].includes(m))) return undefined;
    const scope = fn ?? program;
    if (!/['"`]verify-(full|ca)['"`]/.test(text.slice(scope.start, scope.end))) return undefined;
    return text.slice(test.start, test.end);
  }

  /** `ssl` option of `new Pool(...)`, `https.Agent`, …: the nearest key and constructor above the options. */
  function tlsContext(anc: Node[]): string | undefined {
    const parts: string[] = [];
    for (let i = anc.length - 1; i >= 0 && parts.length < 2; i--) {
      const a = anc[i];
      if (a.type === 'Property' && parts.length === 0) {
        const key = propertyName(a.key, a.computed);
        if (key) parts.push(`the "${key}" option`);
      } else if (a.type === 'NewExpression' || a.type === 'CallExpression') {
        const path = memberPath(a.callee);
        // `new Promise((resolve) => …)`, `Object.assign(…)`: a wrapper around the options, not what they configure.
        if (path && /^(Promise|Object\.assign|resolve|reject|Promise\.(resolve|all))$/.test(path)) continue;
        if (path) {
          parts.push(a.type === 'NewExpression' ? `new ${path}()` : `${path}()`);
          break;
        }
      }
    }
    return parts.length ? parts.join(' of ') : undefined;
  }

  function acceptsEveryCertificate(value: Node): boolean {
    const fn = unwrap(value);
    if (!isFunction(fn)) return false;
    const body = unwrap(fn.body);
    if (body?.type === 'Identifier' && body.name === 'undefined') return true;
    if (body?.type === 'Literal' && body.value === null) return true;
    if (body?.type === 'BlockStatement') {
      if (body.body.length === 0) return true;
      if (body.body.length === 1 && body.body[0].type === 'ReturnStatement') {
        const arg = unwrap(body.body[0].argument);
        return !arg || (arg.type === 'Identifier' && arg.name === 'undefined') || (arg.type === 'Literal' && arg.value === null);
      }
    }
    return false;
  }

  function templatePort(node: Node, anc: Node[]): void {
    const quasis: Node[] = node.quasis;
    for (let i = 0; i + 1 < quasis.length; i++) {
      const before = quasis[i].value.cooked ?? '';
      const after = quasis[i + 1].value.cooked ?? '';
      if (!before.endsWith('//')) continue;
      const match = /^:(\d{2,5})(?=[/?#]|$)/.exec(after);
      if (match) pushClientUrl(node, Number(match[1]), anc);
      else if (after === ':' && i + 2 < quasis.length) {
        // `${host}:${BACKEND_PORT}` with a constant port of this file
        const port = constantNumber(node.expressions[i + 1]);
        if (port !== undefined) pushClientUrl(node, port, anc);
      }
    }
  }

  /** A number written as a constant of this file: `PORT`, `CONFIG.BACKEND_PORT` (a property of a const object). */
  function constantNumber(expr: Node): number | undefined {
    const n = unwrap(expr);
    if (n?.type === 'Identifier') return numberValue(constants.get(n.name));
    if (n?.type === 'MemberExpression' && !n.computed && unwrap(n.object)?.type === 'Identifier') {
      const property = objectProperties(constants.get(unwrap(n.object).name)).get(propertyName(n.property) ?? '');
      return property ? numberValue(property.value) : undefined;
    }
    return numberValue(n);
  }

  function concatenatedPort(node: Node, anc: Node[]): void {
    const right = stringValue(node.right);
    const match = right !== undefined ? /^:(\d{2,5})(?=[/?#]|$)/.exec(right) : null;
    if (!match || !/host|location/i.test(text.slice(node.left.start, node.left.end))) return;
    pushClientUrl(node, Number(match[1]), anc);
  }

  function pushClientUrl(node: Node, port: number, anc: Node[]): void {
    if (port === 80 || port === 443 || inDevOnlyBranch(node, anc)) return;
    if (facts.clientUrls.some((u) => u.loc.line === loc(node).line)) return;
    facts.clientUrls.push({ text: text.slice(node.start, node.end), port, loc: loc(node) });
  }
}

/** The node sits in the `try` block of a try statement of its own function: a failure there is caught. */
function insideTry(anc: Node[]): boolean {
  for (let i = anc.length - 1; i > 0; i--) {
    const a = anc[i];
    if (isFunction(a)) return false;
    if (anc[i - 1].type === 'TryStatement' && anc[i - 1].block === a) return true;
  }
  return false;
}

/**
 * Names used as values anywhere in a program (the JavaScript-shaped AST has no type annotations).
 * With decorators, TypeScript's emitDecoratorMetadata also writes the class a constructor parameter,
 * a decorated property or a decorated method names as its type (`design:paramtypes`): such a name is
 * a runtime reference, read from the file parsed with its types.
 */
interface NameUsage {
  /** Names used as values. */
  values: Set<string>;
  /** Names TypeScript may write into decorator metadata; undefined when the file has decorators but its types could not be read (any name may be). */
  metadata?: Set<string>;
}

function identifiersInValues(program: Node, text: string, typedProgram?: () => Node | undefined): NameUsage {
  const names = new Set<string>();
  let decorated = false;
  walk(program, (node, ancestors) => {
    if (node.type === 'Decorator') decorated = true;
    if (node.type !== 'Identifier' && node.type !== 'JSXIdentifier') return;
    const parent = ancestors[ancestors.length - 1];
    if (parent?.type === 'ImportSpecifier' || parent?.type === 'ImportDefaultSpecifier' || parent?.type === 'ImportNamespaceSpecifier') return;
    names.add(node.name);
  });
  if (decorated && /@[A-Za-z_$]/.test(text)) {
    const typed = typedProgram?.();
    return typed ? { values: names, metadata: metadataTypeNames(typed) } : { values: names };
  }
  return { values: names, metadata: new Set() };
}

/** Names TypeScript serializes into decorator metadata: the type of constructor parameters, decorated properties and methods. */
function metadataTypeNames(program: Node): Set<string> {
  const out = new Set<string>();
  const serialized = (annotation: Node | undefined): void => {
    let type = annotation?.type === 'TSTypeAnnotation' ? annotation.typeAnnotation : annotation;
    if (type?.type === 'TSUnionType') {
      // `Foo | undefined` serializes as Foo; a union of different types as Object.
      const rest = type.types.filter((t: Node) => !['TSNullKeyword', 'TSUndefinedKeyword'].includes(t.type) && !(t.type === 'TSLiteralType' && t.literal?.value === null));
      type = rest.length === 1 ? rest[0] : undefined;
    }
    if (type?.type !== 'TSTypeReference') return;
    let name = type.typeName;
    while (name?.type === 'TSQualifiedName') name = name.left;
    if (name?.type === 'Identifier') out.add(name.name);
  };
  const visit = (node: Node): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
      const members: Node[] = node.body?.body ?? [];
      const classDecorated = (node.decorators?.length ?? 0) > 0;
      for (const m of members) {
        const own = (m.decorators?.length ?? 0) > 0;
        const fn = m.value;
        const params: Node[] = fn?.params ?? [];
        const paramDecorated = params.some((p) => (p.decorators?.length ?? 0) > 0);
        if (m.kind === 'constructor' && (classDecorated || paramDecorated)) {
          for (const p of params) serialized((p.type === 'TSParameterProperty' ? p.parameter : p).typeAnnotation);
        } else if (m.type === 'PropertyDefinition' && own) {
          serialized(m.typeAnnotation);
        } else if (m.type === 'MethodDefinition' && (own || paramDecorated)) {
          for (const p of params) serialized((p.type === 'TSParameterProperty' ? p.parameter : p).typeAnnotation);
          serialized(fn?.returnType);
        }
      }
    }
    for (const key in node) {
      if (key === 'start' || key === 'end' || key === 'type') continue;
      const value = node[key];
      if (value && typeof value === 'object') visit(value);
    }
  };
  visit(program);
  return out;
}
