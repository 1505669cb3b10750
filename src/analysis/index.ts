import type { DeploymentModel } from '../model/index.js';
import { ProductionScope } from './scope.js';

export type { DockerfileRole, DockerfileScope, RuntimeKind } from './scope.js';
export { nonProductionPath, imageRepository } from './scope.js';

/**
 * Facts derived from the model once and shared by every rule: what is production, what each image
 * runs, how containers link to services and on what evidence. Rules read the model and this; each
 * part is computed on first use.
 */
export class Analysis {
  private productionScope?: ProductionScope;

  constructor(readonly model: DeploymentModel) {}

  /** Which files, Dockerfiles and services can reach ECS. */
  get scope(): ProductionScope {
    this.productionScope ??= new ProductionScope(this.model);
    return this.productionScope;
  }
}
