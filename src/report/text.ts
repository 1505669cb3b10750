import type { AuditResult } from '../engine/audit.js';
import { lapsedWaivers } from '../engine/waivers.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';
import { VERSION } from '../version.js';

export interface TextOptions {
  color: boolean;
  /** List the rules that passed (default true). */
  showPassed?: boolean;
  /** Print timings per discoverer. */
  verbose?: boolean;
}

const CODES = { red: 31, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, green: 32, bold: 1, dim: 2 } as const;
type Style = keyof typeof CODES;

export function painter(enabled: boolean) {
  return (style: Style | Style[], text: string): string => {
    if (!enabled) return text;
    const styles = Array.isArray(style) ? style : [style];
    return styles.map((s) => `\u001b[${CODES[s]}m`).join('') + text + '\u001b[0m';
  };
}

/** Colour only when writing to a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  critical: ['bold', 'magenta'],
  high: ['bold', 'red'],
  medium: ['yellow'],
  low: ['blue'],
  info: ['gray'],
};

/** Related places printed under a finding; a root cause with more lists the rest in the JSON report. */
const RELATED_SHOWN = 6;

const GATE_STYLE = { PASS: 'green', CONCERNS: 'yellow', FAIL: 'red', WAIVED: 'cyan' } as const;

export function renderText(result: AuditResult, options: TextOptions): string {
  const paint = painter(options.color);
  const out: string[] = [];
  const rel = (file: string | null, line: number | null) => (file ? (line ? `${file}:${line}` : file) : '(repository)');
  out.push(
    paint('bold', `shipready ${VERSION}`) +
      paint('dim', ` · ${result.root} · ${result.stats.files} files, ${result.rulesRun} rules, ${Math.round(result.stats.durationMs)} ms`),
  );
  out.push('');
  for (const severity of SEVERITIES) {
    const group = result.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push(paint(SEVERITY_STYLE[severity], `${severity.toUpperCase()} (${group.length})`));
    for (const f of group) {
      const tags = [f.waiver ? paint('cyan', '[waived]') : '', f.baseline === 'new' ? paint('bold', '[new]') : f.baseline === 'open' ? paint('dim', '[still open]') : ''].filter(Boolean).join(' ');
      out.push(`  ${paint('bold', rel(f.file, f.line))}  ${paint('dim', f.ruleId)}${tags ? ' ' + tags : ''}`);
      out.push(`    ${f.message}`);
      const shown = f.related.length > RELATED_SHOWN + 1 ? f.related.slice(0, RELATED_SHOWN) : f.related;
      for (const r of shown) out.push(paint('dim', `    ↳ ${rel(r.file, r.line)}: ${r.message}`));
      if (shown.length < f.related.length) out.push(paint('dim', `    ↳ … ${f.related.length - shown.length} more (every place: --format json, or --no-group)`));
      out.push(`    ${paint('green', 'fix:')} ${f.fix}`);
      if (f.waiver) out.push(paint('cyan', `    waived: ${f.waiver.reason}${f.waiver.approvedBy ? ` (approved by ${f.waiver.approvedBy})` : ''}`));
      for (const lapsed of lapsedWaivers(f, result.waivers)) {
        out.push(paint('yellow', `    waiver expired on ${lapsed.waiver.expires} (${lapsed.waiver.source}): this finding counts again`));
      }
    }
    out.push('');
  }
  if (result.findings.length === 0) {
    out.push(paint('green', 'No findings.'));
    out.push('');
  }
  if (result.baseline && result.baseline.fixed.length > 0) {
    out.push(paint('green', `FIXED SINCE THE BASELINE (${result.baseline.fixed.length})`));
    for (const e of result.baseline.fixed) out.push(`  ${rel(e.file, e.line)}  ${paint('dim', e.ruleId)}  ${e.title}`);
    out.push('');
  }
  const unusedWaivers = result.waivers.filter((w) => w.state === 'active' && w.matched.length === 0);
  if (unusedWaivers.length > 0) {
    out.push(paint('yellow', `UNUSED WAIVERS (${unusedWaivers.length}) — they match no finding; remove them`));
    for (const w of unusedWaivers) out.push(`  ${w.waiver.source}  ${w.waiver.ruleId}${w.waiver.path ? ` ${w.waiver.path}` : ''}`);
    out.push('');
  }
  if (result.ignored.length > 0) {
    out.push(paint('dim', `IGNORED (${result.ignored.length})`));
    for (const i of result.ignored) {
      out.push(paint('dim', `  ${rel(i.finding.file, i.finding.line)}  ${i.finding.ruleId}: ${i.reason}`));
    }
    out.push('');
  }
  if (result.errors.length > 0) {
    out.push(paint('red', `RULE ERRORS (${result.errors.length}) — these checks did not run; please report them`));
    for (const e of result.errors) out.push(`  ${e.ruleId}: ${e.message.split('\n')[0]}`);
    out.push('');
  }
  if (options.showPassed !== false && result.passed.length > 0) {
    out.push(paint('green', `PASSED (${result.passed.length})`));
    out.push(wrap(result.passed.join(', '), 96, '  ').map((l) => paint('dim', l)).join('\n'));
    out.push('');
  }
  if (options.verbose) {
    out.push(paint('dim', 'timings: ' + result.stats.timings.map((t) => `${t.name} ${t.ms.toFixed(1)}ms`).join(', ')));
    out.push('');
  }
  const s = result.summary;
  const counts = SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(', ');
  out.push(
    `${paint(['bold', GATE_STYLE[result.gate.status]], `Gate: ${result.gate.status}`)}  score ${result.gate.score}/100 · ${counts} · fails on ${result.gate.failOn} and above`,
  );
  if (result.baseline) {
    const b = result.baseline;
    out.push(paint('dim', `Since the baseline ${b.source}: ${b.fixed.length} fixed, ${b.open} still open, ${b.new} new`));
  }
  return out.join('\n') + '\n';
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = indent;
  for (const word of text.split(' ')) {
    if (current.length + word.length + 1 > width && current.trim()) {
      lines.push(current.trimEnd());
      current = indent;
    }
    current += word + ' ';
  }
  if (current.trim()) lines.push(current.trimEnd());
  return lines;
}
