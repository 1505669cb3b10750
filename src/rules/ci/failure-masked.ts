import type { StepActivity, StepActivityKind, WorkflowJob, WorkflowStep } from '../../model/workflow.js';
import { defineRule } from '../rule.js';

/** What a failing gate must stop: lint, tests, the build, the dependency audit. */
const GATES: StepActivityKind[] = ['lint', 'test', 'build', 'audit'];
/** Script names that are checks: `--if-present` on them turns a missing check into a green build. */
const CHECK_SCRIPT = /lint|test|spec|e2e|check|type|audit|verify|validate/i;

export default defineRule({
  id: 'ci/failure-masked',
  severity: 'medium',
  title: 'CI check cannot fail',
  messages: {
    ifPresent: {
      message: '"{{command}}": --if-present makes this {{script}} step pass when the script does not exist{{evidence}}',
      fix: 'drop --if-present and run the script directly ("{{direct}}"); if a package has no {{script}} script, add one or leave that package out explicitly',
    },
    orTrue: {
      message: '"{{command}} || {{fallback}}": the {{what}} can never fail the job',
      fix: 'remove "|| {{fallback}}" so a failure stops the pipeline; if the check is known to fail, fix it or make it a separate, visible non-blocking job',
    },
    continueOnError: {
      message: 'continue-on-error: true on a step that runs {{what}} ("{{command}}"): its failure never stops the pipeline',
      fix: 'remove continue-on-error from this step; a check that must not block belongs in a separate job whose result someone reads',
    },
    jobContinueOnError: {
      message: 'continue-on-error: true on job "{{job}}", which runs {{what}} ("{{command}}"): the workflow passes when it fails',
      fix: 'remove continue-on-error from the job, or limit it to an experimental matrix entry with an expression',
    },
  },
  check(model, report) {
    for (const workflow of model.workflows) {
      for (const job of workflow.jobs) {
        // A job named as allowed to fail says so on purpose.
        const optional = /unstable|experimental|allow[-_ ]?fail|optional|canary|nightly|flaky|bleeding/i.test(`${job.id.value} ${job.name?.value ?? ''}`);
        const jobAllowedToFail = job.continueOnError?.value === 'true';
        // A comment beside it (`# Non-blocking while coverage is incomplete`) is the maintainers' written decision, not an accident.
        if (job.continueOnError && jobAllowedToFail && !optional && !job.continueOnErrorNote) {
          const gate = job.steps.flatMap((s) => s.activities).find(isGate);
          if (gate) report('jobContinueOnError', job.continueOnError.loc, { job: job.id.value, what: describe(gate.kind), command: gate.text });
        }
        for (const step of job.steps) {
          for (const script of step.scripts) {
            if (!script.ifPresent || script.allWorkspaces || !CHECK_SCRIPT.test(script.script)) continue;
            // `--prefix dir`, `--workspace x`, `--filter x`: the script runs in another package than the step's folder.
            const elsewhere = /\s(--prefix|-C|--workspace|-w|--filter|-F|--cwd|--dir)\b/.test(` ${script.text}`);
            const pkg = step.cwd === undefined || elsewhere ? undefined : model.packages.find((p) => p.dir === step.cwd);
            const evidence = !pkg
              ? ''
              : pkg.scripts.has(script.script)
                ? ` (${pkg.path} has it today; renaming or deleting it would go unnoticed)`
                : ` (${pkg.path} has no "${script.script}" script: this step checks nothing)`;
            const direct = script.text.replace(/\s*--if-present\b/, '');
            report('ifPresent', script.loc, { command: script.text, script: script.script, evidence, direct });
          }
          for (const [i, command] of step.commands.entries()) {
            if (command.next !== '||') continue;
            const fallback = step.commands[i + 1];
            if (!fallback || !isSwallow(fallback.argv)) continue;
            const gate = gateAt(step, command.loc.line, command.text);
            if (gate) report('orTrue', command.loc, { command: command.text, fallback: fallback.text, what: describe(gate) });
          }
          // Inside a job that may fail as a whole, the step's own continue-on-error changes nothing.
          if (step.continueOnError?.value === 'true' && !jobAllowedToFail && !step.continueOnErrorNote && !outcomeRead(job, step)) {
            const gate = step.activities.find(isGate);
            if (gate) report('continueOnError', step.continueOnError.loc, { what: describe(gate.kind), command: gate.text });
          }
        }
      }
    }
  },
});

/**
 * A check the job runs every time. What a local composite action does only under its own `if:`
 * (a `pnpm run build` fallback when the build cache misses) is not the job's build.
 */
function isGate(activity: StepActivity): boolean {
  return GATES.includes(activity.kind) && activity.condition === undefined;
}

/**
 * A later step or output reads this step's `steps.<id>.outcome` or `conclusion`: its failure is a
 * branch of the workflow (`if: steps.compile.outcome == 'failure'` pulls missing translations),
 * handled on purpose rather than hidden.
 */
function outcomeRead(job: WorkflowJob, step: WorkflowStep): boolean {
  const id = step.id?.value;
  if (!id) return false;
  const read = new RegExp(`steps\\.${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(outcome|conclusion)\\b`);
  const later = job.steps.slice(job.steps.indexOf(step) + 1);
  const texts = [
    ...later.flatMap((s) => [s.if?.value, s.run?.value, ...[...s.env.values(), ...s.with.values()].map((v) => v.value)]),
    ...[...job.outputs.values()].map((v) => v.value),
  ];
  return texts.some((t) => t !== undefined && read.test(t));
}

/** `true`, `:`, `echo …`, `exit 0`: commands that turn a failure into success. */
function isSwallow(argv: string[]): boolean {
  return argv[0] === 'true' || argv[0] === ':' || argv[0] === 'echo' || (argv[0] === 'exit' && (argv[1] ?? '0') === '0');
}

function gateAt(step: WorkflowStep, line: number, text: string): StepActivityKind | undefined {
  return step.activities.find((a) => isGate(a) && a.loc.line === line && a.text === text)?.kind;
}

function describe(kind: StepActivityKind): string {
  return kind === 'audit' ? 'the dependency audit' : kind === 'test' ? 'tests' : kind === 'lint' ? 'lint' : 'the build';
}
