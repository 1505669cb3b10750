import type { Loc } from '../../model/location.js';
import {
  isUnresolved,
  type ContainerDefinition,
  type EcrRepository,
  type EcsService,
  type IamPolicyStatement,
  type ImageReference,
  type InfraFormat,
  type InfraValue,
  type Listener,
  type ListenerAction,
  type ListenerRule,
  type LoadBalancer,
  type RuleCondition,
  type TargetGroup,
  type TaskDefinition,
} from '../../model/infra.js';
import {
  asString,
  bool,
  commandValue,
  entry,
  get,
  getAll,
  items,
  literal,
  locOf,
  num,
  refOf,
  str,
  strList,
  type InfraNode,
} from './tree.js';

/**
 * Builders of the infrastructure model from the format-neutral tree. One builder per resource kind
 * reads every spelling of a field: task-definition JSON (`portMappings`), CloudFormation
 * (`PortMappings`, `DeploymentConfiguration.DeploymentCircuitBreaker`) and Terraform blocks
 * (`deployment_circuit_breaker { }`, repeated `load_balancer { }`).
 */
export interface ResourceContext {
  format: InfraFormat;
  file: string;
  resourceName: string;
  loc: Loc;
}

// ---------------------------------------------------------------- task definitions and containers

/** Keys DescribeTaskDefinition returns and RegisterTaskDefinition rejects. */
const READ_ONLY_TASK_FIELDS = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt'];

export function buildTaskDefinition(props: InfraNode, ctx: ResourceContext, containersNode?: InfraNode): TaskDefinition {
  const requires = strList(props, 'requiresCompatibilities');
  const requiresValue: InfraValue<string[]> | undefined = requires
    ? requires.complete && requires.items.every((i) => !isUnresolved(i.value))
      ? { value: requires.items.map((i) => i.value as string), loc: requires.loc }
      : { value: { unresolved: 'requiresCompatibilities expression' }, loc: requires.loc }
    : undefined;
  const runtime = get(props, 'runtimePlatform');
  const task: TaskDefinition = {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    family: str(props, 'family'),
    cpu: cpuUnits(str(props, 'cpu')),
    memory: memoryMiB(str(props, 'memory')),
    requiresCompatibilities: requiresValue,
    networkMode: str(props, 'networkMode'),
    fargate: Array.isArray(requiresValue?.value) && requiresValue.value.some((c) => c.toUpperCase() === 'FARGATE'),
    runtimePlatform: runtime
      ? { cpuArchitecture: str(runtime, 'cpuArchitecture'), operatingSystemFamily: str(runtime, 'operatingSystemFamily'), loc: locOf(props, 'runtimePlatform') }
      : undefined,
    executionRoleArn: str(props, 'executionRoleArn'),
    taskRoleArn: str(props, 'taskRoleArn'),
    volumes: [...getAll(props, 'volume'), ...items(get(props, 'volumes')).list].flatMap((v) => {
      const name = str(v, 'name');
      return name ? [{ name, loc: v.loc }] : [];
    }),
    containers: [],
    readOnlyFields: [],
  };
  if (ctx.format === 'task-definition-json') {
    for (const field of READ_ONLY_TASK_FIELDS) {
      const e = entry(props, field);
      if (e && e.key === field) task.readOnlyFields.push({ name: field, loc: e.keyLoc });
    }
  }
  const node = containersNode ?? get(props, 'containerDefinitions');
  if (node) {
    if (node.kind === 'array') {
      for (const item of node.items) {
        if (item.kind === 'object') task.containers.push(buildContainer(item));
      }
      if (node.partial) task.containersUnresolved = { value: { unresolved: 'container list with expressions' }, loc: node.loc };
    } else if (node.kind === 'unresolved') {
      task.containersUnresolved = { value: { unresolved: node.text }, loc: node.loc };
    }
  }
  return task;
}

export function buildContainer(written: InfraNode): ContainerDefinition {
  // Container definitions are JSON for ECS: `log_configuration` or `port_mappings` (Terraform habits
  // inside jsonencode) are not fields ECS knows and are ignored at registration. They are left out,
  // and kept aside so a rule can name them.
  const unknownKeys = written.kind === 'object' ? written.entries.filter((e) => e.key.includes('_')) : [];
  const node: InfraNode = written.kind === 'object' && unknownKeys.length ? { ...written, entries: written.entries.filter((e) => !e.key.includes('_')) } : written;
  const name = str(node, 'name') ?? { value: { unresolved: 'unnamed container' }, loc: node.loc };
  const image = str(node, 'image');
  const env = get(node, 'environment');
  const envItems = items(env);
  const secrets = get(node, 'secrets');
  const secretItems = items(secrets);
  const ports = items(get(node, 'portMappings'));
  const health = get(node, 'healthCheck');
  const log = get(node, 'logConfiguration');
  const container: ContainerDefinition = {
    name,
    image,
    imageRef: image ? parseImage(image) : undefined,
    essential: bool(node, 'essential'),
    cpu: num(node, 'cpu'),
    memory: num(node, 'memory'),
    memoryReservation: num(node, 'memoryReservation'),
    portMappings: ports.list.map((p) => ({
      containerPort: num(p, 'containerPort'),
      hostPort: num(p, 'hostPort'),
      protocol: str(p, 'protocol'),
      loc: p.loc,
    })),
    portMappingsComplete: ports.complete && ports.list.every((p) => p.kind === 'object'),
    environment: [],
    environmentComplete: envItems.complete,
    environmentLoc: env ? locOf(node, 'environment') : undefined,
    secrets: [],
    secretsComplete: secretItems.complete,
    secretsLoc: secrets ? locOf(node, 'secrets') : undefined,
    environmentFiles: items(get(node, 'environmentFiles')).list.flatMap((f) => {
      const v = str(f, 'value');
      return v ? [v] : [];
    }),
    healthCheck:
      health && health.kind === 'object'
        ? {
            command: commandValue(health, 'command') ?? { value: { unresolved: 'no command' }, loc: health.loc },
            intervalSeconds: num(health, 'interval'),
            timeoutSeconds: num(health, 'timeout'),
            retries: num(health, 'retries'),
            startPeriodSeconds: num(health, 'startPeriod'),
            loc: locOf(node, 'healthCheck'),
          }
        : undefined,
    healthCheckUnresolved: health !== undefined && health.kind !== 'object',
    stopTimeoutSeconds: num(node, 'stopTimeout'),
    logConfiguration:
      log && log.kind === 'object'
        ? {
            logDriver: str(log, 'logDriver') ?? { value: { unresolved: 'no logDriver' }, loc: log.loc },
            options: new Map(
              (get(log, 'options')?.kind === 'object' ? (get(log, 'options') as { entries: { key: string; keyLoc: Loc; node: InfraNode }[] }).entries : []).flatMap(
                (e) => {
                  const v = asString(e.node, e.keyLoc);
                  return v ? [[e.key, v] as [string, InfraValue<string>]] : [];
                },
              ),
            ),
            loc: locOf(node, 'logConfiguration'),
          }
        : undefined,
    logConfigurationUnresolved: log !== undefined && log.kind !== 'object',
    readonlyRootFilesystem: bool(node, 'readonlyRootFilesystem'),
    firelensConfiguration: get(node, 'firelensConfiguration') ? locOf(node, 'firelensConfiguration') : undefined,
    command: commandValue(node, 'command'),
    entryPoint: commandValue(node, 'entryPoint'),
    user: str(node, 'user'),
    dependsOn: items(get(node, 'dependsOn')).list.flatMap((d) => {
      const n = literal(get(d, 'containerName'));
      return n ? [{ containerName: n, condition: literal(get(d, 'condition')), loc: d.loc }] : [];
    }),
    mountPoints: items(get(node, 'mountPoints')).list.map((m) => ({
      containerPath: str(m, 'containerPath'),
      sourceVolume: str(m, 'sourceVolume'),
      readOnly: bool(m, 'readOnly'),
      loc: m.loc,
    })),
    mountPointsComplete:
      items(get(node, 'mountPoints')).complete &&
      items(get(node, 'linuxParameters', 'tmpfs')).complete &&
      (get(node, 'linuxParameters') === undefined || get(node, 'linuxParameters')!.kind === 'object'),
    tmpfs: items(get(node, 'linuxParameters', 'tmpfs')).list.map((m) => ({ containerPath: str(m, 'containerPath'), loc: m.loc })),
    // The `name` line: where a reader recognises the container.
    loc: entry(node, 'name')?.keyLoc ?? node.loc,
    unknownKeys: unknownKeys.map((e) => ({ value: e.key, loc: e.keyLoc })),
  };
  for (const item of envItems.list) {
    const n = literal(get(item, 'name'));
    if (n === undefined) {
      container.environmentComplete = false;
      continue;
    }
    const value = str(item, 'value') ?? { value: '', loc: item.loc };
    container.environment.push({ name: n, value, loc: item.loc });
  }
  for (const item of secretItems.list) {
    const n = literal(get(item, 'name'));
    if (n === undefined) {
      container.secretsComplete = false;
      continue;
    }
    container.secrets.push({ name: n, valueFrom: str(item, 'valueFrom') ?? { value: { unresolved: 'no valueFrom' }, loc: item.loc }, loc: item.loc });
  }
  return container;
}

/** Splits `registry/repo/path:tag@digest`; parts after an expression are kept only when literal. */
export function parseImage(image: InfraValue<string>): ImageReference {
  const text = isUnresolved(image.value) ? image.value.unresolved : image.value;
  const whole = isUnresolved(image.value);
  // An opaque expression (`var.image`, `props.image.imageUri`): nothing of the reference is known.
  if (whole && !text.includes('${')) return { text, tagUnresolved: true };
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  let tagUnresolved = false;
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (/[${}()]/.test(tag)) {
      tag = undefined;
      tagUnresolved = true;
    }
  } else if (whole) {
    // `${var.image}`: the tag may be inside the expression.
    tagUnresolved = true;
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) registry = parts.shift();
  let repository: string | undefined = parts.join('/');
  if (/[${}()]/.test(repository)) {
    // Only the last path segment can still be trusted: `${var.registry}/api` names `api`.
    const last = parts[parts.length - 1];
    repository = last && !/[${}()]/.test(last) ? last : undefined;
  }
  if (repository && !repository.includes('/') && !registry) repository = repository === '' ? undefined : repository;
  return { text, repository, registry, tag, digest, tagUnresolved };
}

const CPU_VCPU = /^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$/i;
const MEM_GB = /^\s*(\d+(?:\.\d+)?)\s*gb\s*$/i;

function cpuUnits(v: InfraValue<string> | undefined): InfraValue<number> | undefined {
  if (!v) return undefined;
  if (isUnresolved(v.value)) return { value: v.value, loc: v.loc };
  const vcpu = CPU_VCPU.exec(v.value);
  if (vcpu) return { value: Math.round(Number(vcpu[1]) * 1024), loc: v.loc };
  if (/^\s*\d+\s*$/.test(v.value)) return { value: Number(v.value), loc: v.loc };
  return { value: { unresolved: v.value }, loc: v.loc };
}

function memoryMiB(v: InfraValue<string> | undefined): InfraValue<number> | undefined {
  if (!v) return undefined;
  if (isUnresolved(v.value)) return { value: v.value, loc: v.loc };
  const gb = MEM_GB.exec(v.value);
  if (gb) return { value: Math.round(Number(gb[1]) * 1024), loc: v.loc };
  if (/^\s*\d+\s*$/.test(v.value)) return { value: Number(v.value), loc: v.loc };
  return { value: { unresolved: v.value }, loc: v.loc };
}

// ---------------------------------------------------------------- ECS services

export function buildEcsService(props: InfraNode, ctx: ResourceContext): EcsService {
  const taskDefNode = get(props, 'taskDefinition');
  const breakerNode = get(props, 'deploymentCircuitBreaker') ?? get(props, 'deploymentConfiguration', 'deploymentCircuitBreaker');
  const breakerParent = get(props, 'deploymentCircuitBreaker') ? props : get(props, 'deploymentConfiguration');
  const deploymentConfig = get(props, 'deploymentConfiguration');
  const lbNodes = [...getAll(props, 'loadBalancer'), ...items(get(props, 'loadBalancers')).list];
  const lbList = get(props, 'loadBalancers');
  const controller = get(props, 'deploymentController');
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    name: str(props, 'name') ?? str(props, 'serviceName'),
    taskDefinitionRef: taskDefNode ? { value: literal(taskDefNode) ?? { unresolved: taskDefNode.kind === 'unresolved' ? taskDefNode.text : 'expression', ref: refOf(taskDefNode) }, loc: locOf(props, 'taskDefinition') } : undefined,
    launchType: str(props, 'launchType'),
    desiredCount: num(props, 'desiredCount'),
    deploymentController: controller ? (controller.kind === 'object' ? str(controller, 'type') : asString(controller, locOf(props, 'deploymentController'))) : undefined,
    circuitBreaker:
      breakerNode && breakerNode.kind === 'object' && breakerParent
        ? { enable: bool(breakerNode, 'enable'), rollback: bool(breakerNode, 'rollback'), loc: locOf(breakerParent, 'deploymentCircuitBreaker') }
        : undefined,
    circuitBreakerUnresolved:
      (breakerNode !== undefined && breakerNode.kind !== 'object') ||
      (deploymentConfig !== undefined && (deploymentConfig.kind === 'unresolved' || (deploymentConfig.kind === 'object' && deploymentConfig.partial === true))) ||
      (props.kind === 'object' && props.partial === true && !breakerNode),
    minimumHealthyPercent: num(props, 'deploymentMinimumHealthyPercent') ?? num(deploymentConfig, 'minimumHealthyPercent'),
    maximumPercent: num(props, 'deploymentMaximumPercent') ?? num(deploymentConfig, 'maximumPercent'),
    healthCheckGracePeriodSeconds: num(props, 'healthCheckGracePeriodSeconds'),
    schedulingStrategy: str(props, 'schedulingStrategy'),
    loadBalancers: lbNodes.map((lb) => ({
      targetGroupRef: refOf(get(lb, 'targetGroupArn')),
      containerName: str(lb, 'containerName'),
      containerPort: num(lb, 'containerPort'),
      loc: lb.loc,
    })),
    loadBalancersComplete: (lbList === undefined || lbList.kind === 'array') && !(lbList?.kind === 'array' && lbList.partial) && lbNodes.every((lb) => lb.kind === 'object'),
    targetGroups: [],
  };
}

// ---------------------------------------------------------------- load balancers

export function buildLoadBalancer(props: InfraNode, ctx: ResourceContext): LoadBalancer {
  let scheme = str(props, 'scheme');
  const internal = bool(props, 'internal');
  if (!scheme && internal) scheme = { value: isUnresolved(internal.value) ? internal.value : internal.value ? 'internal' : 'internet-facing', loc: internal.loc };
  let idle = num(props, 'idleTimeout');
  for (const attr of items(get(props, 'loadBalancerAttributes')).list) {
    if (literal(get(attr, 'key')) === 'idle_timeout.timeout_seconds') idle = num(attr, 'value');
  }
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    name: str(props, 'name'),
    type: str(props, 'loadBalancerType') ?? str(props, 'type'),
    scheme,
    idleTimeoutSeconds: idle,
    listeners: [],
  };
}

export function buildTargetGroup(props: InfraNode, ctx: ResourceContext): TargetGroup {
  const hc = get(props, 'healthCheck');
  let healthCheck: TargetGroup['healthCheck'];
  if (hc && hc.kind === 'object') {
    const matcher = get(hc, 'matcher');
    healthCheck = {
      enabled: bool(hc, 'enabled'),
      path: str(hc, 'path'),
      port: str(hc, 'port'),
      protocol: str(hc, 'protocol'),
      matcher: matcher?.kind === 'object' ? str(matcher, 'httpCode') : str(hc, 'matcher'),
      loc: locOf(props, 'healthCheck'),
    };
  } else if (get(props, 'healthCheckPath') || get(props, 'healthCheckPort') || get(props, 'healthCheckEnabled') || get(props, 'healthCheckProtocol')) {
    const first = ['healthCheckPath', 'healthCheckPort', 'healthCheckEnabled', 'healthCheckProtocol'].find((k) => get(props, k));
    healthCheck = {
      enabled: bool(props, 'healthCheckEnabled'),
      path: str(props, 'healthCheckPath'),
      port: str(props, 'healthCheckPort'),
      protocol: str(props, 'healthCheckProtocol'),
      matcher: str(get(props, 'matcher'), 'httpCode'),
      loc: locOf(props, first!),
    };
  }
  let deregistration = num(props, 'deregistrationDelay');
  for (const attr of items(get(props, 'targetGroupAttributes')).list) {
    if (literal(get(attr, 'key')) === 'deregistration_delay.timeout_seconds') deregistration = num(attr, 'value');
  }
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    name: str(props, 'name'),
    port: num(props, 'port'),
    protocol: str(props, 'protocol'),
    targetType: str(props, 'targetType'),
    healthCheck,
    deregistrationDelaySeconds: deregistration,
  };
}

function buildAction(node: InfraNode): ListenerAction {
  const redirect = get(node, 'redirect') ?? get(node, 'redirectConfig');
  const refs = new Set<string>();
  const direct = refOf(get(node, 'targetGroupArn'));
  if (direct) refs.add(direct);
  const forward = get(node, 'forward') ?? get(node, 'forwardConfig');
  for (const tg of [...getAll(forward, 'targetGroup'), ...items(get(forward, 'targetGroups')).list]) {
    const r = refOf(get(tg, 'arn')) ?? refOf(get(tg, 'targetGroupArn'));
    if (r) refs.add(r);
  }
  return {
    type: str(node, 'type') ?? { value: { unresolved: 'no type' }, loc: node.loc },
    redirectProtocol: str(redirect, 'protocol'),
    redirectPort: str(redirect, 'port'),
    targetGroupRefs: [...refs],
    loc: node.loc,
  };
}

export function buildListener(props: InfraNode, ctx: ResourceContext): Listener {
  const actionNodes = [...getAll(props, 'defaultAction'), ...items(get(props, 'defaultActions')).list];
  const list = get(props, 'defaultActions');
  const certs = [...(strList(props, 'certificateArn')?.items ?? [])];
  for (const c of items(get(props, 'certificates')).list) {
    const v = str(c, 'certificateArn');
    if (v) certs.push(v);
  }
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    loadBalancerRef: refOf(get(props, 'loadBalancerArn')),
    port: num(props, 'port'),
    protocol: str(props, 'protocol'),
    certificates: certs,
    defaultActions: actionNodes.filter((a) => a.kind === 'object').map(buildAction),
    defaultActionsComplete: actionNodes.every((a) => a.kind === 'object') && !(list && (list.kind !== 'array' || list.partial)),
    rules: [],
  };
}

/** Condition keys of Terraform `condition { path_pattern { values } }` and CloudFormation `*Config`. */
const CONDITION_FIELDS: [field: string, tfKey: string, cfnKey: string][] = [
  ['path-pattern', 'pathPattern', 'pathPatternConfig'],
  ['host-header', 'hostHeader', 'hostHeaderConfig'],
  ['http-header', 'httpHeader', 'httpHeaderConfig'],
  ['http-request-method', 'httpRequestMethod', 'httpRequestMethodConfig'],
  ['query-string', 'queryString', 'queryStringConfig'],
  ['source-ip', 'sourceIp', 'sourceIpConfig'],
];

export function buildConditions(nodes: InfraNode[]): RuleCondition[] {
  const out: RuleCondition[] = [];
  for (const node of nodes) {
    if (node.kind !== 'object') {
      out.push({ field: 'unknown', values: [], valuesComplete: false, loc: node.loc });
      continue;
    }
    let found = false;
    for (const [field, tfKey, cfnKey] of CONDITION_FIELDS) {
      const blocks = [...getAll(node, tfKey), ...getAll(node, cfnKey)];
      if (blocks.length === 0) continue;
      found = true;
      const values: InfraValue<string>[] = [];
      let complete = true;
      let loc = locOf(node, getAll(node, tfKey).length ? tfKey : cfnKey);
      for (const block of blocks) {
        if (field === 'query-string') {
          // Each key/value pair is one match evaluation.
          const pairs = [...items(get(block, 'values')).list, ...(getAll(block, 'key').length || getAll(block, 'value').length ? [block] : [])];
          for (const p of pairs) values.push(str(p, 'value') ?? { value: '', loc: p.loc });
          continue;
        }
        const list = strList(block, 'values');
        if (!list) {
          complete = false;
          continue;
        }
        loc = list.loc;
        values.push(...list.items);
        if (!list.complete) complete = false;
      }
      out.push({ field, values, valuesComplete: complete, loc });
    }
    if (!found) {
      // Legacy CloudFormation form: { Field: path-pattern, Values: [...] }.
      const field = literal(get(node, 'field'));
      const list = strList(node, 'values');
      if (field && list) out.push({ field, values: list.items, valuesComplete: list.complete, loc: list.loc });
      else out.push({ field: field ?? 'unknown', values: [], valuesComplete: false, loc: node.loc });
    }
  }
  return out;
}

export function buildListenerRule(props: InfraNode, ctx: ResourceContext): ListenerRule {
  const conditionNodes = [...getAll(props, 'condition'), ...items(get(props, 'conditions')).list];
  const actionNodes = [...getAll(props, 'action'), ...items(get(props, 'actions')).list];
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    listenerRef: refOf(get(props, 'listenerArn')),
    priority: num(props, 'priority'),
    conditions: buildConditions(conditionNodes),
    actions: actionNodes.filter((a) => a.kind === 'object').map(buildAction),
  };
}

// ---------------------------------------------------------------- ECR and IAM

export function buildEcrRepository(props: InfraNode, ctx: ResourceContext): EcrRepository {
  return {
    format: ctx.format,
    file: ctx.file,
    resourceName: ctx.resourceName,
    loc: ctx.loc,
    name: str(props, 'repositoryName') ?? str(props, 'name'),
    imageTagMutability: str(props, 'imageTagMutability'),
  };
}

/**
 * Statements of an IAM policy document: `{ Statement: [...] }` (JSON/CloudFormation/`jsonencode`)
 * or Terraform `aws_iam_policy_document` `statement { }` blocks.
 */
export function buildPolicyStatements(doc: InfraNode, ctx: ResourceContext, roleRefs: string[] = []): IamPolicyStatement[] {
  const statements = [...items(get(doc, 'statement')).list, ...(getAll(doc, 'statement').length > 1 ? getAll(doc, 'statement').slice(0, -1) : [])];
  return statements.filter((s) => s.kind === 'object').map((s) => {
    const actions = strList(s, 'action') ?? strList(s, 'actions');
    const notActions = strList(s, 'notAction') ?? strList(s, 'notActions');
    const resources = strList(s, 'resource') ?? strList(s, 'resources');
    return {
      format: ctx.format,
      file: ctx.file,
      resourceName: ctx.resourceName,
      roleRefs,
      effect: str(s, 'effect'),
      actions: actions?.items ?? [],
      notActions: notActions?.items ?? [],
      resources: resources?.items ?? [],
      complete: (actions?.complete ?? true) && (resources?.complete ?? true),
      loc: s.loc,
    };
  });
}


/**
 * The AWS services a role's trust policy lets assume it (`Principal.Service`): `ecs-tasks.amazonaws.com`
 * for a task role, `application-autoscaling.amazonaws.com` for a scaling role. Undefined when the
 * document is not literal.
 */
export function trustedServices(doc: InfraNode | undefined): string[] | undefined {
  if (!doc || doc.kind !== 'object') return undefined;
  const services: string[] = [];
  for (const statement of items(get(doc, 'statement')).list) {
    const principal = get(statement, 'principal');
    if (!principal) continue;
    const list = strList(principal, 'service');
    if (!list || !list.complete) return undefined;
    for (const item of list.items) if (typeof item.value === 'string') services.push(item.value);
  }
  return services;
}
