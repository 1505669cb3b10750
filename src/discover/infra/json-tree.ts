import jsonc from 'jsonc-parser';
import { LineMap, type Loc } from '../../model/location.js';
import type { InfraNode } from './tree.js';

/**
 * JSON text → located tree. CloudFormation intrinsic functions (`{"Ref": …}`, `{"Fn::…": …}`)
 * become unresolved values, rendered as text so a literal suffix such as `:latest` stays visible.
 */
export function parseJsonTree(
  text: string,
  file: string,
  options: { lineOffset?: number; templateStrings?: boolean } = {},
): { root?: InfraNode; error?: { message: string; loc: Loc } } {
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const lines = new LineMap(text);
  const offset = options.lineOffset ?? 0;
  const at = (o: number): Loc => ({ file, line: lines.line(o) + offset });
  if (errors.length > 0 || !tree) {
    const e = errors[0];
    const o = e?.offset ?? 0;
    return {
      error: {
        message: `${e ? jsonc.printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : 'empty document'} at line ${lines.line(o) + offset}`,
        loc: at(o),
      },
    };
  }
  return { root: convert(tree, at, options.templateStrings ?? false) };
}

function convert(node: jsonc.Node, at: (o: number) => Loc, templateStrings: boolean): InfraNode {
  const loc = at(node.offset);
  switch (node.type) {
    case 'object': {
      const props = node.children ?? [];
      if (props.length === 1) {
        const key = props[0].children?.[0]?.value as string;
        if (key === 'Ref' || key?.startsWith('Fn::')) {
          const value = jsonc.getNodeValue(node);
          return { kind: 'unresolved', text: renderIntrinsic(value), ref: intrinsicRef(value), loc };
        }
      }
      return {
        kind: 'object',
        loc,
        entries: props.flatMap((p) => {
          const [k, v] = p.children ?? [];
          if (!k || !v) return [];
          return [{ key: String(k.value), keyLoc: at(p.offset), node: convert(v, at, templateStrings) }];
        }),
      };
    }
    case 'array':
      return { kind: 'array', loc, items: (node.children ?? []).map((c) => convert(c, at, templateStrings)) };
    case 'string':
      // A templatefile() body: `${…}` inside a string is filled in at apply time.
      if (templateStrings && /\$\{[^}]*\}/.test(node.value)) return { kind: 'unresolved', text: node.value, loc };
      return { kind: 'scalar', value: node.value as string, loc };
    case 'number':
    case 'boolean':
      return { kind: 'scalar', value: node.value as number | boolean, loc };
    default:
      return { kind: 'scalar', value: null, loc };
  }
}

/** The logical id a `Ref`/`Fn::GetAtt` names. */
export function intrinsicRef(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Readable text of an intrinsic: `Fn::Join` of literals keeps its literal parts. */
export function renderIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (v['Fn::GetAtt'] !== undefined) {
    const g = v['Fn::GetAtt'];
    return `\${${Array.isArray(g) ? g.join('.') : String(g)}}`;
  }
  if (v['Fn::Sub'] !== undefined) {
    const s = v['Fn::Sub'];
    return typeof s === 'string' ? s : Array.isArray(s) && typeof s[0] === 'string' ? s[0] : '${Fn::Sub}';
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [unknown, unknown];
    if (typeof sep === 'string' && Array.isArray(parts)) return parts.map((p) => (typeof p === 'string' ? p : renderIntrinsic(p).startsWith('${') ? renderIntrinsic(p) : `\${${renderIntrinsic(p)}}`)).join(sep);
  }
  const key = Object.keys(v)[0];
  return `\${${key}}`;
}
