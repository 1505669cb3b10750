import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Rule docs live beside each rule as `src/rules/<area>/<name>.md`. This module sits two levels
 * below the package root both as source (src/rules) and built (dist/rules), so the same relative
 * path finds the Markdown in either case.
 */
const docsRoot = fileURLToPath(new URL('../../src/rules/', import.meta.url));

export const DOC_SECTIONS = ['What it does', 'Why it breaks on ECS', 'Example', 'Fix'] as const;

export function ruleDocPath(ruleId: string): string {
  return docsRoot + ruleId + '.md';
}

const cache = new Map<string, string | undefined>();

export function readRuleDoc(ruleId: string): string | undefined {
  if (!cache.has(ruleId)) {
    let text: string | undefined;
    try {
      text = readFileSync(ruleDocPath(ruleId), 'utf8');
    } catch {
      text = undefined;
    }
    cache.set(ruleId, text);
  }
  return cache.get(ruleId);
}

/** The body of one `## Heading` section of a rule doc, trimmed. */
export function docSection(doc: string, heading: string): string | undefined {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim().toLowerCase() === `## ${heading}`.toLowerCase());
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  return lines.slice(start + 1, end).join('\n').trim();
}
