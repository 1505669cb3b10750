import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { defineRule } from '../rule.js';
import { infraOf, related } from './_common.js';

interface Registration {
  via: 'cli' | 'action';
  loc: Loc;
}

/** Repo-relative path of a `file://…` or plain path argument, from the step's folder. */
function resolvePath(arg: string, cwd: string | undefined): string | undefined {
  const p = arg.replace(/^file:\/\//, '');
  if (/[$`{}]/.test(p) || cwd === undefined) return undefined;
  return posix.normalize(posix.join(cwd, p)).replace(/^\.\//, '');
}

/** How each task-definition file is registered by the workflows: the AWS CLI, or the ECS actions. */
function registrations(model: DeploymentModel): Map<string, Registration[]> {
  const out = new Map<string, Registration[]>();
  const add = (file: string, r: Registration): void => {
    const list = out.get(file) ?? [];
    list.push(r);
    out.set(file, list);
  };
  for (const wf of model.workflows) {
    for (const job of wf.jobs) {
      for (const step of job.steps) {
        for (const cmd of step.commands ?? []) {
          const a = cmd.argv;
          const at = a.indexOf('register-task-definition');
          if (a[0] !== 'aws' || at < 0) continue;
          const flag = a.findIndex((x, i) => i > at && (x === '--cli-input-json' || x.startsWith('--cli-input-json=')));
          if (flag < 0) continue;
          const value = a[flag].includes('=') ? a[flag].slice(a[flag].indexOf('=') + 1) : a[flag + 1];
          const file = value ? resolvePath(value, step.cwd) : undefined;
          if (file) add(file, { via: 'cli', loc: cmd.loc });
        }
        const uses = step.uses?.value ?? '';
        if (/^aws-actions\/amazon-ecs-(deploy|render)-task-definition@/.test(uses)) {
          const input = step.with.get('task-definition')?.value;
          // Action inputs are paths from the workspace root.
          const file = input ? resolvePath(input, '') : undefined;
          if (file) add(file, { via: 'action', loc: step.uses!.loc });
        }
      }
    }
  }
  return out;
}

export default defineRule({
  id: 'ecs/taskdef-readonly-fields',
  severity: 'medium',
  title: 'Task-definition JSON holds read-only fields from a console export',
  messages: {
    cli: {
      message: '{{file}} holds {{fields}}, read-only fields that DescribeTaskDefinition returns (a console or CLI export); {{where}} registers it with aws ecs register-task-definition --cli-input-json, which rejects them ("Unknown parameter in input"), so the deploy fails',
      fix: 'delete {{fields}} from the file (keep family, containerDefinitions, cpu, memory, networkMode, requiresCompatibilities, roles, volumes, runtimePlatform)',
    },
    action: {
      message: '{{file}} holds {{fields}}, read-only fields that DescribeTaskDefinition returns (a console or CLI export); the ECS deploy action ({{where}}) drops them with a warning today, but any other registration (the AWS CLI, a script, an SDK call) rejects them',
      fix: 'delete {{fields}} from the file so it is a valid RegisterTaskDefinition input',
    },
    unknown: {
      message: '{{file}} holds {{fields}}, read-only fields that DescribeTaskDefinition returns (a console or CLI export): aws ecs register-task-definition --cli-input-json rejects them ("Unknown parameter in input"); only the amazon-ecs-deploy-task-definition action drops them',
      fix: 'delete {{fields}} from the file so it is a valid RegisterTaskDefinition input',
    },
  },
  check(model, report) {
    const regs = registrations(model);
    for (const task of infraOf(model).taskDefinitions) {
      if (task.format !== 'task-definition-json' || task.readOnlyFields.length === 0) continue;
      const written = [...task.readOnlyFields].sort((x, y) => x.loc.line - y.loc.line);
      const fields = written.map((f) => f.name).join(', ');
      const list = regs.get(task.file) ?? [];
      const cli = list.find((r) => r.via === 'cli');
      const action = list.find((r) => r.via === 'action');
      const first = written[0].loc;
      const key = `${task.file}:readonly`;
      if (cli) {
        report('cli', first, { file: task.file, fields, where: `${cli.loc.file}:${cli.loc.line}` }, { severity: 'high', related: [related(cli.loc, 'registers the file with the AWS CLI')], key });
      } else if (action) {
        report('action', first, { file: task.file, fields, where: `${action.loc.file}:${action.loc.line}` }, { severity: 'low', related: [related(action.loc, 'deploys the file with the ECS action')], key });
      } else {
        report('unknown', first, { file: task.file, fields }, { key });
      }
    }
  },
});
