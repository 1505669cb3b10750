import { isUnresolved, known, servicesRunning, type ContainerDefinition, type TaskDefinition } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';

/** Images of well-known sidecars (by repository path), with what they do, for messages. */
const SIDECARS: [RegExp, string][] = [
  [/(^|\/)(aws-for-fluent-bit|fluent-bit|fluentbit|fluentd)$/, 'log router'],
  [/(^|\/)(aws-xray-daemon|xray-daemon|xray)$/, 'X-Ray daemon'],
  [/(^|\/)(aws-appmesh-envoy|appmesh-envoy|envoy|envoy-alpine)$/, 'Envoy proxy'],
  [/(^|\/)datadog\/(agent|datadog-agent)$|(^|\/)datadog-agent$/, 'Datadog agent'],
  [/(^|\/)(aws-otel-collector|opentelemetry-collector|opentelemetry-collector-contrib|otel-collector)$/, 'OpenTelemetry collector'],
  [/(^|\/)(cloudwatch-agent)$/, 'CloudWatch agent'],
  [/(^|\/)newrelic\/(infrastructure|nri-ecs|infrastructure-bundle)$/, 'New Relic agent'],
];

function sidecarKind(container: ContainerDefinition): string | undefined {
  if (container.firelensConfiguration) return 'log router';
  const repo = container.imageRef?.repository;
  if (!repo) return undefined;
  return SIDECARS.find(([re]) => re.test(repo.toLowerCase()))?.[1];
}

/** The containers that run the app: linked to a service of the repository, or named by a load balancer. */
function appContainers(model: Parameters<typeof infraOf>[0], task: TaskDefinition): ContainerDefinition[] {
  const lbNames = new Set(servicesRunning(infraOf(model), task).flatMap((s) => s.loadBalancers.map((lb) => known(lb.containerName)).filter((n) => n !== undefined)));
  return task.containers.filter((c) => (c.link && !sidecarKind(c)) || lbNames.has(containerName(c)));
}

export default defineRule({
  id: 'ecs/sidecar-essential',
  severity: 'medium',
  title: 'Sidecar container left essential',
  messages: {
    essential: {
      message: "{{kind}} '{{sidecar}}' ({{image}}) is essential ({{why}}) and app container '{{app}}' has no dependsOn on it: when the sidecar exits or crashes, ECS stops the whole task and the app with it, and the app may start before the sidecar is ready",
      fix: "set essential: false on '{{sidecar}}' so its failure does not stop the app, and add dependsOn to '{{app}}' ({ containerName: '{{sidecar}}', condition: '{{condition}}' }) so the app starts after it; keep it essential only if the app must not run without it (some teams want that for a log router or an APM agent), and then add the dependsOn",
    },
  },
  check(model, report) {
    for (const task of infraOf(model).taskDefinitions) {
      if (task.containersUnresolved || task.containers.length < 2) continue;
      const apps = appContainers(model, task);
      if (apps.length === 0) continue;
      for (const container of task.containers) {
        if (apps.includes(container)) continue;
        const kind = sidecarKind(container);
        if (!kind) continue;
        const essential = container.essential;
        if (essential && (isUnresolved(essential.value) || essential.value === false)) continue;
        const name = containerName(container);
        const app = apps.find((a) => !a.dependsOn.some((d) => d.containerName === name));
        if (!app) continue;
        report('essential', essential?.loc ?? container.loc, {
          kind: kind.charAt(0).toUpperCase() + kind.slice(1),
          sidecar: name,
          image: container.firelensConfiguration && !container.imageRef?.repository ? 'FireLens log router' : container.imageRef?.text ?? 'image',
          why: essential ? 'essential: true' : 'essential is not set, and ECS defaults it to true',
          app: containerName(app),
          condition: container.healthCheck ? 'HEALTHY' : 'START',
        }, { related: [related(app.loc, `app container '${containerName(app)}'`)], key: `${name}:essential` });
      }
    }
  },
});
