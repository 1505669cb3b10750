import { describeValue } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { imageEnv, linkedContainers, PLATFORM_ENV, related, linkedReport } from './_common.js';

export default defineRule({
  id: 'ecs/env-missing',
  severity: 'critical',
  title: 'Task definition does not set a variable the code requires',
  messages: {
    missing: {
      message:
        '{{name}} is required by the code ({{via}} at {{codeFile}}:{{codeLine}}) but {{container}} sets it neither in environment nor in secrets: the service stops at startup without it, and ECS replaces the task in a loop',
      fix: 'add {{name}} to the container\'s "secrets" (valueFrom a Secrets Manager or SSM ARN) if it is sensitive, otherwise to "environment"',
    },
    unset: {
      message:
        '{{name}} is read by the code with no default ({{via}} at {{codeFile}}:{{codeLine}}) but {{container}} sets it neither in environment nor in secrets: the code runs on with undefined, and whatever uses it fails at request time',
      fix: 'add {{name}} to the container\'s "secrets" (valueFrom a Secrets Manager or SSM ARN) if it is sensitive, otherwise to "environment"; if it is optional, give it a default in the code',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { container, service, label, task } = linked;
      const report = linkedReport(reportAny, linked);
      // Only a list the audit can read whole can prove a variable is absent (no expressions, no env files).
      if (!container.environmentComplete || !container.secretsComplete || container.environmentFiles.length > 0) continue;
      const set = new Set([...container.environment.map((e) => e.name), ...container.secrets.map((s) => s.name)]);
      const fromImage = imageEnv(service);
      const reported = new Set<string>();
      for (const read of service.env) {
        if (!read.required || set.has(read.name) || fromImage.has(read.name) || PLATFORM_ENV.has(read.name) || reported.has(read.name)) continue;
        reported.add(read.name);
        // Proven to stop the service (a validator, a throw): critical. A plain read without a default: high.
        report(
          read.enforced ? 'missing' : 'unset',
          container.environmentLoc ?? container.secretsLoc ?? container.loc,
          { name: read.name, via: read.via, codeFile: read.loc.file, codeLine: read.loc.line, container: label },
          {
            related: [related(read.loc, `${read.via} requires ${read.name}`)],
            key: `${task.resourceName}:${describeValue(container.name)}:${read.name}`,
            ...(read.enforced ? {} : { severity: 'high' as const }),
          },
        );
      }
    }
  },
});
