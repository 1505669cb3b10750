import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { parseJsonDocument } from '../discover/json.js';
import { isSeverity, type Severity } from '../rules/rule.js';

/**
 * The configuration of an audit: `shipready.config.json` or `.shipready.yml` at the root of the
 * audited repository, or the file given with `--config`. Its schema is schema/config.schema.json
 * (documented in docs/config.md); this module validates against that schema, so the two never drift.
 */
export const CONFIG_FILE_NAMES = ['shipready.config.json', '.shipready.yml', '.shipready.yaml'] as const;

export interface WaiverSpec {
  ruleId: string;
  path?: string;
  fingerprint?: string;
  reason: string;
  approvedBy: string;
  approvedAt?: string;
  expires?: string;
  /** `file:line` of the waiver entry in the config file. */
  source: string;
}

export interface ShipreadyConfig {
  /** Path of the config file (relative to the audited root when inside it); null when there is none. */
  file: string | null;
  failOn?: Severity;
  /** Rules switched off with "off". */
  disabledRules: Set<string>;
  /** Severity that replaces a rule's own, per rule id. */
  severityOverrides: Map<string, Severity>;
  waivers: WaiverSpec[];
}

/**
 * A configuration that cannot be used: the audit stops (exit 2) rather than run with waivers or
 * overrides silently dropped, which would change the gate without anyone noticing.
 */
export class ConfigError extends Error {}

export function emptyConfig(): ShipreadyConfig {
  return { file: null, disabledRules: new Set(), severityOverrides: new Map(), waivers: [] };
}

/**
 * Finds and loads the configuration. `explicitPath` (from --config) is resolved against the
 * working directory; otherwise the audited root is searched for one of CONFIG_FILE_NAMES.
 */
export async function loadConfig(root: string, explicitPath?: string): Promise<ShipreadyConfig> {
  let absolute: string;
  if (explicitPath) {
    absolute = resolve(explicitPath);
    if (!existsSync(absolute)) throw new ConfigError(`config file ${explicitPath} does not exist`);
  } else {
    const found = CONFIG_FILE_NAMES.filter((name) => existsSync(join(root, name)));
    if (found.length === 0) return emptyConfig();
    if (found.length > 1) throw new ConfigError(`${found.join(' and ')} both exist in ${root}: keep one`);
    absolute = join(root, found[0]);
  }
  const rel = relative(root, absolute);
  const display = rel && !rel.startsWith('..') ? rel.split('\\').join('/') : absolute;
  return parseConfig(readFileSync(absolute, 'utf8'), display);
}

type Path = (string | number)[];

interface ParsedConfigText {
  value: unknown;
  lineOf(path: Path): number;
}

function parseText(text: string, file: string): ParsedConfigText {
  if (/\.ya?ml$/i.test(file)) {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      throw new ConfigError(`${file}:${lineCounter.linePos(err.pos[0]).line}: not valid YAML: ${err.message.split('\n')[0]}`);
    }
    return { value: doc.toJS() ?? {}, lineOf: (path) => yamlLine(doc, lineCounter, path) };
  }
  const doc = parseJsonDocument(text, file, { allowComments: true });
  if (doc.errors.length > 0) throw new ConfigError(`${file}:${doc.errors[0].loc.line}: not valid JSON: ${doc.errors[0].message}`);
  return { value: doc.value, lineOf: (path) => doc.locOf(path).line };
}

function yamlLine(doc: Document, lineCounter: LineCounter, path: Path): number {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

let validateConfigShape: ((value: unknown) => boolean) & { errors?: SchemaError[] | null } | undefined;

function pointerPath(pointer: string): Path {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** `file:line: where detail`, with `where` the path of the offending value (JSON pointer `instancePath`). */
function formatProblem(file: string, parsed: ParsedConfigText, instancePath: string, linePointer: string, detail: string): string {
  const path = pointerPath(instancePath);
  const where = path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') : 'the configuration';
  return `${file}:${parsed.lineOf(pointerPath(linePointer))}: ${where} ${detail}`;
}

const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../schema/config.schema.json', import.meta.url));

async function configValidator() {
  if (!validateConfigShape) {
    // Loaded only when a repository has a config file: most audits never pay for the compile.
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ allErrors: true, strict: true });
    validateConfigShape = ajv.compile(JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')));
  }
  return validateConfigShape;
}

export async function parseConfig(text: string, file: string): Promise<ShipreadyConfig> {
  const parsed = parseText(text, file);
  const validate = await configValidator();
  if (!validate(parsed.value)) {
    // One line per problem: oneOf/const/enum report the same bad value several times over.
    const problems = new Map<string, string>();
    for (const e of validate.errors ?? []) {
      let detail = e.message ?? 'is invalid';
      if (e.keyword === 'additionalProperties') detail = `has unknown key "${String(e.params.additionalProperty)}"`;
      else if (e.keyword === 'enum') detail = `must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
      else if (['oneOf', 'const'].includes(e.keyword)) detail = 'must be "off" or one of critical, high, medium, low, info';
      else if (e.keyword === 'pattern' && /\/(expires|approvedAt)$/.test(e.instancePath)) detail = 'must be a date (YYYY-MM-DD)';
      const perKey = e.keyword === 'required' || e.keyword === 'additionalProperties';
      const key = perKey ? `${e.instancePath} ${detail}` : e.instancePath;
      // An unknown key is reported at its own line, not at the line of the object holding it.
      const at = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}` : e.instancePath;
      if (!problems.has(key)) problems.set(key, formatProblem(file, parsed, e.instancePath, at, detail));
    }
    throw new ConfigError(`invalid configuration:\n  ${[...problems.values()].join('\n  ')}`);
  }
  const value = parsed.value as {
    failOn?: Severity;
    rules?: Record<string, string>;
    waivers?: Omit<WaiverSpec, 'source'>[];
  };
  const config = emptyConfig();
  config.file = file;
  config.failOn = value.failOn;
  for (const [ruleId, setting] of Object.entries(value.rules ?? {})) {
    if (setting === 'off') config.disabledRules.add(ruleId);
    else if (isSeverity(setting)) config.severityOverrides.set(ruleId, setting);
  }
  (value.waivers ?? []).forEach((w, i) => {
    for (const key of ['expires', 'approvedAt'] as const) {
      if (w[key] !== undefined && !isRealDate(w[key]!)) {
        throw new ConfigError(`${file}:${parsed.lineOf(['waivers', i, key])}: waivers[${i}].${key} "${w[key]}" is not a real date`);
      }
    }
    config.waivers.push({ ...w, source: `${file}:${parsed.lineOf(['waivers', i])}` });
  });
  return config;
}

/** Date.parse accepts 2026-02-30 (it rolls over to March); a waiver date must be a real day. */
function isRealDate(text: string): boolean {
  const [, y, m, d] = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? [];
  if (!y) return false;
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return day.getUTCMonth() === Number(m) - 1 && day.getUTCDate() === Number(d) && !Number.isNaN(Date.parse(text));
}

/**
 * Rule ids the configuration names that no rule has: a typo would silently waive or override
 * nothing, so the audit refuses it and suggests the closest id.
 */
export function checkRuleIds(config: ShipreadyConfig, knownIds: string[]): void {
  const known = new Set(knownIds);
  const named = [
    ...[...config.disabledRules, ...config.severityOverrides.keys()].map((id) => ({ id, where: `${config.file}: rules` })),
    ...config.waivers.map((w) => ({ id: w.ruleId, where: `${w.source}: waiver` })),
  ];
  for (const { id, where } of named) {
    if (known.has(id)) continue;
    const suggestion = closest(id, knownIds);
    throw new ConfigError(`${where} names unknown rule "${id}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; \`shipready rules\` lists them`);
  }
}

function closest(id: string, candidates: string[]): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(id, c);
    if (!best || distance < best.distance) best = { id: c, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(id.length / 4)) ? best.id : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
