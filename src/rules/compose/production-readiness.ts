import type { ComposeService } from '../../model/compose.js';
import { defineRule } from '../rule.js';
import { deployEvidence } from '../ci/_pipeline.js';

/** Images of backing services (databases, caches, proxies): their compose entries are not the app. */
const BACKING_IMAGE = /^(docker\.io\/)?(library\/)?(postgres|postgis\/postgis|mysql|mariadb|mongo|redis|valkey\/valkey|memcached|rabbitmq|nginx|traefik|caddy|localstack\/localstack|minio\/minio|elasticsearch|opensearchproject\/opensearch|bitnami\/[\w-]+|amazon\/dynamodb-local|mailhog\/mailhog|axllent\/mailpit|adminer|dpage\/pgadmin4|grafana\/grafana|prom\/prometheus|jaegertracing\/[\w-]+|otel\/[\w-]+|confluentinc\/[\w-]+|zookeeper|wurstmeister\/[\w-]+)(:|$)/;

function isAppService(service: ComposeService): boolean {
  if (service.build) return true;
  return !!service.image && !BACKING_IMAGE.test(service.image.value);
}

/** Compose files named or placed for tests and CI: `docker-compose.test.yml`, `compose.ci.yaml`, `docker-compose.override.yml`, `ci/compose.yml`. */
const TEST_NAME = /(^|\/)(fixture|ci)\/|[.-](test|ci|e2e|override)\.ya?ml$/i;

export default defineRule({
  id: 'compose/production-readiness',
  severity: 'medium',
  title: 'Compose file not fit for production',
  messages: {
    noProductionCompose: {
      message: '{{which}} a development one that mounts source code into "{{service}}" ("{{volume}}" in {{file}}), and there is no production compose file: running it anywhere but a laptop runs unbuilt code',
      fix: 'add a production compose file (e.g. docker-compose.prod.yml) that uses the built images with no source mounts, NODE_ENV=production, `restart: unless-stopped`, resource limits and health checks',
    },
    sourceMount: {
      message: 'production compose service "{{service}}" bind-mounts source code ("{{volume}}"): the container runs the host folder, not the image that was built and tested',
      fix: 'remove the bind mount; ship code in the image (COPY in the Dockerfile) and keep volumes for data only',
    },
    noRestart: {
      message: 'production compose service "{{service}}" has no restart policy: a crash leaves it down',
      fix: 'add `restart: unless-stopped` (or deploy.restart_policy.condition: on-failure)',
    },
    noLimits: {
      message: 'production compose service "{{service}}" has no memory/CPU limits: one leak can starve every other container on the host',
      fix: 'add deploy.resources.limits (memory and cpus) sized like the ECS task',
    },
    noHealthcheck: {
      message: 'production compose service "{{service}}" has {{state}} health check: dependants start against it before it serves, and a hung process is never noticed',
      fix: 'add a healthcheck (test: ["CMD", "node", "healthcheck.js"] or a wget/curl of /health if the image has it) with interval, timeout and retries',
    },
    nodeEnv: {
      message: 'production compose service "{{service}}" sets NODE_ENV={{value}}: frameworks keep development behaviour (verbose errors, no caching)',
      fix: 'set NODE_ENV=production',
    },
  },
  check(model, report, analysis) {
    // Compose files for tests, CI, examples and dev containers are not what anyone runs in production.
    const outside = (path: string) => !!analysis.scope.nonProductionPath(path) || TEST_NAME.test(path);
    // A file named for production inside a test folder is that test's; one a workflow deploys is production wherever it is.
    const production = model.compose.filter((c) => c.production && !(c.production.startsWith('its name') && outside(c.path)));
    // A repository that deploys to ECS runs its services from task definitions: a compose file named for
    // production is then a self-hosting option or a leftover, and its gaps are hygiene (low).
    const runsOnEcs = model.infra.taskDefinitions.length > 0 || model.infra.ecsServices.length > 0 || deployEvidence(model)?.kind === 'deploy';
    for (const file of production) {
      for (const service of file.services) {
        if (!isAppService(service)) continue;
        const data = { service: service.name.value };
        // One service's missing settings are one finding (restart, limits, health check), listed under related.
        const gaps = { group: { key: `${file.path}\u0000${service.name.value}` }, ...(runsOnEcs ? { severity: 'low' as const } : {}) };
        for (const volume of service.volumes) if (volume.sourceMount) report('sourceMount', volume.loc, { ...data, volume: volume.text }, { severity: runsOnEcs ? 'low' : 'high' });
        if (!service.restart) report('noRestart', service.loc, data, gaps);
        if (!service.limits) report('noLimits', service.loc, data, gaps);
        if (!service.healthcheck || service.healthcheck.value === 'disabled') report('noHealthcheck', service.healthcheck?.loc ?? service.loc, { ...data, state: service.healthcheck ? 'its' : 'no' }, gaps);
        const nodeEnv = service.environment.get('NODE_ENV');
        if (nodeEnv && nodeEnv.value && !nodeEnv.value.includes('$') && nodeEnv.value !== 'production') report('nodeEnv', nodeEnv.loc, { ...data, value: nodeEnv.value }, runsOnEcs ? { severity: 'low' } : {});
      }
    }
    if (production.length > 0 || !deployEvidence(model)) return;
    // No production compose: when every compose file left mounts source into the app, that dev file is what someone will reach for.
    // Any other compose file (a self-host file with built images, one that only runs databases) means the repository has more than the dev one.
    const candidates = model.compose.filter((c) => !outside(c.path));
    const mounts = candidates.map((file) => {
      for (const service of file.services) {
        if (!isAppService(service)) continue;
        const mount = service.volumes.find((v) => v.sourceMount);
        if (mount) return { file, service, mount };
      }
      return undefined;
    });
    const first = mounts[0];
    if (!first || mounts.some((m) => !m)) return;
    const which = candidates.length === 1 ? `the only compose file (${first.file.path}) is` : `every compose file (${candidates.map((c) => c.path).join(', ')}) is`;
    report('noProductionCompose', first.mount.loc, { which, file: first.file.path, service: first.service.name.value, volume: first.mount.text }, { key: 'no-production-compose' });
  },
});
