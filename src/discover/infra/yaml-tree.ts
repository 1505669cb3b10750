import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import type { Loc } from '../../model/location.js';
import type { InfraNode } from './tree.js';

/** CloudFormation short-form intrinsic functions, in their scalar, sequence and mapping forms. */
const CFN_FUNCTIONS = [
  'Ref', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'ImportValue', 'FindInMap', 'Base64',
  'Cidr', 'GetAZs', 'Equals', 'Not', 'And', 'Or', 'Condition', 'Transform', 'ToJsonString', 'Length',
];

const CUSTOM_TAGS = CFN_FUNCTIONS.flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => s },
  { tag: `!${name}`, collection: 'seq' as const, nodeClass: YAMLSeq, resolve: (s: unknown) => s },
  { tag: `!${name}`, collection: 'map' as const, nodeClass: YAMLMap, resolve: (s: unknown) => s },
]);

/** YAML text (CloudFormation/SAM) → located tree; intrinsic functions become unresolved values. */
export function parseYamlTree(text: string, file: string): { root?: InfraNode; error?: { message: string; loc: Loc } } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, customTags: CUSTOM_TAGS, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    return { error: { message: err.message.split('\n')[0], loc: { file, line: pos.line, column: pos.col } } };
  }
  const at = (node: { range?: [number, number, number] | null } | null | undefined): Loc => ({
    file,
    line: lineCounter.linePos(node?.range?.[0] ?? 0).line,
  });
  const convert = (node: unknown): InfraNode => {
    const n = node as YamlNode | null;
    if (!n) return { kind: 'scalar', value: null, loc: { file, line: 1 } };
    const loc = at(n as { range?: [number, number, number] });
    if (isAlias(n)) return convert(n.resolve(doc) ?? null);
    const tag = (n as { tag?: string }).tag;
    if (tag && tag.startsWith('!') && CFN_FUNCTIONS.includes(tag.slice(1))) {
      const name = tag.slice(1);
      const plain = plainChildren(n);
      return { kind: 'unresolved', text: render(name, plain), ref: refOf(name, plain), loc };
    }
    if (isMap(n)) {
      // Long-form intrinsics: { Ref: X }, { 'Fn::GetAtt': [...] }.
      if (n.items.length === 1 && isScalar(n.items[0].key)) {
        const key = String(n.items[0].key.value);
        if (key === 'Ref' || key.startsWith('Fn::')) {
          const name = key === 'Ref' ? 'Ref' : key.slice(4);
          const plain = plainOf(n.items[0].value);
          return { kind: 'unresolved', text: render(name, plain), ref: refOf(name, plain), loc };
        }
      }
      return {
        kind: 'object',
        loc,
        entries: n.items.flatMap((pair) => {
          if (!isPair(pair) || !isScalar(pair.key)) return [];
          return [{ key: String(pair.key.value), keyLoc: at(pair.key), node: convert(pair.value) }];
        }),
      };
    }
    if (isSeq(n)) return { kind: 'array', loc, items: n.items.map((i) => convert(i)) };
    if (isScalar(n)) {
      const v = n.value;
      return { kind: 'scalar', value: typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === null ? null : String(v), loc };
    }
    return { kind: 'scalar', value: null, loc };
  };
  return { root: convert(doc.contents) };
}

function refOf(name: string, value: unknown): string | undefined {
  if (name === 'Ref' && typeof value === 'string') return value;
  if (name === 'GetAtt') {
    if (typeof value === 'string') return value.split('.')[0];
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/** Plain value of a YAML node where nested intrinsics are kept as `${…}` text. */
function plainOf(node: unknown): unknown {
  const n = node as YamlNode | null;
  if (!n) return null;
  const tag = (n as { tag?: string }).tag;
  if (tag && tag.startsWith('!') && CFN_FUNCTIONS.includes(tag.slice(1))) return render(tag.slice(1), plainChildren(n));
  return plainChildren(n);
}

function plainChildren(n: YamlNode): unknown {
  if (isSeq(n)) return n.items.map(plainOf);
  if (isMap(n)) {
    if (n.items.length === 1 && isScalar(n.items[0].key)) {
      const key = String(n.items[0].key.value);
      if (key === 'Ref' || key.startsWith('Fn::')) return render(key === 'Ref' ? 'Ref' : key.slice(4), plainOf(n.items[0].value));
    }
    return Object.fromEntries(n.items.flatMap((p) => (isPair(p) && isScalar(p.key) ? [[String(p.key.value), plainOf(p.value)]] : [])));
  }
  if (isScalar(n)) return n.value;
  return null;
}

function render(name: string, value: unknown): string {
  if (name === 'Ref' && typeof value === 'string') return `\${${value}}`;
  if (name === 'GetAtt') return `\${${Array.isArray(value) ? value.join('.') : String(value)}}`;
  if (name === 'Sub') return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '${Fn::Sub}';
  if (name === 'Join' && Array.isArray(value) && typeof value[0] === 'string' && Array.isArray(value[1])) {
    return (value[1] as unknown[]).map((p) => (typeof p === 'string' ? p : '${…}')).join(value[0]);
  }
  return `\${Fn::${name}}`;
}
