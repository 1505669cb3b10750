import type { ComposeService } from '../../model/compose.js';
import { defineRule } from '../rule.js';
import { deployEvidence } from '../ci/_pipeline.js';

/** Images of backing services (databases, caches, proxies): their compose entries are not the app. */
const BACKING_IMAGE = /^(docker\.io\/)?(library\/)?(postgres|postgis\/postgis|mysql|mariadb|mongo|redis|valkey\/valkey|memcached|rabbitmq|nginx|traefik|caddy|localstack\/localstack|minio\/minio|elasticsearch|opensearchproject\/opensearch|bitnami\/[\w-]+|amazon\/dynamodb-local|mailhog\/mailhog|axllent\/mailpit|adminer|dpage\/pgadmin4|grafana\/grafana|prom\/prometheus|jaegertracing\/[\w-]+|otel\/[\w-]+|confluentinc\/[\w-]+|zookeeper|wurstmeister\/[\w-]+)(:|$)/;

function isAppService(service: ComposeService): boolean {
  if (service.build) return true;
  return !!service.image && !BACKING_IMAGE.test(service.image.value);
}

export default defineRule({
  id: 'compose/production-readiness',
  severity: 'medium',
  title: 'Compose file not fit for production',
  messages: {
    noProductionCompose: {
      message: 'the only compose file ({{file}}) is a development one that mounts source code into "{{service}}" ("{{volume}}"), and there is no production compose file: running it anywhere but a laptop runs unbuilt code',
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
  check(model, report) {
    const production = model.compose.filter((c) => c.production);
    for (const file of production) {
      for (const service of file.services) {
        if (!isAppService(service)) continue;
        const data = { service: service.name.value };
        for (const volume of service.volumes) if (volume.sourceMount) report('sourceMount', volume.loc, { ...data, volume: volume.text }, { severity: 'high' });
        if (!service.restart) report('noRestart', service.loc, data);
        if (!service.limits) report('noLimits', service.loc, data);
        if (!service.healthcheck || service.healthcheck.value === 'disabled') report('noHealthcheck', service.healthcheck?.loc ?? service.loc, { ...data, state: service.healthcheck ? 'its' : 'no' });
        const nodeEnv = service.environment.get('NODE_ENV');
        if (nodeEnv && nodeEnv.value && !nodeEnv.value.includes('$') && nodeEnv.value !== 'production') report('nodeEnv', nodeEnv.loc, { ...data, value: nodeEnv.value });
      }
    }
    if (production.length > 0 || !deployEvidence(model)) return;
    // No production compose: a dev compose that mounts source is what someone will reach for.
    for (const file of model.compose) {
      // Compose files for tests, CI and examples are not what anyone runs in production.
      if (/(^|\/)(tests?|e2e|__tests__|fixtures?|examples?|ci)\/|[.-](test|ci|e2e|override)\.ya?ml$/i.test(file.path)) continue;
      for (const service of file.services) {
        if (!isAppService(service)) continue;
        const mount = service.volumes.find((v) => v.sourceMount);
        if (mount) {
          report('noProductionCompose', mount.loc, { file: file.path, service: service.name.value, volume: mount.text }, { key: 'no-production-compose' });
          return;
        }
      }
    }
  },
});
