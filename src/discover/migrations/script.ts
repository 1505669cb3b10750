import type { LineMap } from '../../model/location.js';
import type { MigrationTool } from '../../model/migrations.js';

/**
 * Reading TypeScript/JavaScript migrations (Knex, TypeORM, node-pg-migrate): the SQL strings they
 * pass to `knex.raw`, `knex.schema.raw`, `queryRunner.query` and `pgm.sql`, and the schema-builder
 * calls that drop, rename, truncate, index or constrain, translated to the SQL the tool runs so the
 * same rules judge them. Only the `up` direction is read.
 */

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** A piece of SQL found in a script, or a builder call translated to SQL. */
export interface ScriptSql {
  sql: string;
  /** Line of the first character of `sql` in the script (of the call, for builder calls). */
  line: number;
  /** True when lines inside `sql` map one to one to lines of the script. */
  linesExact: boolean;
  /** Builder call as written, quoted instead of the synthesized SQL. */
  builderText?: string;
  interpolated: boolean;
}

export interface ScriptMigration {
  tool: Extract<MigrationTool, 'knex' | 'typeorm' | 'node-pg-migrate'>;
  pieces: ScriptSql[];
  /** Evidence that the migration opts out of the tool's transaction (`transaction = false`, `pgm.noTransaction()`). */
  noTransaction?: string;
}

const isNode = (v: unknown): v is AstNode => typeof v === 'object' && v !== null && typeof (v as AstNode).type === 'string';

function* childrenOf(node: AstNode): Generator<AstNode> {
  for (const key in node) {
    if (key === 'parent') continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const x of v) if (isNode(x)) yield x;
    } else if (isNode(v)) yield v;
  }
}

function walk(node: AstNode, visit: (n: AstNode) => boolean | void): void {
  if (visit(node) === false) return;
  for (const child of childrenOf(node)) walk(child, visit);
}

const nameOf = (n: unknown): string | undefined => {
  if (!isNode(n)) return undefined;
  if (n.type === 'Identifier') return n.name as string;
  if ((n.type === 'Literal' || n.type === 'StringLiteral') && typeof n.value === 'string') return n.value;
  return undefined;
};

const isFunction = (n: unknown): n is AstNode =>
  isNode(n) && (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'FunctionDeclaration');

function firstParamName(fn: AstNode): string | undefined {
  const params = fn.params as AstNode[] | undefined;
  const p = params?.[0];
  if (!p) return undefined;
  if (p.type === 'Identifier') return p.name as string;
  if (p.type === 'AssignmentPattern') return nameOf(p.left);
  return undefined;
}

/** The expression inside `await x`, `(x)` or `x!`. */
const unwrap = (n: AstNode): AstNode => (n.type === 'AwaitExpression' ? n.argument : n.expression) as AstNode;

/** Member path of a callee: `knex.schema.alterTable` → root "knex", names ["schema", "alterTable"]. Calls in the chain are stepped through. */
function chainOf(expr: AstNode): { root?: string; rootCall?: AstNode; names: string[]; calls: AstNode[] } {
  const names: string[] = [];
  const calls: AstNode[] = [];
  let cur: AstNode | undefined = expr;
  let rootCall: AstNode | undefined;
  while (cur) {
    if (cur.type === 'MemberExpression' || cur.type === 'StaticMemberExpression') {
      const prop = nameOf(cur.property);
      if (prop === undefined) return { names: [], calls };
      names.unshift(prop);
      cur = cur.object as AstNode;
    } else if (cur.type === 'CallExpression') {
      calls.unshift(cur);
      const callee = cur.callee as AstNode;
      if (callee.type === 'Identifier') {
        rootCall = cur;
        return { root: callee.name as string, rootCall, names, calls };
      }
      cur = callee;
    } else if (cur.type === 'AwaitExpression' || cur.type === 'ParenthesizedExpression' || cur.type === 'TSNonNullExpression') {
      cur = unwrap(cur);
    } else if (cur.type === 'Identifier') {
      return { root: cur.name as string, names, calls };
    } else if (cur.type === 'ThisExpression') {
      return { root: 'this', names, calls };
    } else return { names, calls };
  }
  return { names, calls };
}

/** The `up` functions of a migration module, with the tool their shape suggests. */
function upFunctions(program: AstNode): { fn: AstNode; inClass?: AstNode }[] {
  const found: { fn: AstNode; inClass?: AstNode }[] = [];
  const fromObject = (obj: AstNode) => {
    for (const prop of (obj.properties as AstNode[]) ?? []) {
      if (prop.type === 'Property' && nameOf(prop.key) === 'up' && isFunction(prop.value)) found.push({ fn: prop.value });
    }
  };
  const fromClass = (cls: AstNode) => {
    for (const member of ((cls.body as AstNode)?.body as AstNode[]) ?? []) {
      if (member.type === 'MethodDefinition' && nameOf(member.key) === 'up' && isFunction(member.value)) found.push({ fn: member.value, inClass: cls });
      if (member.type === 'PropertyDefinition' && nameOf(member.key) === 'up' && isFunction(member.value)) found.push({ fn: member.value, inClass: cls });
    }
  };
  for (const stmt of (program.body as AstNode[]) ?? []) {
    const decl = stmt.type === 'ExportNamedDeclaration' || stmt.type === 'ExportDefaultDeclaration' ? (stmt.declaration as AstNode | undefined) : stmt;
    if (!decl) continue;
    if (decl.type === 'FunctionDeclaration' && nameOf(decl.id) === 'up') found.push({ fn: decl });
    else if (decl.type === 'ClassDeclaration' || decl.type === 'ClassExpression') fromClass(decl);
    else if (decl.type === 'ObjectExpression') fromObject(decl);
    else if (decl.type === 'VariableDeclaration') {
      for (const d of (decl.declarations as AstNode[]) ?? []) {
        if (nameOf(d.id) === 'up' && isFunction(d.init)) found.push({ fn: d.init as AstNode });
      }
    } else if (decl.type === 'ExpressionStatement') {
      const e = decl.expression as AstNode;
      if (e.type !== 'AssignmentExpression') continue;
      const target = chainOf(e.left as AstNode);
      const path = [target.root, ...target.names].join('.');
      if ((path === 'exports.up' || path === 'module.exports.up') && isFunction(e.right)) found.push({ fn: e.right as AstNode });
      if (path === 'module.exports' && isNode(e.right) && e.right.type === 'ObjectExpression') fromObject(e.right);
    }
  }
  return found;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** `schema.table` → `"schema"."table"`. */
const quoteTable = (name: string) => name.split('.').map(quoteIdent).join('.');

/** Knex column-type methods: a chain starting with one of them inside `alterTable` adds or (with `.alter()`) changes a column. */
const KNEX_COLUMN_TYPES = new Set([
  'increments', 'bigIncrements', 'integer', 'bigInteger', 'smallint', 'tinyint', 'mediumint', 'text', 'string', 'float',
  'double', 'decimal', 'boolean', 'date', 'datetime', 'time', 'timestamp', 'binary', 'enum', 'enu', 'json', 'jsonb', 'uuid',
  'specificType', 'geometry', 'geography', 'point',
]);

/** Reads a migration script; undefined when it is not a Knex, TypeORM or node-pg-migrate migration. */
export function readScriptMigration(program: AstNode, text: string, lines: LineMap): ScriptMigration | undefined {
  const ups = upFunctions(program);
  if (ups.length === 0) return undefined;
  const imports = new Set<string>();
  for (const stmt of (program.body as AstNode[]) ?? []) {
    if (stmt.type === 'ImportDeclaration') imports.add(String((stmt.source as AstNode).value));
  }
  walk(program, (n) => {
    if (n.type === 'CallExpression' && nameOf(n.callee) === 'require') {
      const arg = nameOf((n.arguments as AstNode[])[0]);
      if (arg) imports.add(arg);
    }
  });

  // `const TABLE_NAME = 'organization-places'` at the top of a migration, used as an argument.
  const constants = new Map<string, string>();
  for (const stmt of (program.body as AstNode[]) ?? []) {
    const decl = stmt.type === 'ExportNamedDeclaration' ? (stmt.declaration as AstNode | undefined) : stmt;
    if (decl?.type !== 'VariableDeclaration' || decl.kind !== 'const') continue;
    for (const d of (decl.declarations as AstNode[]) ?? []) {
      const value = literalString(d.init);
      const name = nameOf(d.id);
      if (name && value !== undefined && isNode(d.id) && d.id.type === 'Identifier') constants.set(name, value);
    }
  }
  const str = (n: unknown): string | undefined =>
    literalString(n) ?? (isNode(n) && n.type === 'Identifier' ? constants.get(n.name as string) : undefined);

  const pieces: ScriptSql[] = [];
  let tool: ScriptMigration['tool'] | undefined;
  let noTransaction: string | undefined;
  const lineAt = (offset: number) => lines.line(offset);
  const callText = (n: AstNode) => text.slice(n.start, n.end);
  const builder = (call: AstNode, sql: string) =>
    pieces.push({ sql, line: lineAt(call.start), linesExact: false, builderText: callText(call), interpolated: false });

  /** A string argument: a literal, or a template literal whose `${}` parts become placeholders. */
  const sqlArgument = (arg: AstNode | undefined): ScriptSql | undefined => {
    if (!arg) return undefined;
    if ((arg.type === 'Literal' || arg.type === 'StringLiteral') && typeof arg.value === 'string') {
      return { sql: arg.value, line: lineAt(arg.start), linesExact: !arg.value.includes('\n'), interpolated: false };
    }
    if (arg.type === 'TemplateLiteral') {
      const quasis = arg.quasis as AstNode[];
      const expressions = arg.expressions as AstNode[];
      let sql = '';
      let raw = '';
      quasis.forEach((q, i) => {
        const value = q.value as { raw: string; cooked?: string };
        sql += value.cooked ?? value.raw;
        raw += value.raw;
        const expr = expressions[i];
        if (expr) {
          // Keep the line count of a multi-line ${} so later statements keep their lines.
          const breaks = '\n'.repeat((callText(expr).match(/\n/g) ?? []).length);
          sql += `shipready_expr_${i}${breaks}`;
          raw += `shipready_expr_${i}${breaks}`;
        }
      });
      const count = (s: string) => (s.match(/\n/g) ?? []).length;
      return { sql, line: lineAt(arg.start), linesExact: count(sql) === count(raw), interpolated: expressions.length > 0 };
    }
    return undefined;
  };
  const tableArg = (arg: AstNode | undefined): string | undefined => {
    // TypeORM: queryRunner.createTable(new Table({ name: 'refunds', … })).
    if (arg?.type === 'NewExpression') return tableArg(((arg.arguments as AstNode[]) ?? [])[0]);
    const s = str(arg);
    if (s !== undefined) return s;
    // node-pg-migrate accepts { schema, name }.
    if (arg?.type === 'ObjectExpression') {
      let schema: string | undefined;
      let name: string | undefined;
      for (const p of (arg.properties as AstNode[]) ?? []) {
        if (nameOf(p.key) === 'name') name = str(p.value);
        if (nameOf(p.key) === 'schema') schema = str(p.value);
      }
      return name && (schema ? `${schema}.${name}` : name);
    }
    return undefined;
  };
  const stringList = (arg: AstNode | undefined): string[] => {
    if (!arg) return [];
    const single = str(arg);
    if (single !== undefined) return [single];
    if (arg.type === 'ArrayExpression') return ((arg.elements as AstNode[]) ?? []).map((x) => str(x)).filter((s): s is string => s !== undefined);
    return [];
  };
  const optionTrue = (arg: AstNode | undefined, key: string): boolean =>
    arg?.type === 'ObjectExpression' &&
    ((arg.properties as AstNode[]) ?? []).some((p) => nameOf(p.key) === key && isNode(p.value) && p.value.type === 'Literal' && p.value.value === true);
  const optionString = (arg: AstNode | undefined, key: string): string | undefined => {
    if (arg?.type !== 'ObjectExpression') return undefined;
    const p = ((arg.properties as AstNode[]) ?? []).find((q) => nameOf(q.key) === key);
    return p ? str(p.value as AstNode) : undefined;
  };

  for (const { fn, inClass } of ups) {
    const param = firstParamName(fn);
    const paramType = JSON.stringify((fn.params as AstNode[])[0]?.typeAnnotation ?? '');
    if (inClass) tool = 'typeorm';
    else if (param === 'pgm' || imports.has('node-pg-migrate') || paramType.includes('MigrationBuilder')) tool = 'node-pg-migrate';
    else tool ??= 'knex';
    if (inClass) {
      for (const member of ((inClass.body as AstNode)?.body as AstNode[]) ?? []) {
        if (member.type === 'PropertyDefinition' && nameOf(member.key) === 'transaction' && isNode(member.value) && member.value.value === false) {
          noTransaction = `transaction = false at line ${lineAt(member.start)}`;
        }
      }
    }
    const knexCallbacks = new Set<AstNode>();
    walk(fn.body as AstNode, (n) => {
      if (knexCallbacks.has(n)) return false;
      if (n.type !== 'CallExpression') return;
      const args = (n.arguments as AstNode[]) ?? [];
      const callee = n.callee as AstNode;
      const chain = chainOf(callee);
      const method = chain.names.at(-1);
      if (!method) return;
      const fromParam = chain.root === param && param !== undefined;
      const viaSchema = chain.names.includes('schema');

      // SQL strings: knex.raw / knex.schema.raw / trx.raw, queryRunner.query, pgm.sql.
      if ((method === 'raw' && tool === 'knex') || (method === 'query' && tool === 'typeorm') || (method === 'sql' && tool === 'node-pg-migrate')) {
        const piece = sqlArgument(args[0]);
        if (piece) {
          // Knex `?` / `??` bindings are values and identifiers filled in at run time: literal ones are filled in here.
          if (tool === 'knex' && args.length > 1) {
            const filled = fillKnexBindings(piece.sql, args[1], str);
            piece.sql = filled.sql;
            if (!filled.complete) piece.interpolated = true;
          }
          pieces.push(piece);
        }
        return;
      }
      if (tool === 'knex' && fromParam) {
        const table = tableArg(args[0]);
        if (viaSchema && (method === 'dropTable' || method === 'dropTableIfExists') && table) {
          builder(n, `DROP TABLE ${method === 'dropTableIfExists' ? 'IF EXISTS ' : ''}${quoteTable(table)}`);
        } else if (viaSchema && method === 'renameTable' && table && tableArg(args[1])) {
          builder(n, `ALTER TABLE ${quoteTable(table)} RENAME TO ${quoteIdent(tableArg(args[1])!)}`);
        } else if (viaSchema && (method === 'createTable' || method === 'createTableIfNotExists') && table) {
          builder(n, `CREATE TABLE ${quoteTable(table)} ()`);
          if (isFunction(args[1])) knexCallbacks.add(args[1]);
        } else if (viaSchema && (method === 'alterTable' || method === 'table') && table && isFunction(args[1])) {
          knexCallbacks.add(args[1]);
          readKnexAlterTable(table, args[1]);
        } else if (method === 'truncate' && chain.rootCall) {
          // knex('table').truncate()
          const t = tableArg(((chain.rootCall.arguments as AstNode[]) ?? [])[0]);
          if (t) builder(n, `TRUNCATE ${quoteTable(t)}`);
        }
        return;
      }
      if ((tool === 'typeorm' || tool === 'node-pg-migrate') && fromParam && chain.names.length === 1) {
        const table = tableArg(args[0]);
        if (method === 'noTransaction' && tool === 'node-pg-migrate') noTransaction = `pgm.noTransaction() at line ${lineAt(n.start)}`;
        if (!table) return;
        if (method === 'dropTable') builder(n, `DROP TABLE ${quoteTable(table)}`);
        else if (method === 'createTable') builder(n, `CREATE TABLE ${quoteTable(table)} ()`);
        else if (method === 'renameTable' && tableArg(args[1])) builder(n, `ALTER TABLE ${quoteTable(table)} RENAME TO ${quoteIdent(tableArg(args[1])!)}`);
        else if (method === 'dropColumn' || method === 'dropColumns') {
          const columns = stringList(args[1]);
          if (columns.length) builder(n, `ALTER TABLE ${quoteTable(table)} ${columns.map((c) => `DROP COLUMN ${quoteIdent(c)}`).join(', ')}`);
        } else if (method === 'renameColumn' && str(args[1]) && str(args[2])) {
          builder(n, `ALTER TABLE ${quoteTable(table)} RENAME COLUMN ${quoteIdent(str(args[1])!)} TO ${quoteIdent(str(args[2])!)}`);
        } else if (['dropForeignKey', 'dropCheckConstraint', 'dropUniqueConstraint', 'dropExclusionConstraint', 'dropConstraint', 'dropPrimaryKey'].includes(method)) {
          builder(n, `ALTER TABLE ${quoteTable(table)} DROP CONSTRAINT ${quoteIdent(str(args[1]) ?? 'constraint')}`);
        } else if (method === 'clearTable' && tool === 'typeorm') builder(n, `TRUNCATE ${quoteTable(table)}`);
        else if (tool === 'node-pg-migrate' && method === 'alterColumn' && str(args[1])) {
          const column = quoteIdent(str(args[1])!);
          const commands: string[] = [];
          if (optionString(args[2], 'type')) commands.push(`ALTER COLUMN ${column} TYPE text`);
          if (optionTrue(args[2], 'notNull')) commands.push(`ALTER COLUMN ${column} SET NOT NULL`);
          if (commands.length) builder(n, `ALTER TABLE ${quoteTable(table)} ${commands.join(', ')}`);
        } else if (tool === 'node-pg-migrate' && (method === 'createIndex' || method === 'addIndex')) {
          const columns = stringList(args[1]);
          if (columns.length) {
            const concurrently = optionTrue(args[2], 'concurrently') ? 'CONCURRENTLY ' : '';
            const unique = optionTrue(args[2], 'unique') ? 'UNIQUE ' : '';
            builder(n, `CREATE ${unique}INDEX ${concurrently}ON ${quoteTable(table)} (${columns.map(quoteIdent).join(', ')})`);
          }
        } else if (tool === 'node-pg-migrate' && method === 'dropIndex') {
          const concurrently = optionTrue(args[2], 'concurrently') ? 'CONCURRENTLY ' : '';
          const name = optionString(args[2], 'name') ?? `${table.split('.').pop()}_${stringList(args[1]).join('_')}_index`;
          builder(n, `DROP INDEX ${concurrently}${quoteIdent(name)}`);
        }
      }
    });

    /** `knex.schema.alterTable('users', (table) => { table.dropColumn('x'); … })`. */
    function readKnexAlterTable(table: string, callback: AstNode): void {
      const t = firstParamName(callback);
      if (!t) return;
      const target = quoteTable(table);
      const bare = table.split('.').pop()!;
      const body = callback.body as AstNode;
      // `(t) => t.renameColumn('a', 'b')`: an expression body is one statement.
      const root = body.type === 'BlockStatement' ? body : ({ type: 'ExpressionStatement', expression: body, start: body.start, end: body.end } as AstNode);
      walk(root, (n) => {
        if (n.type !== 'ExpressionStatement' && n.type !== 'ReturnStatement') return;
        let expr = (n.type === 'ExpressionStatement' ? n.expression : n.argument) as AstNode | undefined;
        while (expr && (expr.type === 'AwaitExpression' || expr.type === 'ParenthesizedExpression')) expr = unwrap(expr);
        if (!expr || expr.type !== 'CallExpression') return;
        const chain = chainOf(expr.callee as AstNode);
        if (chain.root !== t || chain.names.length === 0) return false;
        const first = chain.names[0];
        // The innermost call of the chain holds the column: `table.string('x').notNullable()`.
        const firstArgs = ([...chain.calls, expr][0].arguments as AstNode[]) ?? [];
        const columns = firstArgs.map((x) => str(x)).filter((s): s is string => s !== undefined);
        const column = columns[0];
        if ((first === 'dropColumn' || first === 'dropColumns') && columns.length) {
          builder(expr, `ALTER TABLE ${target} ${columns.map((c) => `DROP COLUMN ${quoteIdent(c)}`).join(', ')}`);
        } else if (first === 'renameColumn' && columns.length === 2) {
          builder(expr, `ALTER TABLE ${target} RENAME COLUMN ${quoteIdent(columns[0])} TO ${quoteIdent(columns[1])}`);
        } else if (['dropForeign', 'dropUnique', 'dropPrimary', 'dropChecks'].includes(first)) {
          builder(expr, `ALTER TABLE ${target} DROP CONSTRAINT ${quoteIdent(str(firstArgs[1]) ?? `${bare}_${stringList(firstArgs[0]).join('_')}_${first.slice(4).toLowerCase()}`)}`);
        } else if (first === 'dropIndex') {
          builder(expr, `DROP INDEX ${quoteIdent(str(firstArgs[1]) ?? `${bare}_${stringList(firstArgs[0]).join('_')}_index`)}`);
        } else if (first === 'dropNullable' && column) {
          builder(expr, `ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`);
        } else if (first === 'index' && stringList(firstArgs[0]).length) {
          // Knex builds indexes with a plain CREATE INDEX: it has no CONCURRENTLY option.
          builder(expr, `CREATE INDEX ON ${target} (${stringList(firstArgs[0]).map(quoteIdent).join(', ')})`);
        } else if (first === 'check' && str(firstArgs[0]) !== undefined) {
          // knex >= 1.0 `table.check('?? >= 0', ['total'], 'name')`: Knex emits ADD CONSTRAINT … CHECK, never NOT VALID.
          const predicate = fillKnexBindings(str(firstArgs[0])!, firstArgs[1], str).sql;
          const name = str(firstArgs[2]);
          builder(expr, `ALTER TABLE ${target} ADD ${name ? `CONSTRAINT ${quoteIdent(name)} ` : ''}CHECK (${predicate})`);
        } else if (first === 'foreign' && stringList(firstArgs[0]).length) {
          // The referenced table does not matter to the rules: validating the new key scans this table.
          builder(expr, `ALTER TABLE ${target} ADD FOREIGN KEY (${stringList(firstArgs[0]).map(quoteIdent).join(', ')}) REFERENCES "referenced" (id)`);
        } else if (KNEX_COLUMN_TYPES.has(first) && column) {
          const col = quoteIdent(column);
          if (chain.names.includes('alter')) {
            // `.alter()` re-declares the column: Knex emits ALTER COLUMN … TYPE, and SET NOT NULL with notNullable().
            const commands = [`ALTER COLUMN ${col} TYPE text`];
            if (chain.names.includes('notNullable')) commands.push(`ALTER COLUMN ${col} SET NOT NULL`);
            builder(expr, `ALTER TABLE ${target} ${commands.join(', ')}`);
          } else {
            const notNull = chain.names.includes('notNullable') ? ' NOT NULL' : '';
            const dflt = chain.names.includes('defaultTo') ? ' DEFAULT 0' : '';
            const serial = first === 'increments' || first === 'bigIncrements' ? 'serial' : 'text';
            builder(expr, `ALTER TABLE ${target} ADD COLUMN ${col} ${serial}${notNull}${dflt}`);
          }
        }
        return false;
      });
    }
  }
  if (!tool) return undefined;
  if (tool === 'knex') noTransaction ??= knexConfigOptOut(program, lineAt);
  return { tool, pieces, noTransaction };
}

/**
 * Knex positional bindings, filled in as Knex does: each `??` takes the next binding as an identifier,
 * each `?` as a value, `\\?` is a literal question mark. A binding that is not a literal string or
 * number becomes a placeholder name (the SQL still parses) and the result is marked incomplete.
 */
function fillKnexBindings(sql: string, bindingsArg: AstNode | undefined, str: (n: unknown) => string | undefined): { sql: string; complete: boolean } {
  if (!bindingsArg) return { sql, complete: true };
  const bindings = bindingsArg.type === 'ArrayExpression' ? ((bindingsArg.elements as AstNode[]) ?? []) : undefined;
  if (!bindings) return { sql, complete: false };
  let complete = true;
  let index = 0;
  const filled = sql.replace(/\\\?|\?\??/g, (token) => {
    if (token === '\\?') return '?';
    const binding = bindings[index];
    const placeholder = `shipready_binding_${index++}`;
    const text = str(binding);
    const number = isNode(binding) && binding.type === 'Literal' && typeof binding.value === 'number' ? String(binding.value) : undefined;
    if (token === '??') {
      if (text === undefined) complete = false;
      return text === undefined ? placeholder : text.split('.').map(quoteIdent).join('.');
    }
    if (number !== undefined) return number;
    if (text !== undefined) return `'${text.replace(/'/g, "''")}'`;
    complete = false;
    return placeholder;
  });
  return { sql: filled, complete };
}

function literalString(n: unknown): string | undefined {
  if (!isNode(n)) return undefined;
  if ((n.type === 'Literal' || n.type === 'StringLiteral') && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0) {
    const q = (n.quasis as AstNode[])[0];
    return (q.value as { cooked?: string }).cooked;
  }
  return undefined;
}

/** `export const config = { transaction: false }` or `exports.config = { transaction: false }` in a Knex migration. */
function knexConfigOptOut(program: AstNode, lineAt: (offset: number) => number): string | undefined {
  let found: string | undefined;
  const check = (obj: unknown, at: number) => {
    if (!isNode(obj) || obj.type !== 'ObjectExpression') return;
    for (const p of (obj.properties as AstNode[]) ?? []) {
      if (nameOf(p.key) === 'transaction' && isNode(p.value) && p.value.value === false) found = `config = { transaction: false } at line ${lineAt(at)}`;
    }
  };
  for (const stmt of (program.body as AstNode[]) ?? []) {
    const decl = stmt.type === 'ExportNamedDeclaration' ? (stmt.declaration as AstNode | undefined) : stmt;
    if (decl?.type === 'VariableDeclaration') {
      for (const d of (decl.declarations as AstNode[]) ?? []) if (nameOf(d.id) === 'config') check(d.init, d.start);
    } else if (decl?.type === 'ExpressionStatement') {
      const e = decl.expression as AstNode;
      if (e.type === 'AssignmentExpression') {
        const target = chainOf(e.left as AstNode);
        if ([target.root, ...target.names].join('.').endsWith('exports.config')) check(e.right, e.start);
      }
    }
  }
  return found;
}
