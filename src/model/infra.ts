import type { Loc } from './location.js';
import type { Service } from './source.js';

/**
 * Task definitions, ECS services, load balancers, ECR repositories and IAM, from every IaC format
 * (task-definition JSON, Terraform, CloudFormation/SAM incl. CDK synth output, CDK source). Filled by
 * discover/infra/.
 *
 * Values the repository does not fix (a Terraform variable, a `!Ref`, a CDK prop, a function call)
 * are kept as `{ unresolved: text }`: rules treat them as unknown and never claim a value is missing
 * because of them.
 */

export type InfraFormat = 'task-definition-json' | 'terraform' | 'cloudformation' | 'cdk';

/** A value written as an expression the audit cannot evaluate. */
export interface Unresolved {
  /** The expression as written (`var.image`, `!Ref ImageTag`, `props.cpu`), or a rendering of it. */
  unresolved: string;
  /** The resource it refers to, when it refers to one (`aws_lb_target_group.api`, `ApiTargetGroup`, a CDK variable). */
  ref?: string;
}

/** A value of the infrastructure together with the line it was written on. */
export interface InfraValue<T> {
  value: T | Unresolved;
  loc: Loc;
}

export function isUnresolved(value: unknown): value is Unresolved {
  return typeof value === 'object' && value !== null && typeof (value as Unresolved).unresolved === 'string';
}

/** The literal value, or undefined when absent or unresolved. */
export function known<T>(v: InfraValue<T> | undefined): T | undefined {
  return v === undefined || isUnresolved(v.value) ? undefined : v.value;
}

/** A value for messages: the literal, or the expression it comes from. */
export function describeValue(v: InfraValue<unknown> | undefined): string {
  if (!v) return 'unset';
  if (isUnresolved(v.value)) return v.value.unresolved;
  return Array.isArray(v.value) ? JSON.stringify(v.value) : String(v.value);
}

export interface EnvironmentVariable {
  name: string;
  value: InfraValue<string>;
  loc: Loc;
}

export interface SecretVariable {
  name: string;
  /** Secrets Manager / SSM ARN or name, or the expression that produces it. */
  valueFrom: InfraValue<string>;
  loc: Loc;
}

export interface PortMapping {
  containerPort?: InfraValue<number>;
  hostPort?: InfraValue<number>;
  protocol?: InfraValue<string>;
  loc: Loc;
}

export interface ContainerHealthCheck {
  /** `["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"]` */
  command: InfraValue<string[]>;
  intervalSeconds?: InfraValue<number>;
  timeoutSeconds?: InfraValue<number>;
  retries?: InfraValue<number>;
  startPeriodSeconds?: InfraValue<number>;
  loc: Loc;
}

export interface LogConfiguration {
  /** awslogs, awsfirelens, splunk, … */
  logDriver: InfraValue<string>;
  options: Map<string, InfraValue<string>>;
  loc: Loc;
}

/** An image reference split into parts. Parts written as expressions are undefined. */
export interface ImageReference {
  /** As written, or its rendering when partly unresolved (`${var.registry}/api:latest`). */
  text: string;
  /** Repository path without registry, e.g. `scalemap-api`, `library/node`. */
  repository?: string;
  registry?: string;
  /** Literal tag; undefined when none is written or when it is an expression (see tagUnresolved). */
  tag?: string;
  digest?: string;
  /** The tag, or the whole reference, is an expression. */
  tagUnresolved: boolean;
  /** CDK `ContainerImage.fromAsset(dir)`: built from this repo-relative folder at deploy time. */
  assetDir?: string;
  /** CDK `fromAsset(dir, { platform })` as written (`Platform.LINUX_ARM64`); undefined when not given (the host's). */
  assetPlatform?: string;
  /** CDK `ContainerImage.fromEcrRepository(repo)`: the repository construct's variable. */
  ecrRepositoryRef?: string;
}

/** How a container definition was matched to a service of the repository. */
export interface ContainerLink {
  service: Service;
  via: 'image-repository' | 'dockerfile' | 'compose-service' | 'name' | 'only-service';
  /** For messages: "image repository 'scalemap-api' is built from server/Dockerfile". */
  evidence: string;
}

export interface ContainerDefinition {
  name: InfraValue<string>;
  image?: InfraValue<string>;
  imageRef?: ImageReference;
  essential?: InfraValue<boolean>;
  cpu?: InfraValue<number>;
  memory?: InfraValue<number>;
  memoryReservation?: InfraValue<number>;
  portMappings: PortMapping[];
  /** False when the list is (partly) an expression: `environment = local.env`, a spread, `concat(...)`. */
  portMappingsComplete: boolean;
  environment: EnvironmentVariable[];
  environmentComplete: boolean;
  /** `environment` key or block, when written. */
  environmentLoc?: Loc;
  secrets: SecretVariable[];
  secretsComplete: boolean;
  secretsLoc?: Loc;
  /** `environmentFiles` (S3 .env files): the variables they set are unknown. */
  environmentFiles: InfraValue<string>[];
  healthCheck?: ContainerHealthCheck;
  /** The health check is written as an expression. */
  healthCheckUnresolved?: boolean;
  stopTimeoutSeconds?: InfraValue<number>;
  logConfiguration?: LogConfiguration;
  logConfigurationUnresolved?: boolean;
  readonlyRootFilesystem?: InfraValue<boolean>;
  command?: InfraValue<string[]>;
  entryPoint?: InfraValue<string[]>;
  user?: InfraValue<string>;
  dependsOn: { containerName: string; condition?: string; loc: Loc }[];
  /** `firelensConfiguration` (CDK `firelensConfig`, `addFirelensLogRouter`): this container is the FireLens log router. */
  firelensConfiguration?: Loc;
  mountPoints: { containerPath?: InfraValue<string>; sourceVolume?: InfraValue<string>; readOnly?: InfraValue<boolean>; loc: Loc }[];
  /** False when `mountPoints` (or `linuxParameters.tmpfs`) is (partly) an expression, or CDK adds mount points in a way not read: the writable paths are unknown. Undefined = complete. */
  mountPointsComplete?: boolean;
  /** `linuxParameters.tmpfs` mounts: writable in-memory paths (Fargate platform 1.4+ accepts them). */
  tmpfs?: { containerPath?: InfraValue<string>; loc: Loc }[];
  /** Line of the container's definition (its object, or the CDK `addContainer` call). */
  loc: Loc;
  /** The service of the repository this container runs, when a link was found. */
  link?: ContainerLink;
  /** A workflow step (amazon-ecs-render-task-definition) that replaces this container's image at deploy time. */
  imageRenderedBy?: Loc;
  /** Keys ECS does not know (snake_case such as `log_configuration` inside jsonencode): ignored at registration. */
  unknownKeys: { value: string; loc: Loc }[];
}

export interface TaskDefinition {
  format: InfraFormat;
  file: string;
  /** Terraform address, CloudFormation logical id, CDK variable/construct id, or the file for JSON. */
  resourceName: string;
  loc: Loc;
  family?: InfraValue<string>;
  /** Task-level CPU units (256 = .25 vCPU); "1 vCPU" is normalised to 1024. */
  cpu?: InfraValue<number>;
  /** Task-level memory in MiB; "2 GB" is normalised to 2048. */
  memory?: InfraValue<number>;
  requiresCompatibilities?: InfraValue<string[]>;
  networkMode?: InfraValue<string>;
  /** True for Fargate: FARGATE compatibility, a CDK FargateTaskDefinition, or used by a FARGATE service. */
  fargate: boolean;
  runtimePlatform?: { cpuArchitecture?: InfraValue<string>; operatingSystemFamily?: InfraValue<string>; loc: Loc };
  executionRoleArn?: InfraValue<string>;
  taskRoleArn?: InfraValue<string>;
  volumes: { name: InfraValue<string>; loc: Loc }[];
  containers: ContainerDefinition[];
  /** `container_definitions = var.x`, a file that is not in the repository, …: the containers are unknown. */
  containersUnresolved?: InfraValue<string>;
  /** Keys the DescribeTaskDefinition output has and RegisterTaskDefinition rejects (`taskDefinitionArn`, `revision`, …). */
  readOnlyFields: { name: string; loc: Loc }[];
}

export interface ServiceLoadBalancer {
  /** Terraform address / logical id / CDK variable of the target group, when it names one. */
  targetGroupRef?: string;
  containerName?: InfraValue<string>;
  containerPort?: InfraValue<number>;
  loc: Loc;
}

export interface EcsService {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  name?: InfraValue<string>;
  /** What the service names as its task definition (resource reference or family). */
  taskDefinitionRef?: InfraValue<string>;
  taskDefinition?: TaskDefinition;
  launchType?: InfraValue<string>;
  desiredCount?: InfraValue<number>;
  /** ECS (rolling update, the default), CODE_DEPLOY or EXTERNAL. */
  deploymentController?: InfraValue<string>;
  circuitBreaker?: { enable?: InfraValue<boolean>; rollback?: InfraValue<boolean>; loc: Loc };
  /** The circuit breaker setting is an expression. */
  circuitBreakerUnresolved?: boolean;
  minimumHealthyPercent?: InfraValue<number>;
  maximumPercent?: InfraValue<number>;
  healthCheckGracePeriodSeconds?: InfraValue<number>;
  /** REPLICA (default) or DAEMON (one task per EC2 instance: other deployment defaults, no desired count). */
  schedulingStrategy?: InfraValue<string>;
  /** Largest task count Application Auto Scaling may set (`aws_appautoscaling_target.max_capacity`, CDK `autoScaleTaskCount({ maxCapacity })`). */
  autoscalingMaxCapacity?: InfraValue<number>;
  loadBalancers: ServiceLoadBalancer[];
  /** False when `load_balancer` is dynamic or an expression. */
  loadBalancersComplete: boolean;
  targetGroups: TargetGroup[];
}

export interface TargetGroupHealthCheck {
  enabled?: InfraValue<boolean>;
  /** Default `/` when the health check is HTTP and no path is written. */
  path?: InfraValue<string>;
  /** `traffic-port` (default) or a number. */
  port?: InfraValue<string>;
  protocol?: InfraValue<string>;
  matcher?: InfraValue<string>;
  loc: Loc;
}

export interface TargetGroup {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  name?: InfraValue<string>;
  port?: InfraValue<number>;
  protocol?: InfraValue<string>;
  /** `instance` (default), `ip` (required for awsvpc/Fargate), `lambda`, `alb`. */
  targetType?: InfraValue<string>;
  healthCheck?: TargetGroupHealthCheck;
  /** Seconds of connection draining (default 300). */
  deregistrationDelaySeconds?: InfraValue<number>;
}

export interface ListenerAction {
  /** forward, redirect, fixed-response, authenticate-oidc, authenticate-cognito. */
  type: InfraValue<string>;
  redirectProtocol?: InfraValue<string>;
  redirectPort?: InfraValue<string>;
  targetGroupRefs: string[];
  loc: Loc;
}

export interface RuleCondition {
  /** path-pattern, host-header, http-header, http-request-method, query-string, source-ip. */
  field: string;
  /** Each value counts as one match evaluation for AWS's limits. */
  values: InfraValue<string>[];
  /** False when the value list is (partly) an expression. */
  valuesComplete: boolean;
  loc: Loc;
}

export interface ListenerRule {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  listenerRef?: string;
  listener?: Listener;
  priority?: InfraValue<number>;
  conditions: RuleCondition[];
  actions: ListenerAction[];
}

export interface Listener {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  loadBalancerRef?: string;
  loadBalancer?: LoadBalancer;
  port?: InfraValue<number>;
  protocol?: InfraValue<string>;
  certificates: InfraValue<string>[];
  defaultActions: ListenerAction[];
  /** False when the default action is an expression or dynamic. */
  defaultActionsComplete: boolean;
  rules: ListenerRule[];
}

export interface LoadBalancer {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  name?: InfraValue<string>;
  /** application (default), network, gateway. */
  type?: InfraValue<string>;
  /** internet-facing (default) or internal. */
  scheme?: InfraValue<string>;
  idleTimeoutSeconds?: InfraValue<number>;
  listeners: Listener[];
}

export interface EcrRepository {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
  name?: InfraValue<string>;
  /** MUTABLE (default) or IMMUTABLE. */
  imageTagMutability?: InfraValue<string>;
}

export interface IamPolicyStatement {
  format: InfraFormat;
  file: string;
  /** The policy, role or policy document it belongs to. */
  resourceName: string;
  /** Role resource name(s) the policy is attached to, when known. */
  roleRefs: string[];
  effect?: InfraValue<string>;
  actions: InfraValue<string>[];
  notActions: InfraValue<string>[];
  resources: InfraValue<string>[];
  /** False when actions or resources are (partly) expressions. */
  complete: boolean;
  loc: Loc;
}

export interface IamRole {
  format: InfraFormat;
  file: string;
  resourceName: string;
  name?: InfraValue<string>;
  managedPolicyArns: InfraValue<string>[];
  /**
   * A policy is attached to the role in a way the audit cannot read (a policy from a variable, a
   * `!Ref`'d managed policy, `managed_policy_arns` as an expression): what the role may do is unknown.
   */
  policiesUnresolved?: boolean;
  /** AWS services its trust policy lets assume it (`ecs-tasks.amazonaws.com`); undefined when not read. */
  trustedServices?: string[];
  loc: Loc;
}

export interface SecretsManagerSecret {
  format: InfraFormat;
  file: string;
  resourceName: string;
  name?: InfraValue<string>;
  /** `kms_key_id` / `KmsKeyId`; unset means the AWS managed key aws/secretsmanager. */
  kmsKeyId?: InfraValue<string>;
  loc: Loc;
}

/** A CloudWatch log group the IaC creates (`aws_cloudwatch_log_group`, `AWS::Logs::LogGroup`, CDK `logs.LogGroup`). */
export interface LogGroup {
  format: InfraFormat;
  file: string;
  resourceName: string;
  name?: InfraValue<string>;
  loc: Loc;
}

export interface InfraModel {
  taskDefinitions: TaskDefinition[];
  ecsServices: EcsService[];
  loadBalancers: LoadBalancer[];
  /** Every listener, including those whose load balancer is not in the repository. */
  listeners: Listener[];
  listenerRules: ListenerRule[];
  targetGroups: TargetGroup[];
  ecrRepositories: EcrRepository[];
  iamStatements: IamPolicyStatement[];
  iamRoles: IamRole[];
  logGroups: LogGroup[];
  /**
   * Terraform role policies and attachments whose role is not a role resource of the same module (a
   * variable, a module output, a role name): they may belong to any role, so no role's permissions are known.
   */
  unattributedRolePolicies?: Loc[];
  /** Secrets Manager secrets the IaC creates, with the KMS key that encrypts them (the ECS agent needs kms:Decrypt on a customer-managed key). */
  secrets?: SecretsManagerSecret[];
}

export function emptyInfraModel(): InfraModel {
  return {
    taskDefinitions: [],
    ecsServices: [],
    loadBalancers: [],
    listeners: [],
    listenerRules: [],
    targetGroups: [],
    ecrRepositories: [],
    iamStatements: [],
    iamRoles: [],
    logGroups: [],
  };
}

/** Every container definition with the task definition it belongs to. */
export function allContainers(infra: InfraModel): { task: TaskDefinition; container: ContainerDefinition }[] {
  return infra.taskDefinitions.flatMap((task) => task.containers.map((container) => ({ task, container })));
}

/** ECS services (in the repository) that run a task definition. */
export function servicesRunning(infra: InfraModel, task: TaskDefinition): EcsService[] {
  return infra.ecsServices.filter((s) => s.taskDefinition === task);
}

/** A sentence fragment saying how a container was linked to its service, for finding messages. */
export function describeLink(link: ContainerLink): string {
  return `linked to service '${link.service.name}' by ${link.evidence}`;
}

/**
 * The containers linked to each service, for the services section of the JSON report (which is
 * written per service). Filled by discover/infra/link.ts; keyed weakly so each audit has its own.
 */
const deploymentsByService = new WeakMap<Service, { task: TaskDefinition; container: ContainerDefinition }[]>();

export function recordDeployment(service: Service, task: TaskDefinition, container: ContainerDefinition): void {
  const list = deploymentsByService.get(service);
  if (list) list.push({ task, container });
  else deploymentsByService.set(service, [{ task, container }]);
}

export function deploymentsOf(service: Service): { task: TaskDefinition; container: ContainerDefinition }[] {
  return deploymentsByService.get(service) ?? [];
}

/** What the report says of a service's deployment: each linked container's facts, "unknown" where not fixed by the repository. */
export function deploymentFacts(service: Service): object[] | 'unknown' {
  const deployments = deploymentsOf(service);
  if (deployments.length === 0) return 'unknown';
  const v = <T>(x: InfraValue<T> | undefined, dflt: string): T | string => (x === undefined ? dflt : isUnresolved(x.value) ? `unknown (${x.value.unresolved})` : x.value);
  return deployments.map(({ task, container }) => ({
    taskDefinition: `${task.file}:${task.loc.line}`,
    format: task.format,
    container: v(container.name, 'unknown'),
    linkedBy: container.link ? `${container.link.via}: ${container.link.evidence}` : 'unknown',
    image: v(container.image, 'unknown'),
    stopTimeoutSeconds: v(container.stopTimeoutSeconds, 'default (30)'),
    cpu: v(task.cpu, 'unknown'),
    memoryMiB: v(task.memory, 'unknown'),
    environment: container.environmentComplete && container.environmentFiles.length === 0 ? container.environment.map((e) => e.name) : 'unknown',
    secrets: container.secretsComplete ? container.secrets.map((e) => e.name) : 'unknown',
    containerPorts: container.portMappingsComplete ? container.portMappings.map((p) => v(p.containerPort, 'unknown')) : 'unknown',
    cpuArchitecture: v(task.runtimePlatform?.cpuArchitecture, task.fargate ? 'default (X86_64)' : 'unknown'),
    // CDK creates both roles when none is given.
    executionRole: v(task.executionRoleArn, task.format === 'cdk' ? 'created by CDK' : 'none'),
    taskRole: v(task.taskRoleArn, task.format === 'cdk' ? 'created by CDK' : 'none'),
  }));
}
