import type { DeploymentModel } from '../model/index.js';

/** GitHub Actions workflows (.github/workflows/*.yml): jobs, steps, what each step does; sets the build context of the Dockerfiles they build. */
export function discoverWorkflows(model: DeploymentModel): void {
  void model;
}
