import { allContainers } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf } from './_common.js';

export default defineRule({
  id: 'ecs/logging',
  severity: 'medium',
  title: 'Container has no log configuration',
  messages: {
    noLogging: {
      message: 'container \'{{container}}\' has no logConfiguration: on Fargate its stdout and stderr go nowhere, so crash messages at startup are lost',
      fix: 'add a logConfiguration with the awslogs driver (awslogs-group, awslogs-region, awslogs-stream-prefix) or FireLens; in CDK: logging: ecs.LogDrivers.awsLogs({ streamPrefix: \'{{container}}\' })',
    },
  },
  check(model, report) {
    for (const { task, container } of allContainers(infraOf(model))) {
      if (container.logConfiguration || container.logConfigurationUnresolved) continue;
      report('noLogging', container.loc, { container: containerName(container) }, { key: `${task.resourceName}:${containerName(container)}` });
    }
  },
});
