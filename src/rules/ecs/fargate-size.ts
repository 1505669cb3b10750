import { allContainers, isUnresolved, known, type ContainerDefinition } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf } from './_common.js';

/**
 * Valid Fargate task sizes (Linux): CPU units → allowed memory in MiB (AWS Fargate task size table).
 */
const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function describeAllowed(cpu: number): string {
  const list = FARGATE_SIZES[cpu];
  if (!list) return '';
  return list.length <= 4 ? list.join(', ') : `${list[0]} to ${list[list.length - 1]} in steps of ${list[1] - list[0]}`;
}

export default defineRule({
  id: 'ecs/fargate-size',
  severity: 'critical',
  title: 'Invalid Fargate CPU/memory or heap above task memory',
  messages: {
    invalidCpu: {
      message: 'task cpu {{cpu}} is not a Fargate size; Fargate accepts 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units',
      fix: 'pick one of the Fargate CPU values (1024 = 1 vCPU) and a memory size allowed with it',
    },
    invalidCombination: {
      message: 'task memory {{memory}} MiB is not allowed with cpu {{cpu}} on Fargate (allowed: {{allowed}} MiB); registering the task definition fails',
      fix: 'use a memory size allowed for cpu {{cpu}} ({{allowed}} MiB), or change cpu to a size that allows {{memory}} MiB',
    },
    missingSize: {
      message: 'the Fargate task definition sets no task-level {{missing}}; Fargate requires both cpu and memory at task level and registration fails without them',
      fix: 'set task-level "cpu" and "memory" (for example cpu 512 and memory 1024)',
    },
    heapAboveMemory: {
      message:
        'container \'{{container}}\' caps the Node heap at {{heap}} MiB (--max-old-space-size in {{where}}) but only has {{memory}} MiB; the kernel kills the task (exit 137, OutOfMemory) before V8 ever collects',
      fix: 'set --max-old-space-size to about 75% of the memory the container has (here about {{suggested}} MiB), or give the task more memory',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    for (const task of infra.taskDefinitions) {
      if (!task.fargate) continue;
      if (task.cpu && isUnresolved(task.cpu.value)) continue;
      if (task.memory && isUnresolved(task.memory.value)) continue;
      const cpu = known(task.cpu);
      const memory = known(task.memory);
      if (cpu === undefined || memory === undefined) {
        // CDK fills in defaults; the other formats must say it.
        if (task.format !== 'cdk') report('missingSize', task.loc, { missing: cpu === undefined && memory === undefined ? 'cpu and memory' : cpu === undefined ? 'cpu' : 'memory' });
        continue;
      }
      if (!FARGATE_SIZES[cpu]) {
        report('invalidCpu', task.cpu!.loc, { cpu });
        continue;
      }
      if (!FARGATE_SIZES[cpu].includes(memory)) {
        report('invalidCombination', task.memory!.loc, { cpu, memory, allowed: describeAllowed(cpu) });
      }
    }
    for (const { task, container } of allContainers(infra)) {
      const memory = known(container.memory) ?? known(container.memoryReservation) ?? known(task.memory);
      if (memory === undefined) continue;
      const heap = heapCap(container);
      if (!heap || heap.mib <= memory) continue;
      // It registers and starts; it fails under load (OOM kill), which is high rather than critical.
      report('heapAboveMemory', heap.loc, { container: containerName(container), heap: heap.mib, where: heap.where, memory, suggested: Math.floor(memory * 0.75) }, { severity: 'high' });
    }
  },
});

const HEAP_FLAG = /--max[-_]old[-_]space[-_]size[= ](\d+)/;

function heapCap(container: ContainerDefinition): { mib: number; loc: Loc; where: string } | undefined {
  for (const cmd of [container.command, container.entryPoint]) {
    const v = known(cmd);
    const m = v ? HEAP_FLAG.exec(v.join(' ')) : null;
    if (m) return { mib: Number(m[1]), loc: cmd!.loc, where: 'the task definition command' };
  }
  const nodeOptions = container.environment.find((e) => e.name === 'NODE_OPTIONS');
  const v = known(nodeOptions?.value);
  const m = v ? HEAP_FLAG.exec(v) : null;
  if (m) return { mib: Number(m[1]), loc: nodeOptions!.value.loc, where: 'NODE_OPTIONS of the task definition' };
  // The image's CMD/ENV, when the container is linked to a service built from a Dockerfile here.
  const service = container.link?.service;
  if (!service || container.command) return undefined;
  for (const dockerfile of service.dockerfiles) {
    const stage = dockerfile.stages[dockerfile.stages.length - 1];
    if (!stage) continue;
    for (const spec of [stage.cmd, stage.entrypoint]) {
      const mm = spec ? HEAP_FLAG.exec(spec.text) : null;
      if (mm) return { mib: Number(mm[1]), loc: spec!.loc, where: `the CMD of ${dockerfile.path}` };
    }
    const env = stage.env.find((e) => e.name === 'NODE_OPTIONS');
    const mm = env ? HEAP_FLAG.exec(env.value) : null;
    if (mm && !nodeOptions) return { mib: Number(mm[1]), loc: env!.loc, where: `NODE_OPTIONS in ${dockerfile.path}` };
  }
  return undefined;
}
