import type { AuditResult } from '../engine/audit.js';
import { VERSION } from '../version.js';
import { toServiceJson } from './services.js';

/**
 * The JSON report: the stable contract other tools consume (schema/report.schema.json). Fields
 * beyond the contract (services, ignored, passed, errors, stats) are additions, never renames.
 */
export function toJsonReport(result: AuditResult): object {
  return {
    tool: { name: 'shipready', version: VERSION },
    root: result.root,
    gate: { status: result.gate.status, score: result.gate.score, failOn: result.gate.failOn },
    summary: result.summary,
    findings: result.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      title: f.title,
      message: f.message,
      file: f.file,
      line: f.line,
      ...(f.column ? { column: f.column } : {}),
      related: f.related.map((r) => ({ file: r.file, line: r.line, message: r.message })),
      fix: f.fix,
      fingerprint: f.fingerprint,
      ...(f.occurrences ? { occurrences: f.occurrences } : {}),
      ...(f.waiver ? { waiver: f.waiver } : {}),
      ...(f.baseline ? { baseline: f.baseline } : {}),
    })),
    services: result.model.services.map(toServiceJson),
    ignored: result.ignored.map((i) => ({
      ruleId: i.finding.ruleId,
      file: i.finding.file,
      line: i.finding.line,
      reason: i.reason,
      comment: i.comment,
      fingerprint: i.finding.fingerprint,
    })),
    passed: result.passed,
    errors: result.errors,
    config: result.config.file,
    waivers: result.waivers.map((w) => ({ ...w.waiver, state: w.state, matched: w.matched })),
    ...(result.baseline ? { baseline: result.baseline } : {}),
    stats: {
      files: result.stats.files,
      rules: result.rulesRun,
      durationMs: Math.round(result.stats.durationMs),
    },
  };
}

export function renderJson(result: AuditResult): string {
  return JSON.stringify(toJsonReport(result), null, 2) + '\n';
}
