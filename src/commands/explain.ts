import { findRule, allRules } from '../rules/index.js';
import { readRuleDoc } from '../rules/docs.js';
import { UsageError } from '../cli/errors.js';

export function runExplainCommand(ruleId: string): number {
  const rule = findRule(ruleId);
  if (!rule) {
    const close = allRules.filter((r) => r.id.includes(ruleId) || ruleId.includes(r.id.split('/')[1] ?? '')).map((r) => r.id);
    throw new UsageError(`no rule "${ruleId}"${close.length ? `; did you mean ${close.slice(0, 3).join(', ')}?` : ''} (shipready rules lists them)`);
  }
  const doc = readRuleDoc(rule.id);
  process.stdout.write(`${rule.id} · ${rule.severity} · ${rule.title}\n\n`);
  process.stdout.write(doc ? doc.trimEnd() + '\n' : '(no documentation found)\n');
  return 0;
}
