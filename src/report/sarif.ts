import { pathToFileURL } from 'node:url';
import type { AuditResult } from '../engine/audit.js';
import type { Finding } from '../engine/finding.js';
import { docSection, readRuleDoc } from '../rules/docs.js';
import { findRule } from '../rules/index.js';
import type { RelatedLocation, Severity } from '../rules/rule.js';
import { VERSION } from '../version.js';

/**
 * SARIF 2.1.0 as GitHub code scanning ingests it: one run, a rule descriptor per rule that
 * reported (help from the rule's doc), results with a physical location, related locations for
 * the other side of cross-file problems, and a partial fingerprint so alerts survive line moves.
 * Validated against the vendored OASIS schema in test/report-sarif.test.ts.
 */

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Where relative artifact URIs are rooted: the audited repository (GitHub maps it to the checkout). */
const SRCROOT = '%SRCROOT%';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/**
 * GitHub ranks security alerts by `security-severity` (a CVSS-like score): over 9.0 is critical,
 * 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. Only rules marked `security: true` carry it.
 */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

/** GitHub's `problem.severity` for non-security rules: error, warning or recommendation. */
const PROBLEM_SEVERITY: Record<Severity, string> = { critical: 'error', high: 'error', medium: 'warning', low: 'recommendation', info: 'recommendation' };

function uri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** GitHub wants a region with a start line on every location; a whole-file finding points at line 1. */
function physicalLocation(file: string, line: number | null, column?: number) {
  return {
    artifactLocation: { uri: uri(file), uriBaseId: SRCROOT },
    region: { startLine: line ?? 1, ...(line && column ? { startColumn: column } : {}) },
  };
}

/**
 * GitHub requires every result to have a location. A repository-level finding (a missing file, a
 * missing Dependabot config) is anchored on its first related location when it has one, else on
 * the root package.json, else on the first file of the repository.
 */
function anchorFor(f: Finding, result: AuditResult): { file: string; line: number | null } | undefined {
  if (f.related[0]) return { file: f.related[0].file, line: f.related[0].line };
  if (result.model.files.has('package.json')) return { file: 'package.json', line: 1 };
  const first = result.model.files.paths[0];
  return first ? { file: first, line: 1 } : undefined;
}

function descriptor(ruleId: string) {
  const rule = findRule(ruleId);
  const doc = readRuleDoc(ruleId);
  const severity = rule?.severity ?? 'medium';
  const what = doc ? docSection(doc, 'What it does') : undefined;
  const title = rule?.title ?? ruleId;
  // Tags must be unique (the schema says so): the "ecs" area would repeat the "ecs" tag.
  const tags = [...new Set(['ecs', 'deployment', ruleId.split('/')[0], ...(rule?.security ? ['security'] : [])])];
  return {
    id: ruleId,
    name: ruleId.split('/').pop()!,
    shortDescription: { text: title },
    fullDescription: { text: plain(what ?? title) },
    ...(doc ? { help: { text: plain(doc), markdown: doc } } : {}),
    defaultConfiguration: { level: LEVEL[severity] },
    properties: {
      tags,
      precision: 'high',
      'problem.severity': PROBLEM_SEVERITY[severity],
      ...(rule?.security ? { 'security-severity': SECURITY_SEVERITY[severity] } : {}),
    },
  };
}

/** Markdown to plain text, for viewers that show `text` only: drop heading marks and code fences. */
function plain(markdown: string): string {
  return markdown
    .split('\n')
    .filter((l) => !l.startsWith('```'))
    .map((l) => l.replace(/^#+\s*/, ''))
    .join('\n')
    .trim();
}

function relatedLocations(related: RelatedLocation[]) {
  return related.map((r, i) => ({
    id: i + 1,
    physicalLocation: physicalLocation(r.file, r.line, r.column),
    message: { text: r.message },
  }));
}

export function toSarif(result: AuditResult): object {
  const suppressed = result.ignored.map((i) => ({ finding: i.finding, suppression: { kind: 'inSource', justification: i.reason } }));
  const all = [
    ...result.findings.map((f) => ({
      finding: f,
      suppression: f.waiver ? { kind: 'external', status: 'accepted', justification: `${f.waiver.reason}${f.waiver.approvedBy ? ` (approved by ${f.waiver.approvedBy})` : ''}` } : undefined,
    })),
    ...suppressed,
  ];
  // Every rule that ran gets a descriptor, not only those that reported: code scanning then knows
  // a rule ran clean and closes its alerts, instead of treating it as gone.
  const ruleIds = [...new Set([...all.map((a) => a.finding.ruleId), ...result.passed, ...result.errors.map((e) => e.ruleId)])].sort();
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const results = all.map(({ finding: f, suppression }) => {
    const anchor = f.file ? { file: f.file, line: f.line } : anchorFor(f, result);
    const where = f.file ? '' : ' (repository-level finding)';
    return {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId)!,
      level: LEVEL[f.severity],
      message: { text: `${f.message}${where}\n\nFix: ${f.fix}` },
      ...(anchor ? { locations: [{ physicalLocation: physicalLocation(anchor.file, anchor.line, f.file ? f.column : undefined) }] } : {}),
      ...(f.related.length ? { relatedLocations: relatedLocations(f.related) } : {}),
      partialFingerprints: { 'shipready/v1': f.fingerprint },
      ...(f.baseline ? { baselineState: f.baseline === 'new' ? 'new' : 'unchanged' } : {}),
      ...(suppression ? { suppressions: [suppression] } : {}),
      properties: { severity: f.severity, title: f.title },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'shipready',
            version: VERSION,
            semanticVersion: VERSION,
            rules: ruleIds.map(descriptor),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(result.root.endsWith('/') ? result.root : result.root + '/').href } },
        invocations: [
          {
            executionSuccessful: result.errors.length === 0,
            ...(result.errors.length
              ? {
                  toolExecutionNotifications: result.errors.map((e) => ({
                    level: 'error',
                    message: { text: `rule ${e.ruleId} failed and did not run: ${e.message.split('\n')[0]}` },
                    associatedRule: { id: e.ruleId },
                  })),
                }
              : {}),
          },
        ],
        columnKind: 'utf16CodeUnits',
        results,
        properties: { gate: result.gate, summary: result.summary },
      },
    ],
  };
}

export function renderSarif(result: AuditResult): string {
  return JSON.stringify(toSarif(result), null, 2) + '\n';
}
