import { allContainers } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf } from './_common.js';

export default defineRule({
  id: 'ecs/logging',
  severity: 'medium',
  title: 'Container has no log configuration',
  messages: {
    misspelled: {
      message: 'container \'{{container}}\' writes {{key}}, which is not an ECS field (container definitions use camelCase: logConfiguration): ECS ignores it, so the container has no log configuration and its output is lost',
      fix: 'rename {{key}} to logConfiguration (and its keys to logDriver/options); inside jsonencode the names are the ECS API\'s, not Terraform\'s',
    },
    noLogging: {
      message: 'container \'{{container}}\' has no logConfiguration: on Fargate its stdout and stderr go nowhere, so crash messages at startup are lost',
      fix: 'add a logConfiguration with the awslogs driver (awslogs-group, awslogs-region, awslogs-stream-prefix) or FireLens; in CDK: logging: ecs.LogDrivers.awsLogs({ streamPrefix: \'{{container}}\' })',
    },
  },
  check(model, report) {
    for (const { task, container } of allContainers(infraOf(model))) {
      if (container.logConfiguration || container.logConfigurationUnresolved) continue;
      const misspelled = (container.unknownKeys ?? []).find((k) => /^log_?configuration$/i.test(k.value));
      if (misspelled) {
        report('misspelled', misspelled.loc, { container: containerName(container), key: misspelled.value }, { severity: 'high', key: `${task.resourceName}:${containerName(container)}` });
        continue;
      }
      report('noLogging', container.loc, { container: containerName(container) }, { key: `${task.resourceName}:${containerName(container)}` });
    }
  },
});
