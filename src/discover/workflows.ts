import { posix } from 'node:path';
import {
  Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import type { DeploymentModel } from '../model/index.js';
import type { Loc, Located } from '../model/location.js';
import { classifyInstall, classifyMigrationCommand, effectiveArgv, scriptInvoked, splitShell, toolArgv } from '../model/shell.js';
import type {
  DockerBuildStep,
  Permissions,
  StepActivity,
  StepActivityKind,
  StepCommand,
  Workflow,
  WorkflowJob,
  WorkflowStep,
} from '../model/workflow.js';
import { normalize } from './files.js';

// ---------------------------------------------------------------------------------------------
// YAML with positions (shared by the workflow, compose and Dependabot discoverers)
// ---------------------------------------------------------------------------------------------

/** A parsed YAML file that can say where each node was written. */
export class YamlFile {
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    // uniqueKeys off: a duplicated key is a lint matter, not a reason to lose the whole file.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false, merge: true });
  }

  /** The first syntax error, with its place, or undefined when the file parses. */
  firstError(): { message: string; loc: Loc } | undefined {
    const err = this.doc.errors[0];
    if (!err) return undefined;
    const pos = this.lines.linePos(err.pos[0]);
    // Errors found at the end of input (an unclosed quote or bracket) are reported at the last written line, where the reader must look.
    const lines = this.text.split('\n');
    let line = Math.min(pos.line, lines.length);
    while (line > 1 && lines[line - 1].trim() === '') line--;
    return { message: err.message.split('\n')[0], loc: line === pos.line ? { file: this.path, line, column: pos.col } : { file: this.path, line } };
  }

  get root(): YamlNode | null {
    return this.resolve(this.doc.contents as YamlNode | null);
  }

  /** Follows aliases (`*anchor`) to the node they name. */
  resolve(node: unknown): YamlNode | null {
    let n = node as YamlNode | null;
    for (let i = 0; i < 8 && n && isAlias(n); i++) n = (n as Alias).resolve(this.doc) as YamlNode | null;
    return n ?? null;
  }

  locOf(node: unknown): Loc {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const pos = this.lines.linePos(range?.[0] ?? 0);
    return { file: this.path, line: pos.line, column: pos.col };
  }

  /** Entries of a mapping, with merge keys (`<<: *defaults`) expanded; explicit keys win. */
  entries(node: unknown): { key: string; keyNode: YamlNode; value: YamlNode | null }[] {
    const map = this.resolve(node);
    if (!map || !isMap(map)) return [];
    const out: { key: string; keyNode: YamlNode; value: YamlNode | null }[] = [];
    const merged: { key: string; keyNode: YamlNode; value: YamlNode | null }[] = [];
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      const keyNode = pair.key as YamlNode;
      // With merge keys on, the parser gives `<<` as a symbol.
      const raw = isScalar(keyNode) ? keyNode.value : undefined;
      const key = typeof raw === 'symbol' ? (raw.description ?? '') : isScalar(keyNode) ? String(raw) : isAlias(keyNode) ? this.str(keyNode) ?? '' : '';
      if (key === '<<') {
        const sources = this.resolve(pair.value);
        const list = sources && isSeq(sources) ? sources.items : [sources];
        for (const source of list) merged.push(...this.entries(source));
        continue;
      }
      out.push({ key, keyNode, value: this.resolve(pair.value) });
    }
    for (const m of merged) if (!out.some((o) => o.key === m.key)) out.push(m);
    return out;
  }

  get(node: unknown, key: string): YamlNode | null {
    return this.entries(node).find((e) => e.key === key)?.value ?? null;
  }

  /** Entry of a mapping with the location of its key (where a reader looks). */
  entry(node: unknown, key: string): { keyNode: YamlNode; value: YamlNode | null } | undefined {
    return this.entries(node).find((e) => e.key === key);
  }

  /** A scalar's text (`true`, `3`, `''` for null); undefined for maps and sequences. */
  str(node: unknown): string | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (isScalar(n)) return n.value === null || n.value === undefined ? '' : String(n.value);
    return undefined;
  }

  /** A scalar entry as `{ value, loc }` at the line of its key. */
  located(node: unknown, key: string): Located<string> | undefined {
    const e = this.entry(node, key);
    if (!e) return undefined;
    const value = this.str(e.value);
    if (value === undefined) return undefined;
    return { value, loc: this.locOf(e.keyNode) };
  }

  /** The comment written on the lines above a key or at the end of its line (without the `#`), if any. */
  commentOf(node: unknown, key: string): string | undefined {
    const e = this.entry(node, key);
    if (!e) return undefined;
    const parts = [(e.keyNode as { commentBefore?: string | null }).commentBefore, (e.value as { comment?: string | null } | null)?.comment]
      .filter((c): c is string => !!c && c.trim() !== '')
      .map((c) => c.trim());
    return parts.length > 0 ? parts.join('\n') : undefined;
  }

  /** Scalars of a sequence (or a single scalar), each at its own line. */
  list(node: unknown): Located<string>[] {
    const n = this.resolve(node);
    if (!n) return [];
    if (isSeq(n)) {
      const out: Located<string>[] = [];
      for (const item of n.items) {
        const v = this.str(item);
        if (v !== undefined) out.push({ value: v, loc: this.locOf(this.resolve(item)) });
      }
      return out;
    }
    const v = this.str(n);
    return v === undefined ? [] : [{ value: v, loc: this.locOf(n) }];
  }

  /** Mapping of scalars, each at the line of its key. */
  scalarMap(node: unknown): Map<string, Located<string>> {
    const out = new Map<string, Located<string>>();
    for (const e of this.entries(node)) {
      const v = this.str(e.value);
      if (v !== undefined) out.set(e.key, { value: v, loc: this.locOf(e.keyNode) });
    }
    return out;
  }

  /**
   * The 1-based file line of each line of a scalar's value. Literal blocks (`|`) keep their lines,
   * so line k of the value is k lines below the header. Folded, plain and quoted scalars may join
   * lines; for those the caller searches the raw text (see `rawLines`).
   */
  blockStartLine(node: YamlNode): number | undefined {
    if (isScalar(node) && node.type === Scalar.BLOCK_LITERAL) return this.locOf(node).line + 1;
    return undefined;
  }

  /** The source lines a scalar spans, with their file line numbers. */
  rawLines(node: YamlNode): { line: number; text: string }[] {
    const range = (node as { range?: [number, number, number] }).range;
    if (!range) return [];
    const start = this.lines.linePos(range[0]).line;
    return this.text
      .slice(range[0], range[1])
      .split('\n')
      .map((text, i) => ({ line: start + i, text }));
  }
}

// ---------------------------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------------------------

/** `.github/workflows/*.yml` directly in that folder: the only workflows GitHub runs. */
export function isWorkflowPath(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
}

/** GitHub Actions workflows (.github/workflows/*.yml): jobs, steps, what each step does; sets the build context of the Dockerfiles they build. */
export function discoverWorkflows(model: DeploymentModel): void {
  for (const path of model.files.paths) {
    if (!isWorkflowPath(path)) continue;
    const text = model.files.read(path);
    if (text === undefined) continue;
    const result = parseWorkflow(text, path);
    if ('error' in result) {
      model.problems.push({ kind: 'parse-error', artifact: 'workflow', message: `${path} is not valid YAML: ${result.error.message}`, loc: result.error.loc });
      continue;
    }
    if (result.workflow) model.workflows.push(result.workflow);
  }
  const actions = new Map<string, WorkflowStep[] | undefined>();
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) for (const step of job.steps) includeLocalAction(model, actions, workflow, job, step, 0);
  }
  feedDockerfileContexts(model);
}

/**
 * A step that uses a local composite action (`uses: ./.github/actions/deploy`) does what the
 * action's steps do: their activities, builds, installs and scripts are added to the step, at
 * their own lines in action.yml, so an audit or a deploy wrapped in an action is not missed.
 */
function includeLocalAction(model: DeploymentModel, cache: Map<string, WorkflowStep[] | undefined>, workflow: Workflow, job: WorkflowJob, step: WorkflowStep, depth: number): void {
  if (!step.uses?.value.startsWith('./') || depth > 3) return;
  const dir = normalize(step.uses.value);
  const path = ['action.yml', 'action.yaml'].map((f) => posix.join(dir, f)).find((p) => model.files.has(p));
  if (!path) return;
  if (!cache.has(path)) {
    cache.set(path, undefined);
    const text = model.files.read(path);
    const y = text === undefined ? undefined : new YamlFile(path, text);
    const error = y?.firstError();
    if (y && error) model.problems.push({ kind: 'parse-error', artifact: 'action', message: `${path} is not valid YAML: ${error.message}`, loc: error.loc });
    const runs = y && !error ? y.get(y.root, 'runs') : null;
    const stepsNode = y && runs && y.str(y.get(runs, 'using')) === 'composite' ? y.get(runs, 'steps') : null;
    if (y && stepsNode && isSeq(stepsNode)) {
      // Inside an action, `defaults.run` and the matrix of the caller do not apply.
      const bare: Workflow = { ...workflow, workingDirectory: undefined };
      const bareJob: WorkflowJob = { ...job, workingDirectory: undefined, matrix: new Map(), matrixRows: undefined, steps: [] };
      const inner: WorkflowStep[] = [];
      for (const item of stepsNode.items) {
        const node = y.resolve(item);
        if (node && isMap(node)) inner.push(readStep(y, bare, bareJob, node));
      }
      cache.set(path, inner);
      for (const s of inner) includeLocalAction(model, cache, workflow, bareJob, s, depth + 1);
      // A step of the action that runs only under a condition (a cache-miss fallback) is not what every run of the job does.
      for (const s of inner) if (s.if) for (const a of s.activities) a.condition ??= s.if.value;
    }
  }
  for (const inner of cache.get(path) ?? []) {
    step.activities.push(...inner.activities.filter((a) => a.kind !== 'checkout'));
    step.dockerBuilds.push(...inner.dockerBuilds);
    step.installs.push(...inner.installs);
    step.scripts.push(...inner.scripts);
  }
  // An action that pushes publishes what the job built.
  if (step.activities.some((a) => a.kind === 'docker-push')) for (const s of job.steps) for (const b of s.dockerBuilds) b.push = true;
}

/** Parses one workflow file. Returns no workflow for YAML that is not a workflow (no `jobs:`). */
export function parseWorkflow(text: string, path: string): { workflow?: Workflow } | { error: { message: string; loc: Loc } } {
  const y = new YamlFile(path, text);
  const error = y.firstError();
  if (error) return { error };
  const root = y.root;
  if (!root || !isMap(root)) return {};
  const jobsNode = y.get(root, 'jobs');
  if (!jobsNode || !isMap(jobsNode)) return {};
  const workflow: Workflow = {
    path,
    name: y.located(root, 'name'),
    triggers: [],
    pushBranches: [],
    pushBranchesIgnore: [],
    pushTags: [],
    pullRequestPaths: [],
    pullRequestPathsIgnore: [],
    permissions: readPermissions(y, root),
    concurrency: readConcurrency(y, root),
    env: y.scalarMap(y.get(root, 'env')),
    workingDirectory: y.located(y.get(y.get(root, 'defaults'), 'run'), 'working-directory'),
    jobs: [],
    loc: { file: path, line: 1 },
  };
  readTriggers(y, root, workflow);
  for (const { key, keyNode, value } of y.entries(jobsNode)) {
    workflow.jobs.push(readJob(y, workflow, key, keyNode, value));
  }
  return { workflow };
}

function readTriggers(y: YamlFile, root: YamlNode, workflow: Workflow): void {
  const on = y.entry(root, 'on') ?? y.entry(root, 'true');
  if (!on || !on.value) return;
  if (isMap(on.value)) {
    for (const e of y.entries(on.value)) {
      workflow.triggers.push({ value: e.key, loc: y.locOf(e.keyNode) });
      if (e.key === 'push') {
        workflow.pushBranches.push(...y.list(y.get(e.value, 'branches')));
        workflow.pushBranchesIgnore.push(...y.list(y.get(e.value, 'branches-ignore')));
        workflow.pushTags.push(...y.list(y.get(e.value, 'tags')), ...y.list(y.get(e.value, 'tags-ignore')));
      }
      if (e.key === 'pull_request' || e.key === 'pull_request_target') {
        workflow.pullRequestPaths.push(...y.list(y.get(e.value, 'paths')));
        workflow.pullRequestPathsIgnore.push(...y.list(y.get(e.value, 'paths-ignore')));
      }
    }
  } else {
    workflow.triggers.push(...y.list(on.value));
  }
}

function readPermissions(y: YamlFile, node: YamlNode | null): Permissions | undefined {
  const e = y.entry(node, 'permissions');
  if (!e) return undefined;
  const loc = y.locOf(e.keyNode);
  const preset = y.str(e.value);
  if (preset !== undefined) return { preset, scopes: new Map(), loc };
  if (e.value && isMap(e.value) && e.value.items.length === 0) return { preset: '{}', scopes: new Map(), loc };
  return { scopes: y.scalarMap(e.value), loc };
}

function readConcurrency(y: YamlFile, node: YamlNode | null): Located<string> | undefined {
  const e = y.entry(node, 'concurrency');
  if (!e) return undefined;
  const value = y.str(e.value) ?? y.str(y.get(e.value, 'group')) ?? '';
  return { value, loc: y.locOf(e.keyNode) };
}

function readJob(y: YamlFile, workflow: Workflow, id: string, keyNode: YamlNode, node: YamlNode | null): WorkflowJob {
  const envEntry = y.entry(node, 'environment');
  let environment: Located<string> | undefined;
  let environmentUrl: Located<string> | undefined;
  if (envEntry) {
    const name = y.str(envEntry.value) ?? y.str(y.get(envEntry.value, 'name'));
    if (name !== undefined) environment = { value: name, loc: y.locOf(envEntry.keyNode) };
    environmentUrl = y.located(envEntry.value, 'url');
  }
  const matrix = new Map<string, Located<string>[]>();
  const matrixNode = y.get(y.get(node, 'strategy'), 'matrix');
  for (const e of y.entries(matrixNode)) {
    if (e.key === 'include' || e.key === 'exclude') continue;
    if (e.value && isSeq(e.value)) {
      const values = y.list(e.value);
      if (values.length === e.value.items.length) matrix.set(e.key, values);
    }
  }
  const matrixRows = readMatrixRows(y, matrixNode, matrix);
  const services = new Map<string, Located<string>>();
  for (const e of y.entries(y.get(node, 'services'))) {
    const image = y.str(e.value) ?? y.str(y.get(e.value, 'image'));
    if (image !== undefined) services.set(e.key, { value: image, loc: y.locOf(e.keyNode) });
  }
  const runsOnEntry = y.entry(node, 'runs-on');
  const job: WorkflowJob = {
    id: { value: id, loc: y.locOf(keyNode) },
    name: y.located(node, 'name'),
    steps: [],
    loc: y.locOf(keyNode),
    runsOn: runsOnEntry
      ? { value: y.str(runsOnEntry.value) ?? y.list(runsOnEntry.value).map((l) => l.value).join(','), loc: y.locOf(runsOnEntry.keyNode) }
      : undefined,
    needs: y.list(y.get(node, 'needs')),
    if: y.located(node, 'if'),
    environment,
    environmentUrl,
    permissions: readPermissions(y, node),
    concurrency: readConcurrency(y, node),
    uses: y.located(node, 'uses'),
    with: y.scalarMap(y.get(node, 'with')),
    secrets: (() => {
      const e = y.entry(node, 'secrets');
      return e ? { value: y.str(e.value) ?? '(map)', loc: y.locOf(e.keyNode) } : undefined;
    })(),
    continueOnError: y.located(node, 'continue-on-error'),
    continueOnErrorNote: y.commentOf(node, 'continue-on-error'),
    env: y.scalarMap(y.get(node, 'env')),
    workingDirectory: y.located(y.get(y.get(node, 'defaults'), 'run'), 'working-directory'),
    matrix,
    matrixRows,
    services,
    outputs: y.scalarMap(y.get(node, 'outputs')),
  };
  const steps = y.resolve(y.get(node, 'steps'));
  if (steps && isSeq(steps)) {
    for (const item of steps.items) {
      const stepNode = y.resolve(item);
      if (!stepNode || !isMap(stepNode)) continue;
      job.steps.push(readStep(y, workflow, job, stepNode));
    }
  }
  // A `docker push` anywhere in the job publishes what the job's `docker build -t` steps built.
  if (job.steps.some((s) => s.activities.some((a) => a.kind === 'docker-push'))) {
    for (const step of job.steps) for (const build of step.dockerBuilds) build.push = true;
  }
  return job;
}

function readStep(y: YamlFile, workflow: Workflow, job: WorkflowJob, node: YamlNode): WorkflowStep {
  const step: WorkflowStep = {
    uses: y.located(node, 'uses'),
    with: y.scalarMap(y.get(node, 'with')),
    run: undefined,
    loc: y.locOf(node),
    id: y.located(node, 'id'),
    name: y.located(node, 'name'),
    if: y.located(node, 'if'),
    workingDirectory: y.located(node, 'working-directory'),
    continueOnError: y.located(node, 'continue-on-error'),
    continueOnErrorNote: y.commentOf(node, 'continue-on-error'),
    env: y.scalarMap(y.get(node, 'env')),
    commands: [],
    activities: [],
    dockerBuilds: [],
    installs: [],
    scripts: [],
  };
  const runEntry = y.entry(node, 'run');
  if (runEntry) {
    const script = y.str(runEntry.value);
    if (script !== undefined) {
      step.run = { value: script, loc: y.locOf(runEntry.keyNode) };
      step.commands = scriptCommands(y, runEntry.value!, script, step.run.loc);
      const wd = step.workingDirectory ?? job.workingDirectory ?? workflow.workingDirectory;
      const dirs = wd ? expandMatrix(wd.value, job) : [''];
      step.cwd = dirs && dirs.length === 1 ? normalize(dirs[0]) : undefined;
    }
  }
  if (step.uses) classifyAction(step, job);
  const source = runEntry?.value ? y.rawLines(runEntry.value) : [];
  for (const command of step.commands) {
    // A command continued over several lines (`docker build \` / `-f x \`): each value is found on its own line.
    const end = step.commands[command.index + 1]?.loc.line ?? Infinity;
    const lineOf = (value: string, positional = false): Loc => {
      // A positional word (the context, often ".") is matched as a whole word, not inside another value.
      const re = positional ? new RegExp(`(^|\\s|["'])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(["']|\\s|\\\\|$)`) : undefined;
      const hit = source.find((l) => l.line >= command.loc.line && l.line <= end && (re ? re.test(l.text) : l.text.includes(value)));
      return { file: command.loc.file, line: hit?.line ?? command.loc.line };
    };
    classifyCommand(step, job, command, lineOf);
  }
  // A step named for it counts even when its commands are not recognised (a script, an in-house action).
  const label = `${step.name?.value ?? ''} ${step.id?.value ?? ''}`;
  const labelLoc = step.name?.loc ?? step.id?.loc ?? step.loc;
  if (/smoke|health[- ]?check|verify (the )?deploy|post[- ]deploy (check|test)/i.test(label) && !stepDoes(step, 'smoke-test') && (step.run || step.uses)) {
    step.activities.push({ kind: 'smoke-test', loc: labelLoc, text: step.name?.value ?? step.id!.value });
  }
  if (/rollback|roll back|revert deploy/i.test(label) && !stepDoes(step, 'rollback')) {
    step.activities.push({ kind: 'rollback', loc: labelLoc, text: step.name?.value ?? step.id!.value });
  }
  // A deploy re-run only when something failed is a rollback.
  if (step.if && /failure\(\)/.test(step.if.value) && (stepDoes(step, 'ecs-deploy') || stepDoes(step, 'iac-deploy'))) {
    step.activities.push({ kind: 'rollback', loc: step.if.loc, text: step.if.value });
  }
  return step;
}

function stepDoes(step: WorkflowStep, kind: StepActivityKind): boolean {
  return step.activities.some((a) => a.kind === kind);
}

/** Commands of a `run:` script, each at the exact file line it is written on. */
function scriptCommands(y: YamlFile, node: YamlNode, script: string, runLoc: Loc): StepCommand[] {
  // GitHub substitutes `${{ … }}` before the shell runs: keep each expression one word (without its spaces) so the split stays right.
  const parsed = splitShell(script.replace(/\$\{\{[^\n]*?\}\}/g, (e) => e.replace(/\s+/g, '')));
  const blockStart = y.blockStartLine(node);
  const raw = blockStart === undefined ? y.rawLines(node) : [];
  let cursor = 0;
  return parsed.map((c, index) => {
    let line: number;
    if (blockStart !== undefined) line = blockStart + c.lineOffset;
    else if (raw.length <= 1) line = raw[0]?.line ?? runLoc.line;
    else {
      // Folded and multi-line plain scalars join lines: find the source line holding the command's first word.
      const first = c.argv[0];
      let found = -1;
      for (let i = cursor; i < raw.length; i++) {
        if (raw[i].text.includes(first)) {
          found = i;
          break;
        }
      }
      if (found >= 0) cursor = found;
      line = raw[cursor].line;
    }
    return { argv: c.argv, text: c.argv.join(' '), loc: { file: runLoc.file, line }, next: c.next, index };
  });
}

/**
 * The combinations a matrix runs, following GitHub's rules: the product of the literal lists, then
 * each `include` entry extends the combinations it matches (or all, when it names no base key) or
 * adds its own, and `exclude` entries drop the combinations they match. Undefined when the matrix
 * is an expression (`fromJSON(…)`) or a list is not literal.
 */
function readMatrixRows(y: YamlFile, node: unknown, base: Map<string, Located<string>[]>): Record<string, string>[] | undefined {
  const entries = y.entries(node);
  if (!node || entries.length === 0) return undefined;
  if (entries.some((e) => e.key !== 'include' && e.key !== 'exclude' && !base.has(e.key))) return undefined;
  let rows: Record<string, string>[] = [{}];
  for (const [key, values] of base) rows = rows.flatMap((r) => values.map((v) => ({ ...r, [key]: v.value })));
  if (base.size === 0) rows = [];
  const objects = (key: string): Record<string, string>[] | undefined => {
    const list = y.get(node, key);
    if (!list) return [];
    if (!isSeq(list)) return undefined;
    const out: Record<string, string>[] = [];
    for (const item of list.items) {
      const map = y.scalarMap(item);
      out.push(Object.fromEntries([...map].map(([k, v]) => [k, v.value])));
    }
    return out;
  };
  const include = objects('include');
  const exclude = objects('exclude');
  if (!include || !exclude) return undefined;
  rows = rows.filter((r) => !exclude.some((x) => Object.entries(x).every(([k, v]) => r[k] === v)));
  const original = rows.length;
  for (const entry of include) {
    const baseKeys = Object.keys(entry).filter((k) => base.has(k));
    const matches = rows.slice(0, original).filter((r) => baseKeys.every((k) => r[k] === entry[k]));
    if (matches.length > 0) for (const r of matches) Object.assign(r, entry);
    else rows.push({ ...entry });
  }
  return rows.length > 0 && rows.length <= 256 ? rows : undefined;
}

/** Values of a string once `${{ matrix.x }}` is replaced for each matrix combination; undefined when another expression remains. */
export function expandMatrix(value: string, job: WorkflowJob): string[] | undefined {
  if (!value.includes('${{')) return [value];
  const re = /\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}/g;
  if (!re.test(value)) return undefined;
  const rows = job.matrixRows;
  if (!rows) return undefined;
  const results = new Set<string>();
  for (const row of rows) {
    let missing = false;
    const out = value.replace(re, (_, key: string) => {
      if (row[key] === undefined) missing = true;
      return row[key] ?? '';
    });
    if (missing || out.includes('${{')) return undefined;
    results.add(out);
  }
  return [...results];
}

function actionName(uses: string): string {
  return uses.split('@')[0].toLowerCase().replace(/\/+$/, '');
}

function add(step: WorkflowStep, kind: StepActivityKind, loc: Loc, text: string): void {
  step.activities.push({ kind, loc, text });
}

function classifyAction(step: WorkflowStep, job: WorkflowJob): void {
  const uses = step.uses!;
  const name = actionName(uses.value);
  const at = uses.loc;
  const input = (key: string) => step.with.get(key);
  if (name === 'actions/checkout') add(step, 'checkout', at, uses.value);
  else if (name === 'actions/setup-node') add(step, 'setup-node', at, uses.value);
  else if (BUILD_PUSH_ACTIONS.has(name) || name === 'docker/bake-action') {
    if (BUILD_PUSH_ACTIONS.has(name)) step.dockerBuilds.push(buildPushAction(step, job));
    add(step, 'docker-build', at, uses.value);
    const push = input('push')?.value;
    const outputs = input('outputs');
    if (push && push !== 'false') add(step, 'docker-push', input('push')!.loc, `push: ${push}`);
    else if (outputs && /(^|,)\s*push=true\b/.test(outputs.value)) add(step, 'docker-push', outputs.loc, `outputs: ${outputs.value}`);
  } else if (name === 'docker/login-action' || name === 'aws-actions/amazon-ecr-login') add(step, 'registry-login', at, uses.value);
  else if (name === 'aquasecurity/trivy-action') {
    const scanType = input('scan-type')?.value ?? 'image';
    add(step, scanType === 'fs' || scanType === 'repo' || scanType === 'rootfs' ? 'audit' : scanType === 'config' ? 'lint' : 'image-scan', at, uses.value);
  } else if (
    /^(anchore\/scan-action|anchore\/grype|docker\/scout-action|snyk\/actions\/docker|crazy-max\/ghaction-container-scan|sysdiglabs\/scan-action|azure\/container-scan|aquasecurity\/trivy)/.test(name)
  )
    add(step, 'image-scan', at, uses.value);
  else if (/^(actions\/dependency-review-action|google\/osv-scanner-action|snyk\/actions|oke-py\/npm-audit-action|ossf\/scorecard-action)/.test(name) && name !== 'ossf/scorecard-action')
    add(step, 'audit', at, uses.value);
  else if (name === 'aws-actions/configure-aws-credentials') add(step, 'aws-credentials', at, uses.value);
  else if (name === 'aws-actions/amazon-ecs-render-task-definition') add(step, 'ecs-render', at, uses.value);
  else if (name === 'aws-actions/amazon-ecs-deploy-task-definition') {
    add(step, 'ecs-deploy', at, uses.value);
    const wait = input('wait-for-service-stability');
    if (wait && wait.value === 'true') add(step, 'ecs-wait', wait.loc, 'wait-for-service-stability: true');
  } else if (/^(aws-actions\/aws-cloudformation-github-deploy|pulumi\/actions|aws-actions\/aws-codebuild-run-build)$/.test(name)) add(step, 'iac-deploy', at, uses.value);
  else if (/url-health-check|wait[_-]for[_-]response|http-status|smoke|health-?check/.test(name)) add(step, 'smoke-test', at, uses.value);
}

/**
 * docker/build-push-action and the drop-in replacements that take the same inputs (Blacksmith's and
 * Depot's builders, run on their own infrastructure).
 */
const BUILD_PUSH_ACTIONS = new Set(['docker/build-push-action', 'useblacksmith/build-push-action', 'depot/build-push-action', 'warpbuilds/build-push-action']);

function buildPushAction(step: WorkflowStep, job: WorkflowJob): DockerBuildStep {
  const context = step.with.get('context');
  const file = step.with.get('file');
  // `{{defaultContext}}:sub` is the repository's Git context at a subfolder; `file` is then relative to it.
  const gitSub = context && /^\{\{\s*defaultContext\s*\}\}(?::(.*))?$/.exec(context.value);
  const targets = buildTargets(job, gitSub ? gitSub[1] ?? '' : context?.value ?? '', file?.value, (c) => (isRemote(c) ? undefined : normalize(c)), (f, dir) =>
    normalize(gitSub ? posix.join(dir || '.', f) : f),
  );
  const tags = step.with.get('tags');
  const push = step.with.get('push');
  return {
    via: 'build-push-action',
    file,
    dockerfilePaths: unique(targets.map((t) => t.dockerfilePath)),
    context,
    contextDirs: unique(targets.map((t) => t.contextDir)),
    targets,
    tags: tags ? splitList(tags) : [],
    // `outputs: type=image,push-by-digest=true,push=true` pushes as `push: true` does.
    push: (!!push && push.value !== 'false') || /(^|,)\s*push=true\b/.test(step.with.get('outputs')?.value ?? ''),
    platforms: step.with.get('platforms'),
    loc: step.uses!.loc,
  };
}

/**
 * The (Dockerfile, context) pairs a build uses, one per matrix combination. The file defaults to
 * `<context>/Dockerfile`; `resolveFile` gets the file as written and the resolved context.
 */
function buildTargets(
  job: WorkflowJob,
  contextValue: string,
  fileValue: string | undefined,
  resolveContext: (context: string) => string | undefined,
  resolveFile: (file: string, contextDir: string) => string | undefined,
): { dockerfilePath: string; contextDir: string }[] {
  const combined = expandMatrix(`${contextValue}\u0000${fileValue ?? ''}`, job) ?? [];
  const out: { dockerfilePath: string; contextDir: string }[] = [];
  for (const value of combined) {
    const [c, f] = value.split('\u0000');
    const contextDir = resolveContext(c);
    if (contextDir === undefined) continue;
    const dockerfilePath = fileValue === undefined ? normalize(posix.join(contextDir || '.', 'Dockerfile')) : resolveFile(f, contextDir);
    if (dockerfilePath === undefined) continue;
    if (!out.some((t) => t.dockerfilePath === dockerfilePath && t.contextDir === contextDir)) out.push({ dockerfilePath, contextDir });
  }
  return out;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** A multi-value action input (`tags: |` one per line, or comma-separated), each at its own line where possible. */
function splitList(input: Located<string>): Located<string>[] {
  const out: Located<string>[] = [];
  const lines = input.value.split('\n');
  const block = lines.length > 1;
  lines.forEach((l, i) => {
    for (const part of l.split(',')) {
      const v = part.trim();
      if (v) out.push({ value: v, loc: { file: input.loc.file, line: input.loc.line + (block ? i + 1 : 0) } });
    }
  });
  return out;
}

function isRemote(context: string): boolean {
  return /^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(context) || context === '-' || context.startsWith('{{');
}

/** Strips package runners (`npx --yes x`, `pnpm dlx x`, `yarn dlx x`, `bunx x`) to the tool they run. */
const DOCKER_BUILD_VALUE_FLAGS = new Set([
  '-f', '--file', '-t', '--tag', '--platform', '--build-arg', '--target', '--cache-from', '--cache-to', '--label',
  '--secret', '--ssh', '-o', '--output', '--network', '--progress', '--iidfile', '--metadata-file', '--builder',
  '--build-context', '--add-host', '--shm-size', '--ulimit', '-m', '--memory', '--cpu-shares', '--cpuset-cpus',
  '--isolation', '--attest', '--annotation', '--allow', '--call', '--cgroup-parent', '--provenance', '--sbom',
]);

function classifyCommand(step: WorkflowStep, job: WorkflowJob, command: StepCommand, lineOf: (value: string, positional?: boolean) => Loc): void {
  const argv = effectiveArgv(command.argv);
  const tool = toolArgv(command.argv);
  const at = command.loc;
  const text = command.text;
  const [t0, t1, t2] = tool;
  const install = classifyInstall(command.argv);
  if (install && !install.global && !install.addsPackages) {
    step.installs.push({ command: install, loc: at });
    add(step, 'install', at, install.text);
  }
  const script = scriptInvoked(command.argv);
  if (script) {
    const allWorkspaces = argv.some((w) => ['--workspaces', '-ws', '-r', '--recursive', '--all'].includes(w)) || (argv[0] === 'yarn' && argv[1] === 'workspaces');
    step.scripts.push({ ...script, allWorkspaces, text, loc: at });
    add(step, 'script', at, text);
    const kind = scriptKind(script.script);
    if (kind && !(kind === 'test' && updatesSnapshots(command.argv))) add(step, kind, at, text);
  }
  if (['npm', 'pnpm', 'yarn', 'bun'].includes(argv[0]) && (argv[1] === 'audit' || (argv[1] === 'npm' && argv[2] === 'audit')) && !argv.includes('signatures'))
    add(step, 'audit', at, text);
  if (['osv-scanner', 'audit-ci', 'better-npm-audit', 'retire', 'auditjs', 'improved-yarn-audit', 'yarn-audit-fix'].includes(t0 ?? '')) add(step, 'audit', at, text);
  if (t0 === 'snyk' && t1 === 'test') add(step, 'audit', at, text);
  if (t0 === 'snyk' && t1 === 'container') add(step, 'image-scan', at, text);
  if (t0 === 'trivy') add(step, t1 === 'fs' || t1 === 'filesystem' || t1 === 'repo' || t1 === 'repository' ? 'audit' : 'image-scan', at, text);
  if (t0 === 'grype' || t0 === 'clair-scanner' || t0 === 'dockle') add(step, 'image-scan', at, text);
  if (t0 === 'docker' && t1 === 'scout') add(step, 'image-scan', at, text);
  if (['eslint', 'biome', 'prettier', 'tslint', 'oxlint', 'stylelint'].includes(t0 ?? '')) add(step, 'lint', at, text);
  if ((['jest', 'vitest', 'mocha', 'ava', 'tap', 'c8', 'nyc'].includes(t0 ?? '') && !updatesSnapshots(tool)) || (t0 === 'playwright' && t1 === 'test') || (t0 === 'cypress' && t1 === 'run')) add(step, 'test', at, text);
  if (t0 === 'tsc' || t0 === 'turbo' || t0 === 'nx') add(step, 'build', at, text);
  // Docker
  if (argv[0] === 'docker' || argv[0] === 'podman') {
    const isBuildx = argv[1] === 'buildx' && (argv[2] === 'build' || argv[2] === 'b');
    if (argv[1] === 'build' || isBuildx || (argv[1] === 'image' && argv[2] === 'build')) {
      step.dockerBuilds.push(dockerBuildCommand(step, job, argv.slice(isBuildx || argv[1] === 'image' ? 3 : 2), isBuildx ? 'docker buildx build' : 'docker build', at, lineOf));
      add(step, 'docker-build', at, text);
      if (argv.includes('--push') || argv.some((w) => /type=registry|push=true/.test(w))) add(step, 'docker-push', at, text);
    }
    if (argv[1] === 'push' || (argv[1] === 'image' && argv[2] === 'push') || (argv[1] === 'buildx' && argv[2] === 'imagetools' && argv[3] === 'create')) add(step, 'docker-push', at, text);
    if (argv[1] === 'login') add(step, 'registry-login', at, text);
  }
  // AWS
  if (argv[0] === 'aws') {
    const [, service, verb] = argv;
    if (service === 'ecs' && (verb === 'update-service' || verb === 'deploy' || verb === 'create-service')) {
      add(step, 'ecs-deploy', at, text);
      if (argv.some((w) => /rollback=true|"rollback"\s*:\s*true/i.test(w))) add(step, 'rollback', at, text);
    }
    if (service === 'ecs' && verb === 'wait' && argv[3] === 'services-stable') add(step, 'ecs-wait', at, text);
    if (service === 'ecs' && verb === 'register-task-definition') add(step, 'ecs-render', at, text);
    if (service === 'ecr' && (verb === 'get-login-password' || verb === 'get-login')) add(step, 'registry-login', at, text);
    if (service === 'ecr' && (verb === 'start-image-scan' || verb === 'describe-image-scan-findings' || (verb === 'wait' && argv[3] === 'image-scan-complete'))) add(step, 'image-scan', at, text);
    if (service === 'cloudformation' && (verb === 'deploy' || verb === 'create-stack' || verb === 'update-stack')) add(step, 'iac-deploy', at, text);
    if (service === 'deploy' && verb === 'create-deployment') add(step, 'ecs-deploy', at, text);
  }
  if (t0 === 'ecs-deploy' || (t0 === 'ecspresso' && t1 === 'deploy') || (t0 === 'copilot' && (t1 === 'deploy' || (t1 === 'svc' && t2 === 'deploy')))) add(step, 'ecs-deploy', at, text);
  if (t0 === 'ecspresso' && t1 === 'rollback') add(step, 'rollback', at, text);
  if ((t0 === 'cdk' && t1 === 'deploy') || (t0 === 'terraform' && t1 === 'apply') || (t0 === 'pulumi' && t1 === 'up') || (t0 === 'sam' && t1 === 'deploy') || ((t0 === 'serverless' || t0 === 'sls') && t1 === 'deploy'))
    add(step, 'iac-deploy', at, text);
  // HTTP checks of a deployed service, not downloads of installers.
  if ((t0 === 'curl' || t0 === 'wget' || t0 === 'http' || t0 === 'https' || t0 === 'hurl') && isHttpCheck(command)) add(step, 'smoke-test', at, text);
  if (command.argv.some((w) => /smoke/i.test(w))) add(step, 'smoke-test', at, text);
  if (command.argv.some((w) => /(^|[/_.-])roll-?back/i.test(w)) && !stepDoes(step, 'rollback')) add(step, 'rollback', at, text);
  // Migrations
  const migration = migrationActivity(command.argv, script?.script);
  if (migration) add(step, migration, at, text);
  if (t0 === 'shipready' || t0 === 'squawk' || t0 === 'squawk-cli' || (t0 === 'atlas' && t1 === 'migrate' && t2 === 'lint')) add(step, 'migration-check', at, text);
}

/** `jest -u`, `vitest --update`, `yarn test -u` rewrite snapshots: a maintenance run, not a gate. */
function updatesSnapshots(argv: string[]): boolean {
  return argv.includes('-u') || argv.includes('--updateSnapshot') || argv.includes('--update');
}

function scriptKind(name: string): StepActivityKind | undefined {
  const n = name.toLowerCase();
  if (/audit/.test(n)) return 'audit';
  if (/lint|format:check|prettier|eslint/.test(n)) return 'lint';
  if (/smoke/.test(n)) return 'smoke-test';
  if (/test|spec|e2e|jest|vitest|check|typecheck|type-check|tsc/.test(n)) return 'test';
  if (/^build|compile|bundle/.test(n)) return 'build';
  return undefined;
}

function migrationActivity(argv: string[], script: string | undefined): StepActivityKind | undefined {
  const migration = classifyMigrationCommand(argv);
  if (migration) return migration.action === 'check' ? 'migration-check' : 'migration-run';
  if (script && /migrat/i.test(script)) return /check|lint|verify|safety|status|validate|diff/i.test(script) ? 'migration-check' : 'migration-run';
  return undefined;
}

function isHttpCheck(command: StepCommand): boolean {
  const args = command.argv.slice(1);
  const url = args.find((a) => /^(https?:\/\/|\$|\{\{)/.test(a) || /^[\w.-]+\.[a-z]{2,}(:\d+)?\//i.test(a));
  if (!url) return false;
  // Installers and archives fetched with curl are tool downloads, not checks of the deployment.
  if (/\.(sh|tar|gz|tgz|zip|deb|rpm|xz|bz2|exe|msi|pkg|dmg|jar|whl|py|ps1|bin|asc|gpg|key|pem|crt)(\?|$)/i.test(url)) return false;
  if (/github\.com|githubusercontent|codecov|get\.|install|releases|download|registry\.npmjs|api\.github/i.test(url)) return false;
  const tool = toolArgv(command.argv)[0];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const cluster = /^-[a-zA-Z]+$/.test(a) ? a : '';
    // `-o /dev/null -w '%{http_code}'` is the classic status check; any other output target is a download.
    if (tool === 'curl' && (cluster.includes('O') || a === '--remote-name' || a === '--remote-name-all')) return false;
    if ((tool === 'curl' && (cluster.endsWith('o') || a === '--output')) || (tool === 'wget' && (cluster.endsWith('O') || a === '--output-document'))) {
      if (!['/dev/null', '-'].includes(args[i + 1] ?? '')) return false;
    }
    if (a.startsWith('--output=') || a.startsWith('--output-document=')) {
      if (!/=(\/dev\/null|-)$/.test(a)) return false;
    }
  }
  // Writes (DELETE, POST, PUT, PATCH) are API calls, not checks.
  const method = args.findIndex((a) => a === '-X' || a === '--request');
  if (method >= 0 && !/^(GET|HEAD)$/i.test(args[method + 1] ?? '')) return false;
  if (!/health|ready|readiness|live|status|ping|smoke|url|endpoint|domain|host|api|app|service|staging|prod|deploy/i.test(url)) return false;
  if (command.next === '|') return false;
  // A POST with a payload is a webhook or a notification, not a check.
  if (args.some((a) => a === '-d' || a === '--data' || a === '--data-raw' || a === '--data-binary' || a === '-F' || a === '--form')) return false;
  return true;
}

function dockerBuildCommand(step: WorkflowStep, job: WorkflowJob, args: string[], via: DockerBuildStep['via'], at: Loc, lineOf: (value: string, positional?: boolean) => Loc): DockerBuildStep {
  let file: Located<string> | undefined;
  const tags: Located<string>[] = [];
  let platforms: Located<string> | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-') && a.length > 1) {
      const eq = a.indexOf('=');
      const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      let value = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
      if (value === undefined && DOCKER_BUILD_VALUE_FLAGS.has(flag)) value = args[++i];
      if ((flag === '-f' || flag === '--file') && value !== undefined) file = { value, loc: lineOf(value) };
      if ((flag === '-t' || flag === '--tag') && value !== undefined) tags.push({ value, loc: lineOf(value) });
      if (flag === '--platform' && value !== undefined) platforms = { value, loc: lineOf(value) };
      continue;
    }
    positional.push(a);
  }
  const contextRaw = positional[positional.length - 1];
  const cwd = step.cwd;
  // Paths are relative to the step's folder; a shell variable (not a `${{ }}` expression) hides them.
  const local = (value: string) => (cwd === undefined || value.startsWith('/') || value.replace(/\$\{\{[^}]*\}\}/g, '').includes('$') ? undefined : value);
  const targets =
    contextRaw === undefined || isRemote(contextRaw) || file?.value === '-'
      ? []
      : buildTargets(job, contextRaw, file?.value, (c) => (local(c) === undefined ? undefined : normalize(posix.join(cwd || '.', c))), (f) =>
          local(f) === undefined ? undefined : normalize(posix.join(cwd || '.', f)),
        );
  return {
    via,
    file,
    dockerfilePaths: unique(targets.map((t) => t.dockerfilePath)),
    context: contextRaw ? { value: contextRaw, loc: lineOf(contextRaw, true) } : undefined,
    contextDirs: unique(targets.map((t) => t.contextDir)),
    targets,
    tags,
    push: false,
    platforms,
    loc: at,
  };
}

/**
 * The build contexts workflows use replace the default (the Dockerfile's own folder), so the
 * Dockerfile checks resolve COPY sources against what CI really sends to the builder.
 */
function feedDockerfileContexts(model: DeploymentModel): void {
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        for (const build of step.dockerBuilds) {
          const source = build.context?.loc ?? build.file?.loc ?? build.loc;
          for (const target of build.targets) addBuildContext(model, target.dockerfilePath, target.contextDir, source, 'workflow');
        }
      }
    }
  }
}

/** Records that `dockerfilePath` is built from `dir`, replacing the assumed default. */
export function addBuildContext(model: DeploymentModel, dockerfilePath: string, dir: string, source: Loc, via: 'workflow' | 'compose'): void {
  const dockerfile = model.dockerfiles.find((d) => d.path === dockerfilePath);
  if (!dockerfile) return;
  dockerfile.contexts = dockerfile.contexts.filter((c) => c.via !== 'dockerfile-folder');
  if (!dockerfile.contexts.some((c) => c.dir === dir)) dockerfile.contexts.push({ dir, source, via });
}
