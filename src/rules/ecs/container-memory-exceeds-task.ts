import { known, type ContainerDefinition, type InfraValue, type TaskDefinition } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';

/**
 * RegisterTaskDefinition rejects a container whose `memory`/`memoryReservation`/`cpu` is above the
 * task-level value, and a task whose containers together reserve more than the task has: memory
 * reserved by a container is its `memoryReservation`, or its hard `memory` when no reservation is
 * written; containers with neither share the task's memory and reserve nothing.
 */
type Resource = 'memory' | 'cpu';

const UNIT: Record<Resource, string> = { memory: 'MiB', cpu: 'CPU units' };

function taskSide(task: TaskDefinition, resource: Resource): { amount: number; where: string; loc: InfraValue<number>['loc'] } | undefined {
  const v = resource === 'memory' ? task.memory : task.cpu;
  const amount = known(v);
  if (amount === undefined || !v) return undefined;
  // The CDK discoverer fills in FargateTaskDefinition's defaults (256 CPU units, 512 MiB) at the construct.
  // The terraform-aws-modules/ecs service module's defaults (1024 CPU units, 2048 MiB) likewise, at the module block.
  const isDefault = v.loc.line === task.loc.line && v.loc.file === task.loc.file;
  const defaultNote = !isDefault
    ? ''
    : task.format === 'cdk'
      ? ` (the CDK default for ${resource === 'memory' ? 'memoryLimitMiB' : 'cpu'}, none is given)`
      : task.resourceName.startsWith('module.')
        ? ` (the terraform-aws-modules/ecs default for ${resource}, none is given)`
        : '';
  return { amount, where: `${v.loc.file}:${v.loc.line}${defaultNote}`, loc: v.loc };
}

/** What a container reserves of the task; undefined when a value is an expression. */
function reserved(container: ContainerDefinition, resource: Resource): { amount: number; value?: InfraValue<number>; field: string } | undefined {
  if (resource === 'cpu') {
    if (!container.cpu) return { amount: 0, field: 'cpu' };
    const v = known(container.cpu);
    return v === undefined ? undefined : { amount: v, value: container.cpu, field: 'cpu' };
  }
  for (const [field, value] of [['memoryReservation', container.memoryReservation], ['memory', container.memory]] as const) {
    if (!value) continue;
    const v = known(value);
    return v === undefined ? undefined : { amount: v, value, field };
  }
  return { amount: 0, field: 'memory' };
}

export default defineRule({
  id: 'ecs/container-memory-exceeds-task',
  severity: 'critical',
  title: 'Container memory or CPU above the task size',
  messages: {
    containerAbove: {
      message: "container '{{container}}' sets {{field}} {{amount}} {{unit}} ({{where}}), above the task's {{resource}} {{task}} {{unit}} ({{taskWhere}}); registering the task definition fails (\"The '{{resource}}' setting for container '{{container}}' is greater than for the task\")",
      fix: "lower the container's {{field}} to at most {{task}} {{unit}} (or remove it so the container shares the task's {{resource}}), or raise the task's {{resource}} to a Fargate size that holds it",
    },
    sumAbove: {
      message: "the containers of task definition '{{task}}' reserve {{sum}} {{unit}} of {{resource}} together ({{parts}}), more than the task's {{taskAmount}} {{unit}} ({{taskWhere}}); registering the task definition fails",
      fix: 'lower the containers\' {{resource}} settings (sidecars such as log routers need little: 50–128 MiB, 0–256 CPU units) so they fit in {{taskAmount}} {{unit}}, or raise the task size',
    },
  },
  check(model, report) {
    for (const task of infraOf(model).taskDefinitions) {
      for (const resource of ['memory', 'cpu'] as const) {
        const side = taskSide(task, resource);
        if (!side) continue;
        const unit = UNIT[resource];
        let reportedOne = false;
        for (const container of task.containers) {
          const fields = resource === 'memory' ? ([['memory', container.memory], ['memoryReservation', container.memoryReservation]] as const) : ([['cpu', container.cpu]] as const);
          for (const [field, value] of fields) {
            const amount = known(value);
            if (amount === undefined || amount <= side.amount) continue;
            reportedOne = true;
            report('containerAbove', value!.loc, {
              container: containerName(container), field, amount, unit, resource, task: side.amount,
              where: `${value!.loc.file}:${value!.loc.line}`, taskWhere: side.where,
            }, { related: [related(side.loc, `task ${resource} ${side.amount} ${unit}`)], key: `${containerName(container)}:${field}` });
            break;
          }
        }
        // One container above the task already explains the failure; the sum adds nothing then.
        if (reportedOne || task.containersUnresolved || task.containers.length < 2) continue;
        const parts = task.containers.map((c) => ({ c, r: reserved(c, resource) }));
        if (parts.some((p) => p.r === undefined)) continue;
        const sum = parts.reduce((s, p) => s + p.r!.amount, 0);
        if (sum <= side.amount) continue;
        const counted = parts.filter((p) => p.r!.amount > 0);
        const largest = counted.reduce((a, b) => (b.r!.amount > a.r!.amount ? b : a));
        report('sumAbove', largest.r!.value!.loc, {
          task: known(task.family) ?? task.resourceName, sum, unit, resource, taskAmount: side.amount, taskWhere: side.where,
          parts: counted.map((p) => `'${containerName(p.c)}' ${p.r!.field} ${p.r!.amount} at line ${p.r!.value!.loc.line}`).join(', '),
        }, {
          related: [related(side.loc, `task ${resource} ${side.amount} ${unit}`), ...counted.filter((p) => p !== largest).map((p) => related(p.r!.value!.loc, `container '${containerName(p.c)}' ${p.r!.field} ${p.r!.amount}`))],
          key: `sum:${resource}`,
        });
      }
    }
  },
});

