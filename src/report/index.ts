import type { AuditResult } from '../engine/audit.js';
import { renderJson } from './json.js';
import { renderText } from './text.js';

export interface RenderContext {
  color: boolean;
  verbose?: boolean;
}

/** One formatter per output format, all over the same audit result. */
export const formatters: Record<string, (result: AuditResult, context: RenderContext) => string> = {
  text: (result, context) => renderText(result, { color: context.color, verbose: context.verbose }),
  json: (result) => renderJson(result),
};
