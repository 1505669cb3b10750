/**
 * Workflow discoverer and ci/* rules over the real-world workflow corpus (../shared/corpus).
 * Usage: node --import tsx scripts/bench-workflows.ts [corpus-dir] [rounds]
 * Prints `workflows: N files in X ms (Y/s)` for parsing into the model, then the same with every ci/* rule.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileIndex } from '../src/discover/files.js';
import { emptyModel } from '../src/discover/index.js';
import { parseWorkflow } from '../src/discover/workflows.js';
import { runRules } from '../src/engine/run.js';
import type { Workflow } from '../src/model/workflow.js';
import { ciRules } from '../src/rules/ci/index.js';

const dir = process.argv[2] ?? new URL('../../shared/corpus/github-workflows/', import.meta.url).pathname;
const rounds = Number(process.argv[3] ?? 3);
if (!existsSync(dir)) {
  console.error(`corpus not found at ${dir}`);
  process.exit(1);
}
const files = readdirSync(dir)
  .filter((n) => /\.ya?ml$/.test(n))
  .map((n) => ({ path: `.github/workflows/${n}`, text: readFileSync(join(dir, n), 'utf8') }));

function parseAll(): Workflow[] {
  const out: Workflow[] = [];
  for (const f of files) {
    const r = parseWorkflow(f.text, f.path);
    if ('workflow' in r && r.workflow) out.push(r.workflow);
  }
  return out;
}

// Rules read files only for fingerprints; an empty index keeps the benchmark on the rules themselves.
const model = emptyModel(process.cwd(), new FileIndex(join(process.cwd(), 'bin')));
let workflows = parseAll(); // warm-up (JIT, lazy imports)
let best = Infinity;
for (let i = 0; i < rounds; i++) {
  const t = performance.now();
  workflows = parseAll();
  best = Math.min(best, performance.now() - t);
}
console.log(`workflows: ${files.length} files in ${best.toFixed(0)} ms (${Math.round((files.length / best) * 1000)}/s) — parse into the model`);

let bestRules = Infinity;
for (let i = 0; i < rounds; i++) {
  const t = performance.now();
  for (const workflow of workflows) runRules({ ...model, workflows: [workflow] }, ciRules);
  bestRules = Math.min(bestRules, performance.now() - t);
}
const total = best + bestRules;
console.log(`workflows: ${files.length} files in ${total.toFixed(0)} ms (${Math.round((files.length / total) * 1000)}/s) — parse and run ${ciRules.length} ci rules on each`);
