/**
 * Small helpers over the ESTree-shaped AST that oxc-parser returns. Nodes are plain objects with a
 * `type` and `start`/`end` character offsets; nothing here depends on a particular framework.
 */

// oxc's AST is a deep union; the walker only reads a handful of well-known shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = any;

/** Keys that only hold types: no runtime fact lives under them. */
const TYPE_KEYS = new Set(['type', 'start', 'end', 'typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeArguments', 'implements']);
/** Declarations that only exist for the type checker. */
const TYPE_DECLARATIONS = new Set(['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'TSDeclareFunction', 'TSTypeAnnotation', 'TSEnumDeclaration']);

/**
 * Visits every node depth-first; `ancestors` holds the parents of the node being visited (nearest
 * last). `enter`, when given, decides whether a node and its subtree are visited at all; `skipped`
 * receives the nodes it turns away.
 */
export function walk(root: Node, visit: (node: Node, ancestors: Node[]) => void, enter?: (node: Node) => boolean, skipped?: (node: Node) => void): void {
  const ancestors: Node[] = [];
  const step = (node: Node): void => {
    if (TYPE_DECLARATIONS.has(node.type)) return;
    if (enter && !enter(node)) {
      skipped?.(node);
      return;
    }
    visit(node, ancestors);
    ancestors.push(node);
    for (const key in node) {
      if (TYPE_KEYS.has(key)) continue;
      const value = node[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (item !== null && typeof item === 'object' && typeof item.type === 'string') step(item);
      } else if (typeof value.type === 'string') step(value);
    }
    ancestors.pop();
  };
  step(root);
}

/** Removes TypeScript wrappers that do not change the runtime value (`x as T`, `x!`, `(x)`, `x satisfies T`). */
export function unwrap(node: Node): Node {
  let n = node;
  while (
    n &&
    (n.type === 'TSAsExpression' ||
      n.type === 'TSNonNullExpression' ||
      n.type === 'ParenthesizedExpression' ||
      n.type === 'TSSatisfiesExpression' ||
      n.type === 'TSTypeAssertion')
  )
    n = n.expression;
  return n;
}

export function stringValue(node: Node): string | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value?.cooked ?? undefined;
  return undefined;
}

export function numberValue(node: Node): number | undefined {
  const n = unwrap(node);
  if (n?.type === 'Literal' && typeof n.value === 'number') return n.value;
  const s = stringValue(n);
  if (s !== undefined && /^\d+$/.test(s)) return Number(s);
  return undefined;
}

/** Name of a non-computed property key or member property (`a.b` → "b", `{ 'b': 1 }` → "b"). */
export function propertyName(node: Node, computed = false): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Identifier' && !computed) return node.name;
  if (node.type === 'PrivateIdentifier') return node.name;
  return stringValue(node);
}

/** Dotted name of a member chain of identifiers (`process.env.PORT` → "process.env.PORT", `this.pool.end` → "this.pool.end"). */
export function memberPath(node: Node): string | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'ThisExpression') return 'this';
  if (n.type === 'Super') return 'super';
  if (n.type === 'MetaProperty') return `${n.meta?.name}.${n.property?.name}`;
  if (n.type === 'MemberExpression' || n.type === 'StaticMemberExpression' || n.type === 'ComputedMemberExpression') {
    const object = memberPath(n.object);
    const prop = propertyName(n.property, n.computed);
    if (object === undefined || prop === undefined) return undefined;
    return `${object}.${prop}`;
  }
  if (n.type === 'ChainExpression') return memberPath(n.expression);
  if (n.type === 'AwaitExpression') return memberPath(n.argument);
  return undefined;
}

/** The called name of a call (`server.close(...)` → "server.close", `shutdown()` → "shutdown"). */
export function calleePath(call: Node): string | undefined {
  return memberPath(call.callee);
}

/** Properties of an object literal by name (spread and computed keys skipped). */
export function objectProperties(node: Node): Map<string, Node> {
  const props = new Map<string, Node>();
  const n = unwrap(node);
  if (n?.type !== 'ObjectExpression') return props;
  for (const p of n.properties) {
    if (p.type !== 'Property') continue;
    const name = propertyName(p.key, p.computed);
    if (name !== undefined) props.set(name, p);
  }
  return props;
}

export function isFunction(node: Node): boolean {
  const n = unwrap(node);
  return n?.type === 'ArrowFunctionExpression' || n?.type === 'FunctionExpression' || n?.type === 'FunctionDeclaration';
}

/** `process.env` itself (also `globalThis.process.env`). */
export function isProcessEnv(node: Node): boolean {
  const path = memberPath(node);
  return path === 'process.env' || path === 'globalThis.process.env';
}

/** `process.env.NODE_ENV`, `app.get('env')`, or an identifier named like the environment name. */
function isEnvironmentName(node: Node): boolean {
  const n = unwrap(node);
  const path = memberPath(n);
  if (path && /(^|\.)(NODE_ENV|APP_ENV|nodeEnv|environment|env)$/.test(path)) return true;
  if (n?.type === 'CallExpression' && memberPath(n.callee)?.endsWith('.get') && stringValue(n.arguments[0]) === 'env') return true;
  return false;
}

const DEV_NAMES = new Set(['development', 'dev', 'test', 'local']);

/**
 * Which branch of a condition runs only outside production: 'consequent' for
 * `NODE_ENV !== 'production'`, `NODE_ENV === 'development'`, `isDev`, `import.meta.env.DEV`;
 * 'alternate' for `NODE_ENV === 'production'`, `isProd`, `import.meta.env.PROD`; undefined otherwise.
 */
export function devOnlyBranch(test: Node): 'consequent' | 'alternate' | undefined {
  const n = unwrap(test);
  if (!n) return undefined;
  if (n.type === 'UnaryExpression' && n.operator === '!') {
    const inner = devOnlyBranch(n.argument);
    return inner === 'consequent' ? 'alternate' : inner === 'alternate' ? 'consequent' : undefined;
  }
  if (n.type === 'BinaryExpression' && ['===', '==', '!==', '!='].includes(n.operator)) {
    const [envSide, valueSide] = isEnvironmentName(n.left) ? [n.left, n.right] : isEnvironmentName(n.right) ? [n.right, n.left] : [];
    const equal = n.operator === '===' || n.operator === '==';
    // `window.location.hostname === 'localhost'`: the branch for a developer's machine.
    const hostSide = [n.left, n.right].find((s) => /(^|\.)(hostname|host)$/.test(memberPath(s) ?? ''));
    const hostValue = hostSide ? stringValue(hostSide === n.left ? n.right : n.left) : undefined;
    if (hostValue === 'localhost' || hostValue === '127.0.0.1') return equal ? 'consequent' : 'alternate';
    const value = envSide ? stringValue(valueSide) : undefined;
    if (value === undefined) return undefined;
    if (value === 'production' || value === 'prod') return equal ? 'alternate' : 'consequent';
    if (DEV_NAMES.has(value)) return equal ? 'consequent' : 'alternate';
    return undefined;
  }
  if (n.type === 'LogicalExpression' && n.operator === '&&') {
    // `isDev && x`: the whole test is true only in development.
    if (devOnlyBranch(n.left) === 'consequent' || devOnlyBranch(n.right) === 'consequent') return 'consequent';
    return undefined;
  }
  const path = memberPath(n);
  if (path) {
    const last = path.split('.').pop() ?? '';
    // `EnvSet.values.isIntegrationTest`, `isTest`: a flag only a test run sets; what it guards never runs in the task.
    if (path === 'import.meta.env.DEV' || /^(is)?(dev|development|devMode|isDevMode|local|isLocal|test|testing|unitTest|integrationTest|e2eTest|e2e)$/i.test(last)) return 'consequent';
    if (path === 'import.meta.env.PROD' || /^(is)?(prod|production)$/i.test(last)) return 'alternate';
  }
  return undefined;
}

/**
 * True when the node (the last of `ancestors` + node) only runs outside production: it sits in the
 * development-only branch of an `if`, a `?:` or an `&&`, or after an early return/exit in production.
 */
export function inDevOnlyBranch(node: Node, ancestors: Node[]): boolean {
  let child = node;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i];
    if (parent.type === 'IfStatement' || parent.type === 'ConditionalExpression') {
      const branch = devOnlyBranch(parent.test);
      if (branch === 'consequent' && parent.consequent === child) return true;
      if (branch === 'alternate' && parent.alternate === child) return true;
    } else if (parent.type === 'LogicalExpression' && parent.operator === '&&' && parent.right === child) {
      if (devOnlyBranch(parent.left) === 'consequent') return true;
    }
    child = parent;
  }
  return false;
}
