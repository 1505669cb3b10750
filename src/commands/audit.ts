import { writeFileSync } from 'node:fs';
import { statSync } from 'node:fs';
import { audit } from '../engine/audit.js';
import { formatters } from '../report/index.js';
import { shouldColor } from '../report/text.js';
import { isSeverity, type Severity } from '../rules/rule.js';
import { UsageError } from '../cli/errors.js';

export interface AuditCommandOptions {
  format: string;
  failOn: string;
  output?: string;
  verbose?: boolean;
}

/** Runs the audit and prints the report; returns the exit code (1 when the gate fails). */
export async function runAuditCommand(dir: string, options: AuditCommandOptions): Promise<number> {
  if (!isSeverity(options.failOn)) throw new UsageError(`--fail-on must be one of critical, high, medium, low, info (got "${options.failOn}")`);
  const formatter = formatters[options.format];
  if (!formatter) throw new UsageError(`unknown --format "${options.format}"; one of: ${Object.keys(formatters).join(', ')}`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${dir} is not a folder`);
  const result = await audit(dir, { failOn: options.failOn as Severity });
  const toFile = Boolean(options.output);
  const rendered = formatter(result, { color: !toFile && shouldColor(process.stdout), verbose: options.verbose });
  if (options.output) writeFileSync(options.output, rendered);
  else process.stdout.write(rendered);
  return result.gate.status === 'FAIL' ? 1 : 0;
}
