import type { DeploymentModel } from '../model/index.js';

/** Dependabot and Renovate configuration and the ecosystems/directories they cover. */
export function discoverDependencyUpdates(model: DeploymentModel): void {
  void model;
}
