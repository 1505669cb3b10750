import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { Node as TsNode, Parser as TsParser } from 'web-tree-sitter';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { parseJsonTree } from './json-tree.js';
import type { InfraNode, ObjectNode } from './tree.js';

/**
 * Terraform (.tf) → located trees, one per `resource`/`data` block, with HCL expressions evaluated
 * where they are literal: `jsonencode([...])` of literals, `file()`/`templatefile()` of a file in
 * the repository, heredoc JSON. Every other expression (`var.x`, `local.y`, resource attributes,
 * function calls, conditionals, `for`) becomes an unresolved value that keeps its text and, for
 * resource attributes, the address it points at (`aws_lb_target_group.api`).
 *
 * Parser: web-tree-sitter 0.27 with the tree-sitter-terraform grammar (ABI 14) from
 * @tree-sitter-grammars/tree-sitter-hcl, loaded only when the repository has .tf files.
 */
export interface TerraformBlock {
  /** resource | data */
  kind: string;
  type: string;
  name: string;
  /** `aws_ecs_service.api`, `data.aws_iam_policy_document.task` */
  address: string;
  body: ObjectNode;
  file: string;
  loc: Loc;
}

let parserPromise: Promise<TsParser> | undefined;

async function terraformParser(): Promise<TsParser> {
  parserPromise ??= (async () => {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

/**
 * Parses the .tf files of one module folder together, so `local.x` can be evaluated wherever it is
 * defined in the module (locals are fixed by the code; variables are not, and stay unresolved).
 */
export async function parseTerraformModule(model: DeploymentModel, files: string[]): Promise<TerraformBlock[]> {
  const parser = await terraformParser();
  const parsed: { file: string; root: TsNode; ev: Evaluator; tree: { delete(): void } }[] = [];
  const locals = new Locals();
  try {
    for (const file of files) {
      const text = model.files.read(file);
      if (text === undefined) continue;
      const tree = parser.parse(text);
      if (!tree) continue;
      const root = tree.rootNode;
      if (root.hasError) {
        const bad = firstError(root);
        model.problems.push({
          kind: 'parse-error',
          artifact: 'Terraform',
          message: `${file} is not valid HCL near line ${(bad?.startPosition.row ?? 0) + 1}; its resources were not analysed`,
          loc: { file, line: (bad?.startPosition.row ?? 0) + 1 },
        });
        tree.delete();
        continue;
      }
      const ev = new Evaluator(model, file, text, locals);
      parsed.push({ file, root, ev, tree });
      for (const child of topBlocks(root)) {
        if (child.namedChildren[0]?.text !== 'locals') continue;
        const body = child.namedChildren.find((c) => c?.type === 'body');
        for (const attr of body?.namedChildren ?? []) {
          if (attr?.type === 'attribute' && attr.namedChildren[1]) locals.define(attr.namedChildren[0]!.text, attr.namedChildren[1]!, ev);
        }
      }
    }
    const blocks: TerraformBlock[] = [];
    for (const { file, root, ev } of parsed) {
      for (const child of topBlocks(root)) {
        const kind = child.namedChildren[0]?.text;
        if (kind === 'module') {
          // The terraform-aws-modules/ecs service module: the most common way ECS services are written in Terraform.
          const label = child.namedChildren.find((c) => c?.type === 'string_lit');
          const body = ev.block(child);
          const source = body.entries.find((e) => e.key === 'source')?.node;
          if (label && source?.kind === 'scalar' && typeof source.value === 'string' && ECS_SERVICE_MODULE.test(source.value)) {
            const name = stringLitValue(label);
            blocks.push({ kind, type: 'module:ecs-service', name, address: `module.${name}`, body, file, loc: { file, line: child.startPosition.row + 1 } });
          }
          continue;
        }
        if (kind !== 'resource' && kind !== 'data') continue;
        const labels = child.namedChildren.filter((c) => c?.type === 'string_lit').map((c) => stringLitValue(c!));
        if (labels.length < 2) continue;
        const [type, name] = labels;
        if (!RELEVANT_TYPE.test(type)) continue;
        blocks.push({
          kind,
          type,
          name,
          address: kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`,
          body: ev.block(child),
          file,
          loc: { file, line: child.startPosition.row + 1 },
        });
      }
    }
    return blocks;
  } finally {
    for (const p of parsed) p.tree.delete();
  }
}

/** `terraform-aws-modules/ecs/aws//modules/service` (registry or git source). */
const ECS_SERVICE_MODULE = /terraform-aws-modules\/ecs\/aws\/\/modules\/service|terraform-aws-ecs[^/]*\/\/modules\/service|terraform-aws-modules\/terraform-aws-ecs.*modules\/service/;

/** Resource types the model holds; other blocks are not evaluated. */
const RELEVANT_TYPE = /^aws_(ecs_|lb|alb|ecr_repository|iam_|cloudwatch_log_group$|appautoscaling_target$|secretsmanager_secret$)/;

function topBlocks(root: TsNode): TsNode[] {
  const body = root.namedChildren.find((c) => c?.type === 'body');
  return (body?.namedChildren ?? []).filter((c): c is TsNode => c?.type === 'block');
}

/** `locals { }` of a module, evaluated on first use; a local that refers to itself stays unresolved. */
class Locals {
  private readonly defs = new Map<string, { node: TsNode; ev: Evaluator }>();
  private readonly values = new Map<string, InfraNode>();
  private readonly evaluating = new Set<string>();

  define(name: string, node: TsNode, ev: Evaluator): void {
    this.defs.set(name, { node, ev });
  }

  get(name: string): InfraNode | undefined {
    const cached = this.values.get(name);
    if (cached) return cached;
    const def = this.defs.get(name);
    if (!def || this.evaluating.has(name)) return undefined;
    this.evaluating.add(name);
    try {
      const value = def.ev.expr(def.node);
      this.values.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }
}

function firstError(node: TsNode): TsNode | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const c of node.children) {
    if (c && c.hasError) {
      const e = firstError(c);
      if (e) return e;
    }
  }
  return node.hasError ? node : undefined;
}

function stringLitValue(node: TsNode): string {
  return node.namedChildren.filter((c) => c?.type === 'template_literal').map((c) => unescapeHcl(c!.text)).join('');
}

function unescapeHcl(s: string): string {
  return s.replace(/\\(["\\nrt])|\$\$\{|%%\{/g, (m, c: string | undefined) => {
    if (m === '$${') return '${';
    if (m === '%%{') return '%{';
    return c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : (c as string);
  });
}

/** Terraform resource address an expression refers to (`aws_lb_target_group.api.arn` → `aws_lb_target_group.api`). */
function referenceAddress(parts: string[]): string | undefined {
  if (parts.length < 2) return undefined;
  if (['var', 'local', 'module', 'path', 'each', 'count', 'self', 'terraform'].includes(parts[0])) return undefined;
  if (parts[0] === 'data') return parts.length >= 3 ? parts.slice(0, 3).join('.') : undefined;
  return parts.slice(0, 2).join('.');
}

class Evaluator {
  constructor(
    private readonly model: DeploymentModel,
    private readonly file: string,
    source: string,
    private readonly locals: Locals,
  ) {
    // tree-sitter offsets are UTF-8 byte offsets.
    this.bytes = Buffer.from(source, 'utf8');
  }

  private readonly bytes: Buffer;

  private slice(start: number, end: number): string {
    return this.bytes.subarray(start, end).toString('utf8');
  }

  private loc(node: TsNode): Loc {
    return { file: this.file, line: node.startPosition.row + 1 };
  }

  /** A block's body: attributes and nested blocks (repeated blocks give repeated keys). */
  block(block: TsNode): ObjectNode {
    const body = block.namedChildren.find((c) => c?.type === 'body');
    const out: ObjectNode = { kind: 'object', entries: [], loc: this.loc(block) };
    for (const item of body?.namedChildren ?? []) {
      if (!item) continue;
      if (item.type === 'attribute') {
        const key = item.namedChildren[0]!.text;
        const expr = item.namedChildren[1];
        out.entries.push({ key, keyLoc: this.loc(item), node: expr ? this.expr(expr) : { kind: 'scalar', value: null, loc: this.loc(item) } });
      } else if (item.type === 'block') {
        const type = item.namedChildren[0]!.text;
        if (type === 'dynamic') {
          // `dynamic "load_balancer" { for_each … }`: how many blocks, and their content, is decided at plan time.
          const label = item.namedChildren.find((c) => c?.type === 'string_lit');
          const name = label ? stringLitValue(label) : 'dynamic';
          out.entries.push({ key: name, keyLoc: this.loc(item), node: { kind: 'unresolved', text: `dynamic "${name}"`, loc: this.loc(item) } });
          out.partial = true;
        } else {
          out.entries.push({ key: type, keyLoc: this.loc(item), node: this.block(item) });
        }
      }
    }
    return out;
  }

  expr(node: TsNode): InfraNode {
    const loc = this.loc(node);
    const unresolved = (ref?: string): InfraNode => ({ kind: 'unresolved', text: node.text.replace(/\s+/g, ' ').slice(0, 200), ...(ref ? { ref } : {}), loc });
    switch (node.type) {
      case 'expression': {
        const kids = node.namedChildren.filter((c): c is TsNode => c !== null && c.type !== 'comment');
        if (kids.length === 1) return this.expr(kids[0]);
        // A traversal: variable_expr followed by get_attr/index/splat.
        if (kids[0]?.type === 'variable_expr' && kids.slice(1).every((k) => k.type === 'get_attr')) {
          const parts = [kids[0].text, ...kids.slice(1).map((k) => k.text.replace(/^\./, ''))];
          if (parts[0] === 'local' && parts.length === 2) {
            const value = this.locals.get(parts[1]);
            if (value) return value;
          }
          return unresolved(referenceAddress(parts));
        }
        if (kids[0]?.type === 'variable_expr') return unresolved(referenceAddress([kids[0].text, ...kids.slice(1).filter((k) => k.type === 'get_attr').map((k) => k.text.replace(/^\./, ''))]));
        return unresolved();
      }
      case 'literal_value': {
        const lit = node.namedChildren[0];
        if (!lit) return unresolved();
        if (lit.type === 'numeric_lit') return { kind: 'scalar', value: Number(lit.text), loc };
        if (lit.type === 'bool_lit') return { kind: 'scalar', value: lit.text === 'true', loc };
        if (lit.type === 'null_lit') return { kind: 'scalar', value: null, loc };
        if (lit.type === 'string_lit') return { kind: 'scalar', value: stringLitValue(lit), loc };
        return unresolved();
      }
      case 'template_expr': {
        const t = node.namedChildren[0];
        if (!t) return unresolved();
        const literal = t.namedChildren.filter((c) => c?.type === 'template_literal');
        if (t.namedChildren.some((c) => c?.type === 'template_interpolation' || c?.type === 'template_directive')) {
          if (t.type !== 'heredoc_template') {
            // Render without quotes, keeping literal parts: `${var.registry}/api:latest`.
            const text = t.namedChildren
              .filter((c) => c?.type === 'template_literal' || c?.type === 'template_interpolation' || c?.type === 'template_directive')
              .map((c) => (c!.type === 'template_literal' ? unescapeHcl(c!.text) : c!.text))
              .join('');
            return { kind: 'unresolved', text, loc };
          }
          // Keep the body: `"image": "${var.image}"` inside heredoc JSON leaves the rest readable.
          const parts = t.namedChildren.filter((c) => c?.type === 'template_literal' || c?.type === 'template_interpolation' || c?.type === 'template_directive');
          const first = parts[0];
          return { ...(unresolved() as object), kind: 'unresolved', text: 'heredoc template', template: { body: first ? this.slice(first.startIndex, parts[parts.length - 1]!.endIndex) : '', line: first ? first.startPosition.row + 1 : loc.line }, loc } as InfraNode;
        }
        if (t.type === 'heredoc_template') {
          const text = literal.length ? this.slice(literal[0]!.startIndex, literal[literal.length - 1]!.endIndex) : '';
          return { kind: 'scalar', value: t.namedChildren[0]?.text === '<<-' ? dedent(text) : text, loc: literal[0] ? this.loc(literal[0]) : loc };
        }
        return { kind: 'scalar', value: literal.map((c) => unescapeHcl(c!.text)).join(''), loc };
      }
      case 'collection_value':
        return node.namedChildren[0] ? this.expr(node.namedChildren[0]) : unresolved();
      case 'tuple':
        return {
          kind: 'array',
          loc,
          items: node.namedChildren.filter((c): c is TsNode => c?.type === 'expression').map((c) => this.expr(c)),
        };
      case 'object': {
        const out: ObjectNode = { kind: 'object', entries: [], loc };
        for (const elem of node.namedChildren) {
          if (elem?.type !== 'object_elem') continue;
          const keyNode = elem.childForFieldName('key');
          const valNode = elem.childForFieldName('val');
          const key = keyNode ? this.objectKey(keyNode) : undefined;
          if (key === undefined || !valNode) {
            out.partial = true;
            continue;
          }
          out.entries.push({ key, keyLoc: this.loc(elem), node: this.expr(valNode) });
        }
        return out;
      }
      case 'function_call':
        return this.call(node) ?? unresolved();
      case 'variable_expr':
        return unresolved();
      case 'operation': {
        // `-1`
        const inner = node.namedChildren[0];
        if (inner?.type === 'unary_operation' && /^-\s*\d/.test(inner.text)) return { kind: 'scalar', value: Number(inner.text.replace(/\s+/g, '')), loc };
        return unresolved();
      }
      default:
        return unresolved();
    }
  }

  private objectKey(keyExpr: TsNode): string | undefined {
    const kids = keyExpr.namedChildren.filter((c): c is TsNode => c !== null);
    if (kids.length !== 1) return undefined;
    const k = kids[0];
    if (k.type === 'variable_expr') return k.text;
    if (k.type === 'literal_value' && k.namedChildren[0]?.type === 'string_lit') return stringLitValue(k.namedChildren[0]);
    if (k.type === 'template_expr') {
      const v = this.expr(k);
      return v.kind === 'scalar' ? String(v.value) : undefined;
    }
    return undefined;
  }

  private call(node: TsNode): InfraNode | undefined {
    const name = node.namedChildren[0]?.text;
    const args = node.namedChildren.find((c) => c?.type === 'function_arguments')?.namedChildren.filter((c): c is TsNode => c?.type === 'expression') ?? [];
    if ((name === 'jsonencode' || name === 'tolist' || name === 'toset') && args.length === 1) return this.expr(args[0]);
    if (name === 'concat' || name === 'merge') {
      // Lists concatenated / objects merged from parts the audit can read; one unknown part makes the result partial.
      const parts = args.map((a) => this.expr(a));
      const loc = this.loc(node);
      if (name === 'concat') {
        const out: InfraNode = { kind: 'array', items: [], loc };
        for (const p of parts) {
          if (p.kind === 'array') {
            out.items.push(...p.items);
            if (p.partial) out.partial = true;
          } else out.partial = true;
        }
        return out;
      }
      const out: ObjectNode = { kind: 'object', entries: [], loc };
      for (const p of parts) {
        if (p.kind === 'object') {
          out.entries.push(...p.entries);
          if (p.partial) out.partial = true;
        } else out.partial = true;
      }
      return out;
    }
    if ((name === 'file' || name === 'templatefile') && args.length >= 1) {
      const path = this.pathArgument(args[0]);
      if (path === undefined) return undefined;
      const text = this.model.files.read(path);
      if (text === undefined) return { kind: 'unresolved', text: `${name}("${path}") (file not in the repository)`, loc: this.loc(node) };
      const parsed = parseJsonTree(text, path, { templateStrings: name === 'templatefile' });
      // A template that puts `${…}` outside JSON strings only becomes JSON at apply time.
      if (!parsed.root) return { kind: 'unresolved', text: `${name}("${path}")`, loc: this.loc(node) };
      return parsed.root;
    }
    return undefined;
  }

  /** `"${path.module}/task.json"` → repo-relative path. */
  private pathArgument(arg: TsNode): string | undefined {
    const t = arg.namedChildren[0];
    if (!t) return undefined;
    const dir = posix.dirname(this.file) === '.' ? '' : posix.dirname(this.file);
    let text = '';
    const tpl = t.type === 'template_expr' ? t.namedChildren[0] : t.type === 'literal_value' ? t.namedChildren[0] : undefined;
    if (!tpl) return undefined;
    for (const part of tpl.namedChildren) {
      if (!part) continue;
      if (part.type === 'template_literal') text += unescapeHcl(part.text);
      else if (part.type === 'template_interpolation') {
        const inner = part.namedChildren.find((c) => c?.type === 'expression')?.text.trim();
        if (inner === 'path.module' || inner === 'path.root' || inner === 'path.cwd') text += '.';
        else return undefined;
      }
    }
    // Relative paths are relative to the module's folder (path.module) or the root module's, which is the same folder here.
    const joined = text.startsWith('/') ? undefined : posix.normalize(posix.join(dir || '.', text));
    if (!joined || joined.startsWith('..')) return undefined;
    return joined.replace(/^\.\//, '');
  }
}

function dedent(text: string): string {
  const lines = text.split('\n');
  const indents = lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(min)).join('\n');
}
