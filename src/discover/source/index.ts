import type { DeploymentModel } from '../../model/index.js';

/** Services, their production entries, module graphs and the facts read from their source. */
export async function discoverSources(model: DeploymentModel): Promise<void> {
  void model;
}
