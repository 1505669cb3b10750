import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { isMap, isSeq } from 'yaml';
import type { DependencyUpdateConfig } from '../model/compose.js';
import type { DeploymentModel } from '../model/index.js';
import type { Loc } from '../model/location.js';
import { isRecord, parseJsonDocument } from './json.js';
import { YamlFile } from './workflows.js';

const DEPENDABOT_PATHS = ['.github/dependabot.yml', '.github/dependabot.yaml'];
const RENOVATE_PATHS = [
  'renovate.json', 'renovate.json5', '.renovaterc', '.renovaterc.json', '.renovaterc.json5',
  '.github/renovate.json', '.github/renovate.json5', '.gitlab/renovate.json', '.gitlab/renovate.json5',
];

/** Dependabot and Renovate configuration and the ecosystems/directories they cover. */
export async function discoverDependencyUpdates(model: DeploymentModel): Promise<void> {
  for (const path of DEPENDABOT_PATHS) {
    if (!model.files.has(path)) continue;
    const text = model.files.read(path);
    if (text !== undefined) model.dependencyUpdates.push(await readDependabot(model, path, text));
  }
  for (const path of RENOVATE_PATHS) {
    if (!model.files.has(path)) continue;
    const text = model.files.read(path);
    if (text !== undefined) model.dependencyUpdates.push(readRenovate(path, text));
  }
  const rootPackage = model.packages.find((p) => p.dir === '');
  if (rootPackage) {
    const text = model.files.read(rootPackage.path);
    const doc = text === undefined ? undefined : parseJsonDocument(text, rootPackage.path);
    if (doc && isRecord(doc.value) && isRecord(doc.value.renovate)) {
      model.dependencyUpdates.push(renovateFromJson(rootPackage.path, doc.value.renovate, doc.locOf(['renovate'])));
    }
  }
}

async function readDependabot(model: DeploymentModel, path: string, text: string): Promise<DependencyUpdateConfig> {
  const config: DependencyUpdateConfig = { path, tool: 'dependabot', updates: [], disabledManagers: [], disabled: false, parsed: true, errors: [], loc: { file: path, line: 1 } };
  const y = new YamlFile(path, text);
  const error = y.firstError();
  if (error) {
    model.problems.push({ kind: 'parse-error', artifact: 'dependabot.yml', message: `${path} is not valid YAML: ${error.message}`, loc: error.loc });
    config.parsed = false;
    return config;
  }
  const updatesEntry = y.entry(y.root, 'updates');
  if (updatesEntry) config.loc = y.locOf(updatesEntry.keyNode);
  if (updatesEntry?.value && isSeq(updatesEntry.value)) {
    for (const item of updatesEntry.value.items) {
      const node = y.resolve(item);
      if (!node || !isMap(node)) continue;
      const ecosystem = y.located(node, 'package-ecosystem');
      if (!ecosystem) continue;
      const directories = [...y.list(y.get(node, 'directories'))];
      const single = y.located(node, 'directory');
      if (single) directories.push(single);
      const limit = y.located(node, 'open-pull-requests-limit');
      config.updates.push({ ecosystem, directories, ...(limit ? { openPullRequestsLimit: limit } : {}), loc: y.locOf(node) });
    }
  }
  const validate = await dependabotValidator();
  const value = y.doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!validate(value)) {
    for (const err of validate.errors ?? []) {
      // The deepest error per place is the one a person can act on; ajv's oneOf/anyOf noise is dropped.
      if (['if', 'anyOf', 'oneOf', 'allOf'].includes(err.keyword)) continue;
      const segments = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      // An unknown key is shown at its own line, not at the object holding it.
      const extraKey = err.keyword === 'additionalProperties' ? (err.params as { additionalProperty: string }).additionalProperty : undefined;
      const loc = locOfPath(y, extraKey ? [...segments, extraKey] : segments);
      const where = segments.length ? segments.join('.') : 'the file';
      const extra = err.keyword === 'additionalProperties' ? ` ("${(err.params as { additionalProperty: string }).additionalProperty}")` : err.keyword === 'enum' ? ` (one of: ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).slice(0, 8).join(', ')}${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).length > 8 ? ', …' : ''})` : '';
      const message = `${where} ${err.message ?? 'is invalid'}${extra}`;
      if (!config.errors.some((e) => e.message === message)) config.errors.push({ message, loc });
    }
  }
  return config;
}

/** Line of the value at a JSON path inside a YAML document, or of its nearest parent. */
function locOfPath(y: YamlFile, segments: string[]): Loc {
  let node = y.root;
  let loc: Loc = { file: y.path, line: 1 };
  for (const seg of segments) {
    if (!node) break;
    if (isSeq(node)) {
      const item = y.resolve(node.items[Number(seg)]);
      if (!item) break;
      loc = y.locOf(item);
      node = item;
    } else if (isMap(node)) {
      const e = y.entry(node, seg);
      if (!e) break;
      loc = y.locOf(e.keyNode);
      node = e.value;
    } else break;
  }
  return { file: loc.file, line: loc.line };
}

type Validator = ((value: unknown) => boolean) & { errors?: { keyword: string; instancePath: string; message?: string; params: unknown }[] | null };
let compiled: Promise<Validator> | undefined;

/**
 * The SchemaStore dependabot-2.0 schema, vendored under schema/vendor (no network at run time),
 * compiled once and only for repositories that have a dependabot.yml.
 */
function dependabotValidator(): Promise<Validator> {
  compiled ??= (async () => {
    const { default: Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(new URL('../../schema/vendor/dependabot-2.0.json', import.meta.url), 'utf8')) as object;
    const AjvClass = Ajv as unknown as new (opts: object) => { compile(schema: object): Validator };
    return new AjvClass({ strict: false, allErrors: true }).compile(schema);
  })();
  return compiled;
}

function readRenovate(path: string, text: string): DependencyUpdateConfig {
  const doc = parseJsonDocument(text, path, { allowComments: true });
  // JSON5 with unquoted keys does not parse as JSON: Renovate reads it, so count it as covering everything.
  if (!isRecord(doc.value)) return { path, tool: 'renovate', updates: [], disabledManagers: [], disabled: false, parsed: false, errors: [], loc: { file: path, line: 1 } };
  return renovateFromJson(path, doc.value, { file: path, line: 1 });
}

function renovateFromJson(path: string, json: Record<string, unknown>, loc: Loc): DependencyUpdateConfig {
  const enabledManagers = Array.isArray(json.enabledManagers) ? json.enabledManagers.filter((m): m is string => typeof m === 'string') : undefined;
  const disabledManagers = Object.entries(json)
    .filter(([key, value]) => isRecord(value) && value.enabled === false && key !== 'vulnerabilityAlerts' && key !== 'lockFileMaintenance')
    .map(([key]) => key);
  return { path, tool: 'renovate', updates: [], enabledManagers, disabledManagers, disabled: json.enabled === false, parsed: true, errors: [], loc };
}

/** Dependabot directory as written (`/`, `/apps/api/`, `apps/*`) to a repo-relative folder or glob. */
export function dependabotDir(dir: string): string {
  return posix.normalize('/' + dir).replace(/^\/+/, '').replace(/\/+$/, '');
}
