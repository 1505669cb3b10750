import type { DeploymentModel } from '../model/index.js';

/** docker-compose files: services, build, volumes, restart, resources, health checks; sets the build context of the Dockerfiles they build. */
export function discoverCompose(model: DeploymentModel): void {
  void model;
}
