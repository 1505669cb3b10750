import { allRules } from '../rules/index.js';
import { painter, shouldColor } from '../report/text.js';

export function runRulesCommand(options: { format?: string }): number {
  if (options.format === 'json') {
    process.stdout.write(JSON.stringify(allRules.map((r) => ({ id: r.id, severity: r.severity, title: r.title })), null, 2) + '\n');
    return 0;
  }
  const paint = painter(shouldColor(process.stdout));
  const width = Math.max(...allRules.map((r) => r.id.length), 10);
  for (const rule of allRules) {
    process.stdout.write(`${rule.id.padEnd(width)}  ${paint('dim', rule.severity.padEnd(8))}  ${rule.title}\n`);
  }
  process.stdout.write(paint('dim', `\n${allRules.length} rules. shipready explain <id> prints a rule's documentation.\n`));
  return 0;
}
