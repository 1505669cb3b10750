import { posix } from 'node:path';
import { finalStage } from '../../model/docker.js';
import { known, type ContainerDefinition, type TaskDefinition } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { nodeMajorOfImage } from '../../model/packages.js';
import { effectiveArgv } from '../../model/shell.js';
import type { Service } from '../../model/source.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { containerName, linkedContainers, related, linkedReport } from './_common.js';
import { containerStartSteps } from './migrations-on-boot.js';

const HEAP_SIZE = /--max[-_]old[-_]space[-_]size[= ](\d+)\b/;
const HEAP_PERCENT = /--max[-_]old[-_]space[-_]size[-_]percentage[= ](\d+(?:\.\d+)?)/;

/** Node before 20 (libuv < 1.45) cannot read cgroup v2 memory limits and sizes the default heap from the host's memory (nodejs/node#47259). */
const FIRST_CGROUP_AWARE_MAJOR = 20;

interface HeapCap {
  /** MiB, or a percentage of the container's memory limit. */
  mib?: number;
  percent?: number;
  text: string;
  loc: Loc;
  where: string;
}

function capIn(text: string, loc: Loc, where: string): HeapCap | undefined {
  const pct = HEAP_PERCENT.exec(text);
  if (pct) return { percent: Number(pct[1]), text: pct[0], loc, where };
  const size = HEAP_SIZE.exec(text);
  return size ? { mib: Number(size[1]), text: size[0], loc, where } : undefined;
}

/**
 * The heap cap the Node process gets, from what wins: a flag on the command line, then NODE_OPTIONS
 * of the task, then NODE_OPTIONS of the image. `unknown` when any of them is an expression.
 */
function heapCapOf(model: Parameters<typeof containerStartSteps>[0], container: ContainerDefinition, service: Service): { cap?: HeapCap; nodeStep?: { loc: Loc; where: string; text: string } } | 'unknown' {
  const steps = containerStartSteps(model, container, service);
  if (!steps) return 'unknown';
  let nodeStep: { loc: Loc; where: string; text: string } | undefined;
  for (const step of steps) {
    const argv = effectiveArgv(step.argv);
    const cap = capIn(argv.join(' '), step.via[step.via.length - 1] ?? step.loc, step.where);
    if (cap) return { cap };
    if (!nodeStep && /^(node|nodejs)$/.test(posix.basename(argv[0] ?? ''))) nodeStep = { loc: step.loc, where: step.where, text: argv.join(' ') };
  }
  const taskOptions = container.environment.find((e) => e.name === 'NODE_OPTIONS');
  if (taskOptions) {
    const v = known(taskOptions.value);
    if (v === undefined) return 'unknown';
    const cap = capIn(v, taskOptions.value.loc, 'NODE_OPTIONS of the task definition');
    if (cap) return { cap, nodeStep };
  }
  if (!container.environmentComplete || container.environmentFiles.length > 0) return 'unknown';
  for (const dockerfile of service.dockerfiles) {
    const env = finalStage(dockerfile)?.runtimeEnv.get('NODE_OPTIONS');
    if (!env) continue;
    if (env.value === undefined) return 'unknown';
    const cap = capIn(env.value, env.loc, `NODE_OPTIONS in ${dockerfile.path}`);
    if (cap && !taskOptions) return { cap, nodeStep };
  }
  return { nodeStep };
}

/** What the other containers of the task reserve; undefined when a value is unknown. */
function sidecarReservations(task: TaskDefinition, container: ContainerDefinition): { name: string; mib: number; loc: Loc }[] | undefined {
  const out: { name: string; mib: number; loc: Loc }[] = [];
  for (const other of task.containers) {
    if (other === container) continue;
    const v = other.memoryReservation ?? other.memory;
    if (!v) continue;
    const mib = known(v);
    if (mib === undefined) return undefined;
    out.push({ name: containerName(other), mib, loc: v.loc });
  }
  return out;
}

export default defineRule({
  id: 'ecs/node-heap-budget',
  severity: 'medium',
  title: 'Node heap not capped, or capped above what the task leaves it',
  messages: {
    noCap: {
      message: "{{label}} starts Node {{major}} ({{image}}) with no --max-old-space-size ({{where}}, no NODE_OPTIONS in the task or the image): Node before 20 ships a libuv that cannot read cgroup v2 memory limits and sizes its heap from the host's memory rather than the task's {{memory}} MiB, so the heap grows until the task is killed (exit 137, OutOfMemory) instead of collecting",
      fix: 'cap the heap at about 75% of what the container may use: NODE_OPTIONS=--max-old-space-size={{suggested}} in the task environment (or the image), or move to Node 20+, which reads the container limit',
    },
    aboveBudget: {
      message: "{{label}} caps the Node heap at {{heap}} MiB ({{capText}} in {{where}}) but the task's {{memory}} MiB leaves it only {{budget}} MiB after the other containers' reservations ({{sidecars}}): they share the task's memory, so once they use what they reserve the heap grows past what is left and the whole task is killed (exit 137, OutOfMemory) before V8 collects",
      fix: 'set the cap to about 75% of the {{budget}} MiB left (--max-old-space-size={{suggested}}), or raise the task memory',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const taskMemory = known(task.memory);
      if (taskMemory === undefined) continue;
      const found = heapCapOf(model, container, service);
      if (found === 'unknown') continue;
      const sidecars = sidecarReservations(task, container);
      const hardLimit = known(container.memory);
      const containerLimit = hardLimit !== undefined ? Math.min(hardLimit, taskMemory) : taskMemory;
      if (found.cap) {
        if (!sidecars || sidecars.length === 0) continue;
        const budget = Math.min(containerLimit, taskMemory - sidecars.reduce((s, x) => s + x.mib, 0));
        const heap = found.cap.mib ?? Math.floor((containerLimit * found.cap.percent!) / 100);
        // Above the container's own figure, ecs/fargate-size reports it already.
        const fargateSizeFigure = known(container.memory) ?? known(container.memoryReservation) ?? taskMemory;
        if (heap <= budget || heap > fargateSizeFigure || budget <= 0) continue;
        report('aboveBudget', found.cap.loc, {
          label, heap, capText: found.cap.text, where: found.cap.where, memory: taskMemory, budget,
          sidecars: sidecars.map((s) => `'${s.name}' ${s.mib} MiB`).join(', '),
          suggested: Math.floor(budget * 0.75),
        }, {
          severity: 'high',
          related: [related(task.memory!.loc, `task memory ${taskMemory} MiB`), ...sidecars.map((s): RelatedLocation => related(s.loc, `container '${s.name}' reserves ${s.mib} MiB`))],
          key: `${containerName(container)}:budget`,
        });
        continue;
      }
      if (!found.nodeStep) continue;
      const images = service.dockerfiles.map((d) => finalStage(d)?.rootImage).filter((i) => i !== undefined);
      if (images.length !== 1 || images[0].unresolved) continue;
      const major = nodeMajorOfImage(images[0]);
      if (major === undefined || major >= FIRST_CGROUP_AWARE_MAJOR) continue;
      const budget = containerLimit - (sidecars ?? []).reduce((s, x) => s + x.mib, 0);
      report('noCap', found.nodeStep.loc, {
        label, major, image: `${images[0].raw} in ${images[0].loc.file}:${images[0].loc.line}`, where: `"${found.nodeStep.text}", ${found.nodeStep.where}`,
        memory: containerLimit, suggested: Math.max(64, Math.floor(budget * 0.75)),
      }, { related: [related(images[0].loc, `Node ${major} image`), related(task.memory!.loc, `task memory ${taskMemory} MiB`)], key: `${containerName(container)}:nocap` });
    }
  },
});
