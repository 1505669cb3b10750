import jsonc from 'jsonc-parser';
import { LineMap, type Loc } from '../model/location.js';

export type JsonPath = (string | number)[];

/** A parsed JSON document that can say where each value was written. */
export interface JsonDocument {
  file: string;
  value: unknown;
  /** Syntax errors, each with its place. A document with errors may still hold a partial value. */
  errors: { message: string; loc: Loc }[];
  /** Place of the value at a path (for an object member: the line of its key), or of the nearest parent. */
  locOf(path: JsonPath): Loc;
}

export function parseJsonDocument(text: string, file: string, options: { allowComments?: boolean } = {}): JsonDocument {
  const lines = new LineMap(text);
  const parseErrors: jsonc.ParseError[] = [];
  const root = jsonc.parseTree(text, parseErrors, {
    allowTrailingComma: options.allowComments ?? false,
    disallowComments: !(options.allowComments ?? false),
  });
  const at = (offset: number): Loc => ({ file, line: lines.line(offset), column: lines.column(offset) });
  const errors = parseErrors.map((e) => ({
    message: `${describeError(e.error)} at line ${lines.line(e.offset)}`,
    loc: at(e.offset),
  }));
  return {
    file,
    value: root ? jsonc.getNodeValue(root) : undefined,
    errors,
    locOf(path) {
      if (!root) return { file, line: 1 };
      for (let n = path.length; n >= 0; n--) {
        const node = jsonc.findNodeAtLocation(root, path.slice(0, n));
        if (!node) continue;
        // For object members, point at the key, where a reader looks.
        const target = node.parent?.type === 'property' ? node.parent : node;
        return at(target.offset);
      }
      return at(root.offset);
    },
  };
}

function describeError(code: jsonc.ParseErrorCode): string {
  const name = jsonc.printParseErrorCode(code);
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
