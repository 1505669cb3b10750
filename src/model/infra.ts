/** Task definitions, ECS services, load balancers, ECR repositories and IAM, from every IaC format. Filled by discover/infra/. */
export interface InfraModel {
  taskDefinitions: unknown[];
}
