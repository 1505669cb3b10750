import { isUnresolved, known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { infraOf, rolledByEcs } from './_common.js';

export default defineRule({
  id: 'ecs/no-circuit-breaker',
  severity: 'medium',
  title: 'ECS service without circuit breaker rollback',
  messages: {
    missing: {
      message: 'ECS service \'{{name}}\' has no deployment circuit breaker: a revision whose tasks never become healthy is retried forever and the previous version is not restored automatically',
      fix: 'enable the deployment circuit breaker with rollback (Terraform: deployment_circuit_breaker { enable = true, rollback = true }; CloudFormation: DeploymentConfiguration.DeploymentCircuitBreaker; CDK: circuitBreaker: { rollback: true })',
    },
    noRollback: {
      message: 'ECS service \'{{name}}\' enables the deployment circuit breaker without rollback: a failed deployment stops, but the service stays on the broken revision',
      fix: 'set rollback to true so ECS returns to the last revision that reached a steady state',
    },
  },
  check(model, report) {
    for (const service of infraOf(model).ecsServices) {
      // CodeDeploy (blue/green) and external controllers have their own rollback.
      if (!rolledByEcs(service)) continue;
      if (service.circuitBreakerUnresolved) continue;
      const name = known(service.name) ?? service.resourceName;
      const breaker = service.circuitBreaker;
      if (!breaker || known(breaker.enable) === false) {
        report('missing', breaker?.loc ?? service.loc, { name });
        continue;
      }
      if (breaker.enable && isUnresolved(breaker.enable.value)) continue;
      if (breaker.rollback && isUnresolved(breaker.rollback.value)) continue;
      if (known(breaker.rollback) !== true) report('noRollback', breaker.rollback?.loc ?? breaker.loc, { name });
    }
  },
});
