import type { AuditResult } from '../engine/audit.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderPrompt } from './prompt.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export interface RenderContext {
  color: boolean;
  verbose?: boolean;
}

/** One formatter per output format, all over the same audit result. */
export const formatters: Record<string, (result: AuditResult, context: RenderContext) => string> = {
  text: (result, context) => renderText(result, { color: context.color, verbose: context.verbose }),
  json: (result) => renderJson(result),
  sarif: (result) => renderSarif(result),
  markdown: (result) => renderMarkdown(result),
  prompt: (result) => renderPrompt(result),
  html: (result) => renderHtml(result),
};
