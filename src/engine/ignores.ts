import type { FileIndex } from '../discover/files.js';
import type { Finding, IgnoredFinding } from './finding.js';

/**
 * `shipready-ignore <ruleId>[, <ruleId>…]: <reason>` in a comment of any syntax that has one
 * (`#`, `//`, `--`, `/* … *\/`, `<!-- … -->`), on the line before the finding or at the end of its line.
 */
const IGNORE_COMMENT =
  /(?:#|\/\/|--|\/\*|<!--)\s*shipready-ignore\s+([\w./-]+(?:\s*,\s*[\w./-]+)*)\s*(?::\s*(.*?))?\s*(?:\*\/|-->)?\s*$/;

export interface IgnoreDirective {
  ruleIds: string[];
  reason: string;
  line: number;
}

export function parseIgnoreComment(lineText: string, line: number): IgnoreDirective | undefined {
  const m = IGNORE_COMMENT.exec(lineText);
  if (!m) return undefined;
  return { ruleIds: m[1].split(',').map((s) => s.trim()), reason: (m[2] ?? '').trim(), line };
}

/**
 * Splits findings into kept and ignored. An ignore comment without a reason does not apply; the
 * finding stays and its message says why.
 */
export function applyInlineIgnores(
  findings: Finding[],
  files: FileIndex,
): { kept: Finding[]; ignored: IgnoredFinding[] } {
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  const linesCache = new Map<string, string[] | undefined>();
  const linesOf = (file: string) => {
    if (!linesCache.has(file)) linesCache.set(file, files.read(file)?.split('\n'));
    return linesCache.get(file);
  };
  for (const finding of findings) {
    if (!finding.file || !finding.line) {
      kept.push(finding);
      continue;
    }
    const lines = linesOf(finding.file);
    let directive: IgnoreDirective | undefined;
    if (lines) {
      for (const ln of [finding.line - 1, finding.line]) {
        const text = lines[ln - 1];
        if (text === undefined) continue;
        const d = parseIgnoreComment(text, ln);
        if (d && d.ruleIds.some((id) => id === finding.ruleId || id === 'all')) {
          directive = d;
          break;
        }
      }
    }
    if (!directive) kept.push(finding);
    else if (!directive.reason) {
      kept.push({
        ...finding,
        message: `${finding.message} (the shipready-ignore comment at line ${directive.line} gives no reason, so it does not apply: write "shipready-ignore ${finding.ruleId}: <why this is acceptable>")`,
      });
    } else {
      ignored.push({ finding, reason: directive.reason, comment: `${finding.file}:${directive.line}` });
    }
  }
  return { kept, ignored };
}
