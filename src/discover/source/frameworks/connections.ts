import { memberPath, propertyName, unwrap, type Node } from '../ast.js';
import type { Detector, WalkContext } from './types.js';

/** How a client library opens a long-lived connection, and the method that closes it. */
interface ConnectionShape {
  kind: string;
  packages: string[];
  /** `new X()` with X imported from the package (or `pkg.X`). */
  constructors?: string[];
  /** `f()` with f imported from the package (or `pkg.f`). */
  factories?: string[];
  closeMethods: string[];
  /** Only some calls open a connection (`drizzle(url)` does, `drizzle(pool)` wraps one already counted). */
  opens?(call: Node): boolean;
}

/** Methods that close a connection of any kind (used to match closes to connections). */
export const CLOSE_METHODS = new Set(['end', 'close', 'quit', 'disconnect', '$disconnect', 'destroy', 'terminate', 'shutdown']);

const SHAPES: ConnectionShape[] = [
  { kind: 'pg', packages: ['pg', '@neondatabase/serverless', '@vercel/postgres'], constructors: ['Pool', 'Client'], closeMethods: ['end'] },
  { kind: 'postgres', packages: ['postgres'], factories: ['default'], closeMethods: ['end'] },
  { kind: 'mysql2', packages: ['mysql2', 'mysql2/promise', 'mysql'], factories: ['createPool', 'createConnection'], closeMethods: ['end', 'destroy'] },
  { kind: 'prisma', packages: ['@prisma/client'], constructors: ['PrismaClient'], closeMethods: ['$disconnect'] },
  { kind: 'knex', packages: ['knex'], factories: ['default', 'knex', 'Knex'], closeMethods: ['destroy'] },
  { kind: 'mongoose', packages: ['mongoose'], factories: ['connect', 'createConnection'], closeMethods: ['disconnect', 'close'] },
  { kind: 'mongodb', packages: ['mongodb'], constructors: ['MongoClient'], closeMethods: ['close'] },
  { kind: 'ioredis', packages: ['ioredis'], constructors: ['default', 'Redis', 'Cluster'], closeMethods: ['quit', 'disconnect'] },
  { kind: 'redis', packages: ['redis', '@redis/client'], factories: ['createClient', 'createCluster'], closeMethods: ['quit', 'disconnect', 'close', 'destroy'] },
  { kind: 'bullmq', packages: ['bullmq', 'bull'], constructors: ['Queue', 'Worker', 'QueueEvents', 'FlowProducer', 'default'], factories: ['default'], closeMethods: ['close'] },
  { kind: 'typeorm', packages: ['typeorm'], constructors: ['DataSource'], closeMethods: ['destroy'] },
  { kind: 'amqplib', packages: ['amqplib'], factories: ['connect'], closeMethods: ['close'] },
  {
    kind: 'drizzle',
    packages: ['drizzle-orm/node-postgres', 'drizzle-orm/postgres-js', 'drizzle-orm/mysql2', 'drizzle-orm/neon-serverless'],
    factories: ['drizzle'],
    closeMethods: ['end', 'close'],
    opens: (call) => {
      const arg = unwrap(call.arguments[0]);
      if (!arg) return false;
      if (arg.type === 'ObjectExpression') return arg.properties.some((p: Node) => p.type === 'Property' && propertyName(p.key, p.computed) === 'connection');
      return arg.type === 'Literal' || arg.type === 'TemplateLiteral' || (arg.type === 'MemberExpression' && /^process\.env\./.test(memberPath(arg) ?? ''));
    },
  },
];

/** The variable, property or class field a new connection is stored in (`const pool = new Pool()` → "pool"). */
function storedIn(ancestors: Node[]): string | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i];
    if (a.type === 'AwaitExpression' || a.type === 'TSAsExpression' || a.type === 'TSNonNullExpression' || a.type === 'ParenthesizedExpression') continue;
    if (a.type === 'VariableDeclarator') return a.id?.type === 'Identifier' ? a.id.name : undefined;
    if (a.type === 'AssignmentExpression') return memberPath(a.left)?.split('.').pop();
    if (a.type === 'PropertyDefinition') return propertyName(a.key, a.computed);
    if (a.type === 'Property') return propertyName(a.key, a.computed);
    return undefined;
  }
  return undefined;
}

/** What `new X()` / `f()` refers to: the package and the export name, through imports or `pkg.X`. */
function target(callee: Node, ctx: WalkContext): { module: string; name: string } | undefined {
  const c = unwrap(callee);
  if (c?.type === 'Identifier') {
    const from = ctx.importedFrom(c.name);
    return from ? { module: from.module, name: from.imported } : undefined;
  }
  if (c?.type === 'MemberExpression' && unwrap(c.object)?.type === 'Identifier') {
    const from = ctx.importedFrom(unwrap(c.object).name);
    const name = propertyName(c.property, c.computed);
    if (from && name && (from.imported === 'default' || from.imported === '*')) return { module: from.module, name };
  }
  return undefined;
}

function detectorFor(shape: ConnectionShape): Detector {
  const record = (node: Node, ctx: WalkContext) => {
    const name = storedIn(ctx.ancestors);
    const callee = ctx.source(node.callee);
    ctx.connections.push({ kind: shape.kind, ...(name ? { name } : {}), loc: ctx.loc(node), text: `${node.type === 'NewExpression' ? 'new ' : ''}${callee}(…)`, closeMethods: shape.closeMethods });
  };
  return {
    name: shape.kind,
    packages: shape.packages,
    importBased: true,
    hints: new RegExp(shape.packages.map((p) => p.replace(/[/@.$]/g, '\\$&')).join('|')),
    construct(node, ctx) {
      const t = target(node.callee, ctx);
      if (t && shape.packages.includes(t.module) && shape.constructors?.includes(t.name)) record(node, ctx);
    },
    call(node, ctx) {
      const t = target(node.callee, ctx);
      if (t && shape.packages.includes(t.module) && shape.factories?.includes(t.name) && (!shape.opens || shape.opens(node))) record(node, ctx);
    },
    klass(node, ctx) {
      // `class PrismaService extends PrismaClient` (the NestJS recipe): the instance is the connection.
      const t = node.superClass ? target(node.superClass, ctx) : undefined;
      if (t && shape.packages.includes(t.module) && shape.constructors?.includes(t.name)) {
        ctx.connections.push({ kind: shape.kind, name: 'this', loc: ctx.loc(node), text: `class ${node.id?.name ?? ''} extends ${ctx.source(node.superClass)}`, closeMethods: shape.closeMethods });
      }
    },
  };
}

export const connectionDetectors: Detector[] = SHAPES.map(detectorFor);
