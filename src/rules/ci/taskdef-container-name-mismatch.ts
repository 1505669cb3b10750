import { known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { allSteps, literalValue, usesAction, workflowTouchesFile } from './_pipeline.js';

export default defineRule({
  id: 'ci/taskdef-container-name-mismatch',
  severity: 'critical',
  title: 'Render step names a container the task definition does not have',
  messages: {
    mismatch: {
      message:
        'amazon-ecs-render-task-definition sets the image of container "{{name}}"{{written}}, but {{file}} defines only {{containers}}{{hint}}: the step fails with "Could not find container definition with matching name" and nothing is deployed',
      fix: 'set `container-name:` to {{suggestion}} (the `name` in containerDefinitions of {{file}}), or rename the container there; names are case-sensitive',
    },
  },
  check(model, report) {
    const jsonTasks = model.infra.taskDefinitions.filter((t) => t.format === 'task-definition-json');
    if (jsonTasks.length === 0) return;
    for (const { workflow, job, step } of allSteps(model)) {
      if (!usesAction(step, 'aws-actions/amazon-ecs-render-task-definition')) continue;
      const taskInput = step.with.get('task-definition');
      const nameInput = step.with.get('container-name');
      if (!taskInput || !nameInput) continue;
      const taskPath = literalValue(workflow, job, step, taskInput.value);
      const name = literalValue(workflow, job, step, nameInput.value)?.trim();
      if (taskPath === undefined || name === undefined || /\$/.test(taskPath + name)) continue;
      // Action inputs are paths from the workspace root; `working-directory` applies to `run:` only.
      const file = taskPath.trim().replace(/^\.\//, '').replace(/\/\/+/g, '/');
      const task = jsonTasks.find((t) => t.file === file);
      if (!task || task.containersUnresolved || task.containers.length === 0) continue;
      // A script that writes or edits the file (describe-task-definition > file, jq, sed, envsubst) decides what the step reads.
      if (workflowTouchesFile(workflow, file)) continue;
      const names = task.containers.map((c) => known(c.name));
      if (names.some((n) => n === undefined || /\$\{|\{\{|<[^>]*>|%/.test(n))) continue;
      if (names.includes(name)) continue;
      const envOrigin = (written: string) => {
        const variable = /\$\{\{\s*env\.([\w-]+)\s*\}\}/.exec(written)?.[1];
        const defined = variable ? (step.env.get(variable) ?? job.env.get(variable) ?? workflow.env.get(variable)) : undefined;
        return defined ? [{ ...defined.loc, message: `${variable}: ${defined.value}` }] : [];
      };
      const caseTwin = names.find((n) => n!.toLowerCase() === name.toLowerCase());
      const familyHint = known(task.family) === name ? ' (that is the task family, not a container name)' : '';
      report(
        'mismatch',
        nameInput.loc,
        {
          name,
          written: name === nameInput.value.trim() ? '' : ` (from ${nameInput.value.trim()})`,
          file,
          containers: names.map((n) => `"${n}"`).join(', '),
          hint: caseTwin ? ` (differing only in case: "${caseTwin}")` : familyHint,
          suggestion: names.length === 1 || caseTwin ? `"${caseTwin ?? names[0]}"` : `one of ${names.map((n) => `"${n}"`).join(', ')}`,
        },
        { related: [...task.containers.map((c) => ({ ...(c.name.loc ?? c.loc), message: `container "${known(c.name)}" of ${file}` })), ...envOrigin(nameInput.value)] },
      );
    }
  },
});
