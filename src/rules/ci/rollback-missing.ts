import { isUnresolved, known, type EcsService } from '../../model/infra.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { deployJobs, deployedServiceName, isFailureOnly, isNonProduction, matchingEcsServices } from './_pipeline.js';

export default defineRule({
  id: 'ci/rollback-missing',
  severity: 'medium',
  title: 'ECS deploy without automatic rollback',
  messages: {
    missing: {
      message: 'this ECS deploy has no rollback: no step or job runs on failure to restore the previous task definition, and {{evidence}}; a bad release stays live until someone acts',
      fix: 'enable the ECS deployment circuit breaker with rollback on the service (deploymentCircuitBreaker {enable: true, rollback: true}), and/or add a job with if: failure() that redeploys the previous task definition revision',
    },
  },
  check(model, report) {
    const services = model.infra.ecsServices;
    const rollsBack = (s: EcsService) => known(s.circuitBreaker?.rollback) === true || !!s.circuitBreakerUnresolved || (!!s.circuitBreaker?.rollback && isUnresolved(s.circuitBreaker.rollback.value));
    for (const { workflow, job, step, activity } of deployJobs(model, ['ecs-deploy'])) {
      // Preview, ephemeral and staging deploys are where failures are meant to be found.
      if (isNonProduction(workflow, job)) continue;
      const hasRollback = workflow.jobs.some(
        (j) =>
          j.steps.some((s) => s.activities.some((a) => a.kind === 'rollback')) ||
          /rollback|roll-back/i.test(`${j.id.value} ${j.name?.value ?? ''}`) ||
          (isFailureOnly(j.if?.value) && j.steps.some((s) => s.activities.some((a) => a.kind === 'ecs-deploy'))),
      );
      // Blue/green through CodeDeploy rolls back by the deployment group's own settings.
      const codeDeploy = job.steps.some((s) => s.with.has('codedeploy-appspec') || s.with.has('codedeploy-application'));
      if (hasRollback || codeDeploy) continue;
      // The service this deploy rolls: the one of the repository's infrastructure code with its name. A
      // deploy naming another service says nothing about the ones defined here.
      const name = deployedServiceName(workflow, job, step);
      const match = name.value !== undefined ? matchingEcsServices(model, name.value) : { services, exact: false };
      const deployed = match.services;
      // A circuit breaker with rollback (or one set by an expression we cannot read): ECS rolls back by itself.
      if (deployed.some(rollsBack)) continue;
      // Without the service definition in the repository the circuit breaker may exist elsewhere: say so, and report it as low.
      const evidence = deployed.length > 0
        ? `the ECS service definition${deployed.length > 1 ? 's' : ''} in the repository (${deployed[0].file}) enable${deployed.length > 1 ? '' : 's'} no deployment circuit breaker with rollback`
        : name.value !== undefined && services.length > 0
          ? `the ECS service it deploys ("${name.value}") is not one the repository defines, so no circuit breaker with rollback can be seen`
          : 'the ECS service is not defined in this repository, so no circuit breaker with rollback can be seen';
      const related: RelatedLocation[] = deployed.slice(0, 3).map((s) => ({ file: s.loc.file, line: s.loc.line, message: `ECS service ${s.resourceName} without circuit breaker rollback` }));
      // A service named by an expression (in the workflow or the infrastructure code) is taken to be the one deployed.
      const assumes = !match.exact && deployed.length > 0 ? `the service this deploy rolls is ${deployed.map((s) => s.resourceName).join(' or ')}` : undefined;
      report('missing', activity.loc, { evidence }, { key: `${workflow.path}:${job.id.value}`, related, severity: deployed.length > 0 ? 'medium' : 'low', ...(assumes ? { assumes } : {}) });
    }
  },
});
