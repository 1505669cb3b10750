import type { Loc } from '../../model/location.js';
import { isUnresolved, type InfraValue, type Unresolved } from '../../model/infra.js';

/**
 * Every IaC format is first turned into this small tree of located values: JSON objects, YAML maps
 * with CloudFormation tags, evaluated HCL expressions, CDK object literals. The builders of the
 * model (build.ts) then read one shape, whatever the format.
 *
 * Keys are looked up ignoring case and underscores, so `containerPort` (task definition JSON),
 * `ContainerPort` (CloudFormation) and `container_port` (Terraform blocks) are the same key.
 */
export type InfraNode = ObjectNode | ArrayNode | ScalarNode | UnresolvedNode;

export interface ObjectNode {
  kind: 'object';
  entries: { key: string; keyLoc: Loc; node: InfraNode }[];
  /** Some members are spreads or computed keys: absent keys may still be set. */
  partial?: boolean;
  loc: Loc;
}

export interface ArrayNode {
  kind: 'array';
  items: InfraNode[];
  /** Some items are spreads or expressions that produce several items. */
  partial?: boolean;
  loc: Loc;
}

export interface ScalarNode {
  kind: 'scalar';
  value: string | number | boolean | null;
  loc: Loc;
}

export interface UnresolvedNode {
  kind: 'unresolved';
  text: string;
  ref?: string;
  /** A heredoc with `${…}` interpolations: its raw body, which may still be JSON with templated strings. */
  template?: { body: string; line: number };
  loc: Loc;
}

export function normalizeKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

export function entry(node: InfraNode | undefined, key: string): { key: string; keyLoc: Loc; node: InfraNode } | undefined {
  if (!node || node.kind !== 'object') return undefined;
  const k = normalizeKey(key);
  // The last one wins, as in JSON.parse and HCL (duplicates are an error there, but be tolerant).
  for (let i = node.entries.length - 1; i >= 0; i--) if (normalizeKey(node.entries[i].key) === k) return node.entries[i];
  return undefined;
}

/** Member of an object by key (case- and underscore-insensitive). */
export function get(node: InfraNode | undefined, ...keys: string[]): InfraNode | undefined {
  let cur = node;
  for (const key of keys) {
    cur = entry(cur, key)?.node;
    if (!cur) return undefined;
  }
  return cur;
}

/** Every member with this key (Terraform repeats blocks: several `condition { }`). */
export function getAll(node: InfraNode | undefined, key: string): InfraNode[] {
  if (!node || node.kind !== 'object') return [];
  const k = normalizeKey(key);
  return node.entries.filter((e) => normalizeKey(e.key) === k).map((e) => e.node);
}

/** Line of the member's key, or of the node itself. */
export function locOf(parent: InfraNode, key: string): Loc {
  return entry(parent, key)?.keyLoc ?? parent.loc;
}

export function unresolvedOf(node: InfraNode): Unresolved {
  if (node.kind === 'unresolved') return node.ref ? { unresolved: node.text, ref: node.ref } : { unresolved: node.text };
  return { unresolved: node.kind === 'object' ? '{…}' : node.kind === 'array' ? '[…]' : String(node.value) };
}

/** A string value: literals of any scalar type are turned into text (`"3000"`, `3000`). */
export function str(parent: InfraNode | undefined, key: string): InfraValue<string> | undefined {
  if (!parent) return undefined;
  const e = entry(parent, key);
  if (!e) return undefined;
  return asString(e.node, e.keyLoc);
}

export function asString(node: InfraNode, loc: Loc = node.loc): InfraValue<string> | undefined {
  if (node.kind === 'scalar') return node.value === null ? undefined : { value: String(node.value), loc };
  return { value: unresolvedOf(node), loc };
}

/** A number: numeric literals and numeric strings (`"256"`), else unresolved. */
export function num(parent: InfraNode | undefined, key: string): InfraValue<number> | undefined {
  if (!parent) return undefined;
  const e = entry(parent, key);
  if (!e) return undefined;
  return asNumber(e.node, e.keyLoc);
}

export function asNumber(node: InfraNode, loc: Loc = node.loc): InfraValue<number> | undefined {
  if (node.kind === 'scalar') {
    if (node.value === null) return undefined;
    if (typeof node.value === 'number') return { value: node.value, loc };
    if (typeof node.value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(node.value)) return { value: Number(node.value), loc };
    return { value: { unresolved: String(node.value) }, loc };
  }
  return { value: unresolvedOf(node), loc };
}

export function bool(parent: InfraNode | undefined, key: string): InfraValue<boolean> | undefined {
  if (!parent) return undefined;
  const e = entry(parent, key);
  if (!e) return undefined;
  const node = e.node;
  if (node.kind === 'scalar') {
    if (typeof node.value === 'boolean') return { value: node.value, loc: e.keyLoc };
    if (node.value === 'true' || node.value === 'false') return { value: node.value === 'true', loc: e.keyLoc };
  }
  return { value: unresolvedOf(node), loc: e.keyLoc };
}

/** A list of strings; a single string counts as a list of one (IAM `Action: "s3:*"`). */
export function strList(parent: InfraNode | undefined, key: string): { items: InfraValue<string>[]; complete: boolean; loc: Loc } | undefined {
  if (!parent) return undefined;
  const e = entry(parent, key);
  if (!e) return undefined;
  return asStringList(e.node, e.keyLoc);
}

export function asStringList(node: InfraNode, loc: Loc = node.loc): { items: InfraValue<string>[]; complete: boolean; loc: Loc } {
  if (node.kind === 'array') {
    const items: InfraValue<string>[] = [];
    for (const item of node.items) {
      const v = asString(item);
      if (v) items.push(v);
    }
    return { items, complete: !node.partial, loc };
  }
  if (node.kind === 'scalar') return { items: node.value === null ? [] : [{ value: String(node.value), loc }], complete: true, loc };
  return { items: [], complete: false, loc };
}

/** A list of strings as one value (a command): unresolved when any part is. */
export function commandValue(parent: InfraNode | undefined, key: string): InfraValue<string[]> | undefined {
  const list = strList(parent, key);
  if (!list) return undefined;
  if (!list.complete || list.items.some((i) => isUnresolved(i.value))) {
    const text = list.items.map((i) => (isUnresolved(i.value) ? i.value.unresolved : i.value)).join(' ');
    return { value: { unresolved: text || 'expression' }, loc: list.loc };
  }
  return { value: list.items.map((i) => i.value as string), loc: list.loc };
}

export function items(node: InfraNode | undefined): { list: InfraNode[]; complete: boolean } {
  if (!node) return { list: [], complete: true };
  if (node.kind === 'array') return { list: node.items, complete: !node.partial };
  if (node.kind === 'object') return { list: [node], complete: true };
  return { list: [], complete: false };
}

/** The resource a reference names (`aws_lb_target_group.api`, `ApiTargetGroup`), when the node is one. */
export function refOf(node: InfraNode | undefined): string | undefined {
  return node?.kind === 'unresolved' ? node.ref : undefined;
}

/** Literal string of a node, if it is one. */
export function literal(node: InfraNode | undefined): string | undefined {
  if (node?.kind !== 'scalar' || node.value === null) return undefined;
  return String(node.value);
}
