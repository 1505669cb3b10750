import type { DeploymentModel } from '../../model/index.js';

/** Task definitions, ECS services, load balancers, ECR repositories and IAM from task-definition JSON, Terraform, CloudFormation and CDK. */
export async function discoverInfra(model: DeploymentModel): Promise<void> {
  void model;
}
