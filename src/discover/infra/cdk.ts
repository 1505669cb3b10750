import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import { LineMap, type Loc } from '../../model/location.js';
import type {
  ContainerDefinition,
  EcsService,
  InfraModel,
  InfraValue,
  Listener,
  ListenerAction,
  ListenerRule,
  RuleCondition,
  TargetGroup,
  TaskDefinition,
} from '../../model/infra.js';
import { buildContainer, buildPolicyStatements, parseImage } from './build.js';
import { asString, bool, get, literal, num, str, type InfraNode, type ObjectNode } from './tree.js';
import { isUnresolved, known } from '../../model/infra.js';

/**
 * CDK TypeScript source read statically (no synth): the common ECS/ELBv2/ECR/IAM constructs and the
 * calls that configure them. Values are evaluated when they are literals, `const`s bound to literals,
 * `Duration.*()` and the `ecs`/`elbv2` helpers; everything else (props, context, `process.env`,
 * imports) stays unresolved. Constructs are tracked by the variable or property they are assigned to.
 */

// oxc-parser produces an ESTree AST; the shapes used here are narrow, so a loose type is enough.
type AstNode = { type: string; start: number; end: number; [key: string]: unknown };

interface Construct {
  kind: 'task' | 'container' | 'service' | 'pattern' | 'lb' | 'listener' | 'tg' | 'ecr' | 'statement';
  task?: TaskDefinition;
  container?: ContainerDefinition;
  service?: EcsService;
  lb?: InfraModel['loadBalancers'][number];
  listener?: Listener;
  tg?: TargetGroup;
  ecrName?: string;
}

export async function parseCdkFile(model: DeploymentModel, file: string, infra: InfraModel, appDir: string): Promise<void> {
  const text = model.files.read(file);
  if (text === undefined) return;
  const { parseSync } = await import('oxc-parser');
  const result = parseSync(file, text, { lang: file.endsWith('.js') || file.endsWith('.mjs') ? 'js' : 'ts' });
  if (result.errors.length > 0) {
    // The source discoverer may have reported the same file already.
    if (model.problems.some((p) => p.kind === 'parse-error' && p.loc.file === file)) return;
    const lines = new LineMap(text);
    const first = result.errors[0] as { message: string; labels?: { start: number }[] };
    model.problems.push({
      kind: 'parse-error',
      artifact: 'CDK source',
      message: `${file} does not parse: ${first.message}`,
      loc: { file, line: lines.line(first.labels?.[0]?.start ?? 0) },
    });
    return;
  }
  new CdkReader(file, text, infra, appDir).read(result.program as unknown as AstNode);
}

const CALLEE_TAIL = (node: AstNode | undefined): string => {
  if (!node) return '';
  if (node.type === 'Identifier') return node.name as string;
  if (node.type === 'MemberExpression') return ((node.property as AstNode).name as string) ?? '';
  return '';
};

class CdkReader {
  private readonly lines: LineMap;
  private readonly consts = new Map<string, AstNode>();
  private readonly constructs = new Map<string, Construct>();
  private counter = 0;

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly infra: InfraModel,
    /** Folder `cdk synth` runs in (cdk.json): relative asset paths start there. */
    private readonly appDir: string,
  ) {
    this.lines = new LineMap(text);
  }

  private loc(node: { start: number }): Loc {
    return { file: this.file, line: this.lines.line(node.start) };
  }

  private src(node: { start: number; end: number }): string {
    return this.text.slice(node.start, node.end).replace(/\s+/g, ' ').slice(0, 200);
  }

  read(program: AstNode): void {
    // First pass: `const NAME = …` for value lookups, only for names declared once in the file (a
    // parameter or a second declaration with the same name could be what an identifier means).
    const declarations = new Map<string, number>();
    const count = (name: string) => declarations.set(name, (declarations.get(name) ?? 0) + 1);
    walk(program, (n) => {
      if (n.type === 'VariableDeclarator' && (n.id as AstNode).type === 'Identifier') count((n.id as AstNode).name as string);
      if (n.type === 'VariableDeclaration' && n.kind === 'const') {
        for (const d of n.declarations as AstNode[]) {
          if ((d.id as AstNode).type === 'Identifier' && d.init) this.consts.set((d.id as AstNode).name as string, d.init as AstNode);
        }
      }
      if (/Function/.test(n.type)) {
        walk(n.params, (p) => {
          if (p.type === 'Identifier') count(p.name as string);
        });
      }
    });
    for (const [name, times] of declarations) if (times > 1) this.consts.delete(name);
    // Second pass, in source order: constructs, then calls that configure them.
    walk(program, (n) => {
      if (n.type === 'VariableDeclarator' && n.init) this.construct(n.init as AstNode, targetName(n.id as AstNode));
      else if (n.type === 'AssignmentExpression') this.construct(n.right as AstNode, targetName(n.left as AstNode));
      else if (n.type === 'ExpressionStatement') this.construct(n.expression as AstNode, undefined);
    });
  }

  /** The construct a variable, `this.x` or `svc.targetGroup` names. */
  private lookup(node: AstNode | undefined): Construct | undefined {
    if (!node) return undefined;
    const n = unwrap(node);
    const name = targetName(n);
    if (name && this.constructs.has(name)) return this.constructs.get(name);
    if (n.type === 'MemberExpression') {
      const base = this.lookup(n.object as AstNode);
      const prop = (n.property as AstNode).name;
      if (base?.kind === 'pattern') {
        if (prop === 'targetGroup' && base.tg) return { kind: 'tg', tg: base.tg };
        if (prop === 'service') return { kind: 'service', service: base.service };
        if (prop === 'taskDefinition') return { kind: 'task', task: base.task };
        if (prop === 'listener') return { kind: 'listener', listener: base.listener };
        if (prop === 'loadBalancer') return { kind: 'lb', lb: base.lb };
      }
    }
    return undefined;
  }

  private remember(name: string | undefined, c: Construct): void {
    if (name) this.constructs.set(name, c);
  }

  private construct(expr: AstNode | undefined, name: string | undefined): void {
    if (!expr) return;
    const e = unwrap(expr);
    if (e.type === 'NewExpression') this.newConstruct(e, name);
    else if (e.type === 'CallExpression') this.call(e, name);
  }

  private newConstruct(e: AstNode, name: string | undefined): void {
    const cls = CALLEE_TAIL(e.callee as AstNode);
    const args = (e.arguments as AstNode[]) ?? [];
    const id = args[1] && (args[1] as AstNode).type === 'Literal' ? String((args[1] as AstNode).value) : name ?? `construct${++this.counter}`;
    const props = args[2] ? this.value(args[2]) : undefined;
    const loc = this.loc(e);
    switch (cls) {
      case 'FargateTaskDefinition':
      case 'Ec2TaskDefinition':
      case 'TaskDefinition': {
        const task = this.taskDefinition(id, props, loc, cls !== 'Ec2TaskDefinition');
        this.remember(name, { kind: 'task', task });
        return;
      }
      case 'ContainerDefinition': {
        // new ecs.ContainerDefinition(this, 'Web', { taskDefinition, image, … }): addContainer by another name.
        const task = this.lookup(this.astProp(args[2], 'taskDefinition'));
        if (!task?.task || props?.kind !== 'object') return;
        const container = this.container(props, loc, id);
        task.task.containers.push(container);
        this.remember(name, { kind: 'container', container, task: task.task });
        return;
      }
      case 'FargateService':
      case 'Ec2Service': {
        const service = this.ecsService(id, props, loc);
        const task = this.lookup(get(props, 'taskDefinition')?.kind === 'unresolved' ? this.astProp(args[2], 'taskDefinition') : undefined);
        if (task?.task) {
          service.taskDefinition = task.task;
          if (cls === 'FargateService') task.task.fargate = true;
        }
        this.remember(name, { kind: 'service', service });
        return;
      }
      case 'ApplicationLoadBalancedFargateService':
      case 'ApplicationLoadBalancedEc2Service':
        this.pattern(id, props, args[2], loc, name, cls === 'ApplicationLoadBalancedFargateService', 'application');
        return;
      case 'NetworkLoadBalancedFargateService':
      case 'NetworkLoadBalancedEc2Service':
        this.pattern(id, props, args[2], loc, name, cls === 'NetworkLoadBalancedFargateService', 'network');
        return;
      case 'QueueProcessingFargateService':
      case 'QueueProcessingEc2Service':
      case 'ScheduledFargateTask':
      case 'ScheduledEc2Task': {
        // Workers and scheduled tasks: the container options sit on the props (or in scheduled*TaskImageOptions).
        const fargate = cls.includes('Fargate');
        const options = cls.startsWith('Scheduled') ? get(props, fargate ? 'scheduledFargateTaskImageOptions' : 'scheduledEc2TaskImageOptions') : props;
        const task = this.taskDefinition(`${id}/TaskDef`, props, loc, fargate);
        if (options?.kind === 'object') {
          const containerProps: ObjectNode = { kind: 'object', loc: options.loc, entries: options.entries.filter((x) => ['image', 'environment', 'secrets', 'command', 'containerName', 'logDriver', 'enableLogging'].includes(x.key)) };
          if (!options.entries.some((x) => x.key === 'containerName')) containerProps.entries.push({ key: 'containerName', keyLoc: options.loc, node: { kind: 'scalar', value: cls.startsWith('Scheduled') ? 'ScheduledContainer' : 'QueueProcessingContainer', loc: options.loc } });
          this.patternLogging(options, containerProps);
          task.containers.push(this.container(containerProps, loc));
        } else if (options) task.containersUnresolved = { value: { unresolved: 'task image options' }, loc: options.loc };
        if (cls.startsWith('QueueProcessing')) {
          const service = this.ecsService(`${id}/Service`, props, loc);
          service.taskDefinition = task;
          this.remember(name, { kind: 'service', service, task });
        } else this.remember(name, { kind: 'task', task });
        return;
      }
      case 'ApplicationLoadBalancer': {
        const internetFacing = bool(props, 'internetFacing');
        const lb = {
          format: 'cdk' as const,
          file: this.file,
          resourceName: id,
          loc,
          name: str(props, 'loadBalancerName'),
          type: { value: 'application', loc },
          scheme: internetFacing ? { value: internetFacing.value === true ? 'internet-facing' : internetFacing.value === false ? 'internal' : { unresolved: 'internetFacing' }, loc: internetFacing.loc } : { value: 'internal', loc },
          idleTimeoutSeconds: num(props, 'idleTimeout'),
          listeners: [],
        };
        this.infra.loadBalancers.push(lb);
        this.remember(name, { kind: 'lb', lb });
        return;
      }
      case 'ApplicationListener': {
        const lbc = this.lookup(this.astProp(args[2], 'loadBalancer'));
        const listener = this.listener(id, props, loc, lbc?.lb);
        this.remember(name, { kind: 'listener', listener });
        return;
      }
      case 'ApplicationTargetGroup': {
        const tg = this.targetGroup(id, props, loc);
        this.attachTargets(this.astProp(args[2], 'targets'), tg, loc);
        this.remember(name, { kind: 'tg', tg });
        return;
      }
      case 'ApplicationListenerRule': {
        const lc = this.lookup(this.astProp(args[2], 'listener'));
        this.listenerRule(id, props, args[2], loc, lc?.listener);
        return;
      }
      case 'Repository': {
        const mut = props ? get(props, 'imageTagMutability') : undefined;
        const repo = {
          format: 'cdk' as const,
          file: this.file,
          resourceName: id,
          loc,
          name: str(props, 'repositoryName'),
          imageTagMutability: mut ? asString(mut, this.keyLoc(props, 'imageTagMutability')) : undefined,
        };
        this.infra.ecrRepositories.push(repo);
        const n = str(props, 'repositoryName');
        this.remember(name, { kind: 'ecr', ecrName: n && typeof n.value === 'string' ? n.value : undefined });
        return;
      }
      case 'LogGroup': {
        this.infra.logGroups.push({ format: 'cdk', file: this.file, resourceName: id, name: str(props, 'logGroupName'), loc });
        this.nestedStatements(args);
        return;
      }
      case 'PolicyStatement': {
        const p = args[0] ? this.value(args[0]) : undefined;
        if (!p) return;
        const doc: ObjectNode = { kind: 'object', loc, entries: [{ key: 'Statement', keyLoc: loc, node: { kind: 'array', loc, items: [p] } }] };
        this.infra.iamStatements.push(...buildPolicyStatements(doc, { format: 'cdk', file: this.file, resourceName: name ?? id, loc }));
        return;
      }
      default:
        // `new iam.Policy(…, { statements: [new iam.PolicyStatement(…)] })`, `new iam.Role(…, { inlinePolicies })`.
        this.nestedStatements(args);
        return;
    }
  }

  private nestedStatements(args: AstNode[]): void {
    walk(args, (n) => {
      if (n.type === 'NewExpression' && CALLEE_TAIL(n.callee as AstNode) === 'PolicyStatement') this.newConstruct(n, undefined);
    });
  }

  /** `targets: [service]` or `[service.loadBalancerTarget({...})]`: the ECS services a target group sends traffic to. */
  private attachTargets(targets: AstNode | undefined, tg: TargetGroup, loc: Loc): void {
    if (targets?.type !== 'ArrayExpression') return;
    for (const t of targets.elements as (AstNode | null)[]) {
      const tt = t ? unwrap(t) : undefined;
      const base = tt?.type === 'CallExpression' ? unwrap(((tt.callee as AstNode).object as AstNode) ?? tt) : tt;
      const svc = this.lookup(base);
      if (svc?.service) {
        svc.service.targetGroups.push(tg);
        svc.service.loadBalancers.push({ loc, targetGroupRef: tg.resourceName });
      }
    }
  }

  private keyLoc(props: InfraNode | undefined, key: string): Loc {
    if (props?.kind !== 'object') return props?.loc ?? { file: this.file, line: 1 };
    return props.entries.find((x) => x.key === key)?.keyLoc ?? props.loc;
  }

  /** AST of a property of an object literal argument (for construct references). */
  private astProp(arg: AstNode | undefined, key: string): AstNode | undefined {
    const obj = arg ? this.deref(arg) : undefined;
    if (obj?.type !== 'ObjectExpression') return undefined;
    for (const p of obj.properties as AstNode[]) {
      if (p.type === 'Property' && propKey(p) === key) return p.value as AstNode;
    }
    return undefined;
  }

  private deref(node: AstNode): AstNode {
    const n = unwrap(node);
    if (n.type === 'Identifier' && this.consts.has(n.name as string)) {
      const init = unwrap(this.consts.get(n.name as string)!);
      if (init.type === 'ObjectExpression' || init.type === 'ArrayExpression' || init.type === 'Literal' || init.type === 'TemplateLiteral') return init;
    }
    return n;
  }

  private taskDefinition(id: string, props: InfraNode | undefined, loc: Loc, fargate: boolean): TaskDefinition {
    // CDK defaults for Fargate task definitions: 256 CPU units, 512 MiB.
    const cpu = num(props, 'cpu') ?? (fargate ? { value: 256, loc } : undefined);
    const memory = num(props, 'memoryLimitMiB') ?? (fargate ? { value: 512, loc } : undefined);
    const runtime = get(props, 'runtimePlatform');
    const task: TaskDefinition = {
      format: 'cdk',
      file: this.file,
      resourceName: id,
      loc,
      family: str(props, 'family'),
      cpu,
      memory,
      fargate,
      runtimePlatform: runtime ? { cpuArchitecture: str(runtime, 'cpuArchitecture'), operatingSystemFamily: str(runtime, 'operatingSystemFamily'), loc: this.keyLoc(props, 'runtimePlatform') } : undefined,
      executionRoleArn: str(props, 'executionRole'),
      taskRoleArn: str(props, 'taskRole'),
      volumes: [],
      containers: [],
      readOnlyFields: [],
    };
    this.infra.taskDefinitions.push(task);
    return task;
  }

  private ecsService(id: string, props: InfraNode | undefined, loc: Loc): EcsService {
    const breaker = get(props, 'circuitBreaker');
    const controller = get(props, 'deploymentController');
    const service: EcsService = {
      format: 'cdk',
      file: this.file,
      resourceName: id,
      loc,
      name: str(props, 'serviceName'),
      desiredCount: num(props, 'desiredCount'),
      deploymentController: controller?.kind === 'object' ? str(controller, 'type') : undefined,
      circuitBreaker:
        breaker?.kind === 'object'
          ? // CDK's circuitBreaker: { enable?: default true when the object is given, rollback?: default false }.
            { enable: bool(breaker, 'enable') ?? { value: true, loc: this.keyLoc(props, 'circuitBreaker') }, rollback: bool(breaker, 'rollback'), loc: this.keyLoc(props, 'circuitBreaker') }
          : undefined,
      circuitBreakerUnresolved: (breaker !== undefined && breaker.kind !== 'object') || (props?.kind === 'object' && props.partial === true && !breaker) || props?.kind === 'unresolved',
      minimumHealthyPercent: num(props, 'minHealthyPercent'),
      maximumPercent: num(props, 'maxHealthyPercent'),
      healthCheckGracePeriodSeconds: num(props, 'healthCheckGracePeriod'),
      loadBalancers: [],
      loadBalancersComplete: true,
      targetGroups: [],
    };
    this.infra.ecsServices.push(service);
    return service;
  }

  private listener(id: string, props: InfraNode | undefined, loc: Loc, lb: InfraModel['loadBalancers'][number] | undefined): Listener {
    const certs = get(props, 'certificates');
    const protocolNode = get(props, 'protocol');
    const port = num(props, 'port');
    let protocol: InfraValue<string> | undefined = protocolNode ? asString(protocolNode, this.keyLoc(props, 'protocol')) : undefined;
    // CDK infers the protocol from the port and certificates when it is not given.
    if (!protocol) {
      if (certs) protocol = { value: 'HTTPS', loc };
      else if (port && port.value === 443) protocol = { value: 'HTTPS', loc };
      else if (port && typeof port.value === 'number') protocol = { value: 'HTTP', loc };
    }
    const listener: Listener = {
      format: 'cdk',
      file: this.file,
      resourceName: id,
      loc,
      loadBalancer: lb,
      port,
      protocol,
      certificates: certs ? [{ value: { unresolved: 'certificates' }, loc: this.keyLoc(props, 'certificates') }] : [],
      defaultActions: [],
      defaultActionsComplete: true,
      rules: [],
    };
    const def = get(props, 'defaultAction');
    if (def) {
      const action = this.action(def);
      if (action) listener.defaultActions.push(action);
      else listener.defaultActionsComplete = false;
    }
    if (get(props, 'defaultTargetGroups')) listener.defaultActions.push({ type: { value: 'forward', loc }, targetGroupRefs: [], loc });
    lb?.listeners.push(listener);
    this.infra.listeners.push(listener);
    return listener;
  }

  /** `ListenerAction.redirect({ protocol: 'HTTPS' })`, `.forward([tg])`, `.fixedResponse(…)`, as a node. */
  private action(node: InfraNode): ListenerAction | undefined {
    if (node.kind !== 'object') return undefined;
    const type = str(node, '__action');
    if (!type) return undefined;
    return { type, redirectProtocol: str(node, 'protocol'), redirectPort: str(node, 'port'), targetGroupRefs: [], loc: node.loc };
  }

  private targetGroup(id: string, props: InfraNode | undefined, loc: Loc): TargetGroup {
    const hc = get(props, 'healthCheck');
    const tg: TargetGroup = {
      format: 'cdk',
      file: this.file,
      resourceName: id,
      loc,
      name: str(props, 'targetGroupName'),
      port: num(props, 'port'),
      protocol: str(props, 'protocol'),
      targetType: str(props, 'targetType'),
      healthCheck: hc?.kind === 'object' ? { enabled: bool(hc, 'enabled'), path: str(hc, 'path'), port: str(hc, 'port'), protocol: str(hc, 'protocol'), matcher: undefined, loc: this.keyLoc(props, 'healthCheck') } : undefined,
      deregistrationDelaySeconds: num(props, 'deregistrationDelay'),
    };
    this.infra.targetGroups.push(tg);
    return tg;
  }

  private conditions(node: InfraNode | undefined): RuleCondition[] {
    if (node?.kind !== 'array') return node ? [{ field: 'unknown', values: [], valuesComplete: false, loc: node.loc }] : [];
    return node.items.map((c) => {
      const field = c.kind === 'object' ? str(c, '__condition') : undefined;
      const values = c.kind === 'object' ? get(c, 'values') : undefined;
      if (!field || typeof field.value !== 'string' || values?.kind !== 'array') return { field: 'unknown', values: [], valuesComplete: false, loc: c.loc };
      return {
        field: field.value,
        values: values.items.flatMap((v) => {
          const s = asString(v);
          return s ? [s] : [];
        }),
        valuesComplete: !values.partial,
        loc: c.loc,
      };
    });
  }

  private listenerRule(id: string, props: InfraNode | undefined, ast: AstNode | undefined, loc: Loc, listener: Listener | undefined): ListenerRule {
    const rule: ListenerRule = {
      format: 'cdk',
      file: this.file,
      resourceName: id,
      loc,
      listener,
      priority: num(props, 'priority'),
      conditions: this.conditions(get(props, 'conditions')),
      actions: [],
    };
    const action = get(props, 'action');
    const a = action ? this.action(action) : undefined;
    if (a) rule.actions.push(a);
    void ast;
    listener?.rules.push(rule);
    this.infra.listenerRules.push(rule);
    return rule;
  }

  /** `ecs_patterns.ApplicationLoadBalancedFargateService`: task definition, service, ALB, listener and target group in one. */
  /** The patterns log to CloudWatch (awslogs) unless enableLogging is false or another logDriver is given. */
  private patternLogging(options: ObjectNode, containerProps: ObjectNode): void {
    containerProps.entries = containerProps.entries.filter((x) => x.key !== 'logDriver' && x.key !== 'enableLogging');
    const enableLogging = bool(options, 'enableLogging');
    const driver = options.entries.find((x) => x.key === 'logDriver');
    if (driver) containerProps.entries.push({ key: 'logging', keyLoc: driver.keyLoc, node: driver.node });
    else if (!(enableLogging && enableLogging.value === false)) {
      containerProps.entries.push({ key: 'logging', keyLoc: options.loc, node: { kind: 'object', loc: options.loc, entries: [{ key: '__logDriver', keyLoc: options.loc, node: { kind: 'scalar', value: 'awslogs', loc: options.loc } }] } });
    }
  }

  private pattern(id: string, props: InfraNode | undefined, ast: AstNode | undefined, loc: Loc, name: string | undefined, fargate: boolean, lbType: 'application' | 'network'): void {
    let task: TaskDefinition | undefined;
    const existing = this.lookup(this.astProp(ast, 'taskDefinition'));
    if (existing?.task) task = existing.task;
    const imageOptions = get(props, 'taskImageOptions');
    if (!task) {
      task = this.taskDefinition(`${id}/TaskDef`, props, loc, fargate);
      task.loc = loc;
      if (imageOptions?.kind === 'object') {
        const containerProps: ObjectNode = { kind: 'object', loc: imageOptions.loc, entries: [...imageOptions.entries] };
        const portEntry = imageOptions.entries.find((x) => x.key === 'containerPort');
        // Pattern defaults: container "web" on port 80, awslogs unless enableLogging is false.
        containerProps.entries.push({ key: 'portMappings', keyLoc: portEntry?.keyLoc ?? imageOptions.loc, node: { kind: 'array', loc: portEntry?.keyLoc ?? imageOptions.loc, items: [{ kind: 'object', loc: portEntry?.keyLoc ?? imageOptions.loc, entries: [{ key: 'containerPort', keyLoc: portEntry?.keyLoc ?? imageOptions.loc, node: portEntry?.node ?? { kind: 'scalar', value: 80, loc: imageOptions.loc } }] }] } });
        if (!imageOptions.entries.some((x) => x.key === 'containerName')) containerProps.entries.push({ key: 'containerName', keyLoc: imageOptions.loc, node: { kind: 'scalar', value: 'web', loc: imageOptions.loc } });
        this.patternLogging(imageOptions, containerProps);
        if (get(props, 'healthCheck')) containerProps.entries.push({ key: 'healthCheck', keyLoc: this.keyLoc(props, 'healthCheck'), node: get(props, 'healthCheck')! });
        task.containers.push(this.container(containerProps, imageOptions.loc));
      } else if (imageOptions) {
        task.containersUnresolved = { value: { unresolved: 'taskImageOptions' }, loc: imageOptions.loc };
      }
    }
    const service = this.ecsService(`${id}/Service`, props, loc);
    service.taskDefinition = task;
    const certificate = get(props, 'certificate');
    const protocolNode = get(props, 'protocol');
    const protocol = protocolNode
      ? asString(protocolNode, this.keyLoc(props, 'protocol'))
      : lbType === 'network'
        ? { value: 'TCP', loc }
        : certificate
          ? { value: 'HTTPS', loc: this.keyLoc(props, 'certificate') }
          : isUnresolved(num(props, 'listenerPort')?.value)
            ? { value: { unresolved: 'listenerPort' }, loc: this.keyLoc(props, 'listenerPort') }
            : { value: 'HTTP', loc };
    const https = protocol && protocol.value === 'HTTPS';
    const lb = {
      format: 'cdk' as const,
      file: this.file,
      resourceName: `${id}/LB`,
      loc,
      type: { value: lbType, loc },
      scheme: bool(props, 'publicLoadBalancer')?.value === false ? { value: 'internal', loc: this.keyLoc(props, 'publicLoadBalancer') } : { value: 'internet-facing', loc },
      idleTimeoutSeconds: num(props, 'idleTimeout'),
      listeners: [] as Listener[],
    };
    this.infra.loadBalancers.push(lb);
    const listener: Listener = {
      format: 'cdk',
      file: this.file,
      resourceName: `${id}/LB/PublicListener`,
      loc: protocolNode || certificate ? this.keyLoc(props, protocolNode ? 'protocol' : 'certificate') : loc,
      loadBalancer: lb,
      // `listenerPort: config.certificateArn ? 443 : 80`: an expression decides the port (and so the protocol).
      port: num(props, 'listenerPort') ?? { value: https ? 443 : 80, loc },
      protocol,
      certificates: certificate ? [{ value: { unresolved: 'certificate' }, loc: this.keyLoc(props, 'certificate') }] : [],
      defaultActions: [{ type: { value: 'forward', loc }, targetGroupRefs: [], loc }],
      defaultActionsComplete: true,
      rules: [],
    };
    lb.listeners.push(listener);
    this.infra.listeners.push(listener);
    const redirect = bool(props, 'redirectHTTP');
    if (redirect && redirect.value === true) {
      const r: Listener = { ...listener, resourceName: `${id}/LB/PublicRedirectListener`, loc: redirect.loc, port: { value: 80, loc: redirect.loc }, protocol: { value: 'HTTP', loc: redirect.loc }, certificates: [], defaultActions: [{ type: { value: 'redirect', loc: redirect.loc }, redirectProtocol: { value: 'HTTPS', loc: redirect.loc }, targetGroupRefs: [], loc: redirect.loc }], rules: [] };
      lb.listeners.push(r);
      this.infra.listeners.push(r);
    }
    const tg: TargetGroup = {
      format: 'cdk',
      file: this.file,
      resourceName: `${id}/LB/PublicListener/ECSGroup`,
      loc,
      port: num(props, 'targetPort'),
      protocol: str(props, 'targetProtocol') ?? (lbType === 'network' ? { value: 'TCP', loc } : undefined),
      // The pattern registers tasks by IP.
      targetType: { value: 'ip', loc },
    };
    this.infra.targetGroups.push(tg);
    service.targetGroups.push(tg);
    const container = task.containers[0];
    service.loadBalancers.push({ containerName: container?.name, containerPort: container?.portMappings[0]?.containerPort, loc });
    this.remember(name, { kind: 'pattern', task, service, lb, listener, tg });
  }

  /** addContainer props (CDK shape) → task-definition shape → the shared container builder. */
  private container(props: ObjectNode, loc: Loc, id?: string): ContainerDefinition {
    const entries: ObjectNode['entries'] = [];
    let assetDir: string | undefined;
    let assetPlatform: string | undefined;
    let ecrRef: string | undefined;
    for (const e of props.entries) {
      const k = e.key;
      if (k === 'containerName') entries.push({ key: 'name', keyLoc: e.keyLoc, node: e.node });
      else if (k === 'environment' || k === 'secrets') {
        if (e.node.kind === 'object') {
          const list: InfraNode = {
            kind: 'array',
            loc: e.node.loc,
            partial: e.node.partial,
            items: e.node.entries.map((x) => ({
              kind: 'object' as const,
              loc: x.keyLoc,
              entries: [
                { key: 'name', keyLoc: x.keyLoc, node: { kind: 'scalar' as const, value: x.key, loc: x.keyLoc } },
                { key: k === 'environment' ? 'value' : 'valueFrom', keyLoc: x.keyLoc, node: x.node },
              ],
            })),
          };
          entries.push({ key: k, keyLoc: e.keyLoc, node: list });
        } else entries.push({ key: k, keyLoc: e.keyLoc, node: e.node });
      } else if (k === 'image') {
        if (e.node.kind === 'object' && get(e.node, '__asset')) {
          const dir = str(e.node, '__asset');
          if (dir && typeof dir.value === 'string') {
            const base = dir.value.startsWith('__dirname/') ? posix.dirname(this.file) : this.appDir || '.';
            assetDir = posix.normalize(posix.join(base, dir.value.replace(/^__dirname\//, '')));
            if (assetDir === '.') assetDir = '';
          }
          const platform = get(e.node, '__platform');
          if (platform) assetPlatform = platform.kind === 'unresolved' ? platform.text : String((platform as { value: unknown }).value);
          entries.push({ key: 'image', keyLoc: e.keyLoc, node: { kind: 'unresolved', text: `asset ${dir && typeof dir.value === 'string' ? dir.value : ''}`.trim(), loc: e.keyLoc } });
        } else if (e.node.kind === 'object' && get(e.node, '__ecr')) {
          const repo = get(e.node, '__ecr');
          const tag = get(e.node, 'tag');
          const c = repo?.kind === 'unresolved' ? this.constructs.get(repo.text) : undefined;
          ecrRef = repo?.kind === 'unresolved' ? repo.text : undefined;
          const repoName = c?.ecrName ?? '${' + (ecrRef ?? 'repository') + '}';
          const tagText = !tag ? 'latest' : tag.kind === 'scalar' ? String(tag.value) : '${' + (tag.kind === 'unresolved' ? tag.text : 'tag') + '}';
          entries.push({ key: 'image', keyLoc: e.keyLoc, node: c?.ecrName && tag?.kind !== 'unresolved' ? { kind: 'scalar', value: `${repoName}:${tagText}`, loc: e.keyLoc } : { kind: 'unresolved', text: `${repoName}:${tagText}`, loc: e.keyLoc } });
        } else entries.push(e);
      } else if (k === 'logging') entries.push({ key: 'logConfiguration', keyLoc: e.keyLoc, node: e.node.kind === 'object' ? { kind: 'object', loc: e.node.loc, entries: [{ key: 'logDriver', keyLoc: e.keyLoc, node: get(e.node, '__logDriver') ?? { kind: 'unresolved', text: 'log driver', loc: e.keyLoc } }, { key: 'options', keyLoc: e.keyLoc, node: get(e.node, 'options') ?? { kind: 'object', entries: [], loc: e.keyLoc } }] } : e.node });
      else if (k === 'stopTimeout' || k === 'essential' || k === 'readonlyRootFilesystem' || k === 'command' || k === 'entryPoint' || k === 'user' || k === 'portMappings' || k === 'cpu' || k === 'environmentFiles') entries.push(e);
      else if (k === 'memoryLimitMiB') entries.push({ key: 'memory', keyLoc: e.keyLoc, node: e.node });
      else if (k === 'firelensConfig') entries.push({ key: 'firelensConfiguration', keyLoc: e.keyLoc, node: e.node });
      else if (k === 'memoryReservationMiB') entries.push({ key: 'memoryReservation', keyLoc: e.keyLoc, node: e.node });
      else if (k === 'healthCheck') entries.push(e);
    }
    if (!entries.some((x) => x.key === 'name') && id) entries.push({ key: 'name', keyLoc: loc, node: { kind: 'scalar', value: id, loc } });
    const node: ObjectNode = { kind: 'object', loc, entries, partial: props.partial };
    const container = buildContainer(node);
    container.loc = loc;
    if (props.partial) {
      container.environmentComplete = container.environmentComplete && entries.some((x) => x.key === 'environment');
      container.secretsComplete = container.secretsComplete && entries.some((x) => x.key === 'secrets');
    }
    // An asset image is tagged with the hash of its content by the CDK: never a moving tag.
    if (container.image && assetDir !== undefined) container.imageRef = { text: isUnresolvedText(container.image.value), tagUnresolved: false, assetDir, ...(assetPlatform ? { assetPlatform } : {}) };
    if (container.imageRef && ecrRef) container.imageRef.ecrRepositoryRef = ecrRef;
    if (container.image && !container.imageRef) container.imageRef = parseImage(container.image);
    // LinuxParameters is a construct (tmpfs added by method calls): the writable paths are not read.
    if (get(props, 'linuxParameters') || props.partial) container.mountPointsComplete = false;
    return container;
  }

  private call(e: AstNode, name: string | undefined): void {
    const callee = unwrap(e.callee as AstNode);
    if (callee.type !== 'MemberExpression') return;
    const method = (callee.property as AstNode).name as string;
    const target = this.lookup(callee.object as AstNode);
    const args = (e.arguments as AstNode[]) ?? [];
    const loc = this.loc(e);
    // `role.addToPolicy(new iam.PolicyStatement({...}))` and friends: the statement is read where it is constructed.
    this.nestedStatements(args);
    if (!target) return;
    // addFirelensLogRouter adds a container too (the FireLens log router sidecar, essential by default).
    if (target.kind === 'task' && (method === 'addContainer' || method === 'addFirelensLogRouter') && target.task) {
      const id = args[0] && (args[0] as AstNode).type === 'Literal' ? String((args[0] as AstNode).value) : undefined;
      const props = args[1] ? this.value(args[1]) : undefined;
      const container = this.container(props?.kind === 'object' ? props : { kind: 'object', entries: [], loc, partial: true }, loc, id);
      target.task.containers.push(container);
      this.remember(name, { kind: 'container', container, task: target.task });
      return;
    }
    if (target.kind === 'container' && target.container) {
      const c = target.container;
      if (method === 'addPortMappings') {
        for (const a of args) {
          if (a.type === 'SpreadElement') {
            c.portMappingsComplete = false;
            continue;
          }
          const v = this.value(a);
          c.portMappings.push({ containerPort: num(v, 'containerPort'), hostPort: num(v, 'hostPort'), protocol: str(v, 'protocol'), loc });
        }
      } else if (method === 'addMountPoints') {
        for (const a of args) {
          const v = a.type === 'SpreadElement' ? undefined : this.value(a);
          if (v?.kind !== 'object') {
            c.mountPointsComplete = false;
            continue;
          }
          c.mountPoints.push({ containerPath: str(v, 'containerPath'), sourceVolume: str(v, 'sourceVolume'), readOnly: bool(v, 'readOnly'), loc });
        }
      } else if (method === 'addContainerDependencies') {
        for (const a of args) {
          const v = a.type === 'SpreadElement' ? undefined : this.value(a);
          const dep = v?.kind === 'object' ? get(v, 'container') : undefined;
          const target = dep?.kind === 'unresolved' ? this.constructs.get(dep.text) : undefined;
          const depName = target?.kind === 'container' ? known(target.container?.name) : undefined;
          const condition = v?.kind === 'object' ? get(v, 'condition') : undefined;
          if (depName) c.dependsOn.push({ containerName: depName, condition: condition?.kind === 'unresolved' ? condition.text.split('.').pop() : literal(condition), loc });
        }
      } else if (method === 'addEnvironment' && args.length >= 2) {
        const key = this.value(args[0]);
        if (key.kind === 'scalar') c.environment.push({ name: String(key.value), value: asString(this.value(args[1]), loc) ?? { value: '', loc }, loc });
        else c.environmentComplete = false;
      } else if (method === 'addSecret' && args.length >= 2) {
        const key = this.value(args[0]);
        if (key.kind === 'scalar') c.secrets.push({ name: String(key.value), valueFrom: asString(this.value(args[1]), loc) ?? { value: { unresolved: 'secret' }, loc }, loc });
        else c.secretsComplete = false;
      }
      return;
    }
    if (target.kind === 'lb' && target.lb) {
      if (method === 'addListener') {
        const id = args[0] && (args[0] as AstNode).type === 'Literal' ? String((args[0] as AstNode).value) : `listener${++this.counter}`;
        const listener = this.listener(id, args[1] ? this.value(args[1]) : undefined, loc, target.lb);
        this.remember(name, { kind: 'listener', listener });
      } else if (method === 'addRedirect') {
        const p = args[0] ? this.value(args[0]) : undefined;
        const listener: Listener = {
          format: 'cdk', file: this.file, resourceName: `redirect${++this.counter}`, loc, loadBalancer: target.lb,
          port: num(p, 'sourcePort') ?? { value: 80, loc }, protocol: str(p, 'sourceProtocol') ?? { value: 'HTTP', loc }, certificates: [],
          defaultActions: [{ type: { value: 'redirect', loc }, redirectProtocol: str(p, 'targetProtocol') ?? { value: 'HTTPS', loc }, redirectPort: str(p, 'targetPort') ?? { value: '443', loc }, targetGroupRefs: [], loc }],
          defaultActionsComplete: true, rules: [],
        };
        target.lb.listeners.push(listener);
        this.infra.listeners.push(listener);
      }
      return;
    }
    if (target.kind === 'listener' && target.listener) {
      const listener = target.listener;
      const id = args[0] && (args[0] as AstNode).type === 'Literal' ? String((args[0] as AstNode).value) : `target${++this.counter}`;
      const props = args[1] ? this.value(args[1]) : undefined;
      if (method === 'addTargets') {
        const tg = this.targetGroup(`${listener.resourceName}/${id}Group`, props, loc);
        tg.targetType = { value: 'ip', loc };
        this.attachTargets(this.astProp(args[1], 'targets'), tg, loc);
        this.remember(name, { kind: 'tg', tg });
        if (get(props, 'conditions')) this.listenerRule(`${listener.resourceName}/${id}Rule`, props, args[1], loc, listener);
        else listener.defaultActions.push({ type: { value: 'forward', loc }, targetGroupRefs: [tg.resourceName], loc });
      } else if (method === 'addAction') {
        if (get(props, 'conditions')) this.listenerRule(`${listener.resourceName}/${id}Rule`, props, args[1], loc, listener);
        else {
          const a = this.action(get(props, 'action') ?? { kind: 'scalar', value: null, loc });
          if (a) listener.defaultActions.push(a);
          else listener.defaultActionsComplete = false;
        }
      } else if (method === 'addTargetGroups') {
        if (get(props, 'conditions')) this.listenerRule(`${listener.resourceName}/${id}Rule`, props, args[1], loc, listener);
        else listener.defaultActions.push({ type: { value: 'forward', loc }, targetGroupRefs: [], loc });
      }
      return;
    }
    if (target.kind === 'tg' && target.tg && method === 'addTarget') {
      // tg.addTarget(service) or tg.addTarget(service.loadBalancerTarget({...}))
      this.attachTargets({ type: 'ArrayExpression', elements: args, start: e.start, end: e.end }, target.tg, loc);
      return;
    }
    if (target.kind === 'tg' && target.tg && method === 'configureHealthCheck') {
      const hc = args[0] ? this.value(args[0]) : undefined;
      if (hc?.kind === 'object') target.tg.healthCheck = { enabled: bool(hc, 'enabled'), path: str(hc, 'path'), port: str(hc, 'port'), protocol: str(hc, 'protocol'), loc };
      return;
    }
    if ((target.kind === 'service' || target.kind === 'pattern') && target.service) {
      if (method === 'attachToApplicationTargetGroup') {
        const tg = this.lookup(args[0]);
        if (tg?.tg) {
          target.service.targetGroups.push(tg.tg);
          target.service.loadBalancers.push({ loc, targetGroupRef: tg.tg.resourceName });
        }
      } else if (method === 'autoScaleTaskCount') {
        // service.autoScaleTaskCount({ maxCapacity }): maxCapacity is required by the CDK.
        const props = args[0] ? this.value(args[0]) : undefined;
        target.service.autoscalingMaxCapacity = num(props, 'maxCapacity') ?? { value: { unresolved: 'autoScaleTaskCount props' }, loc };
      }
    }
  }

  /** Expression → located tree, evaluating the CDK helpers that matter to the rules. */
  value(node: AstNode, depth = 0): InfraNode {
    const n = unwrap(node);
    const loc = this.loc(n);
    const unresolved = (ref?: string): InfraNode => ({ kind: 'unresolved', text: this.src(n), ...(ref ? { ref } : {}), loc });
    if (depth > 8) return unresolved();
    switch (n.type) {
      case 'Literal':
        if (typeof n.value === 'string' || typeof n.value === 'number' || typeof n.value === 'boolean' || n.value === null) return { kind: 'scalar', value: n.value as string | number | boolean | null, loc };
        return unresolved();
      case 'TemplateLiteral': {
        const quasis = n.quasis as AstNode[];
        const exprs = n.expressions as AstNode[];
        if (exprs.length === 0) return { kind: 'scalar', value: String((quasis[0].value as { cooked: string }).cooked), loc };
        // Render `${…}` for the expressions so literal parts (a `:latest` suffix) stay visible.
        let text = '';
        quasis.forEach((q, i) => {
          text += (q.value as { cooked: string }).cooked;
          if (exprs[i]) {
            const v = this.value(exprs[i], depth + 1);
            text += v.kind === 'scalar' ? String(v.value) : '${' + this.src(exprs[i]) + '}';
          }
        });
        return /\$\{/.test(text) ? { kind: 'unresolved', text, loc } : { kind: 'scalar', value: text, loc };
      }
      case 'UnaryExpression':
        if (n.operator === '-' && (n.argument as AstNode).type === 'Literal') return { kind: 'scalar', value: -Number((n.argument as AstNode).value), loc };
        return unresolved();
      case 'Identifier': {
        const name = n.name as string;
        if (name === 'undefined') return { kind: 'scalar', value: null, loc };
        const init = this.consts.get(name);
        if (init && !this.constructs.has(name)) {
          const v = this.value(init, depth + 1);
          // Keep the line of use for literals; objects keep their own lines.
          return v.kind === 'scalar' ? { ...v, loc } : v;
        }
        return unresolved(name);
      }
      case 'ObjectExpression': {
        const out: ObjectNode = { kind: 'object', entries: [], loc };
        for (const p of n.properties as AstNode[]) {
          if (p.type === 'SpreadElement') {
            // `...commonEnv` where commonEnv is a const object literal of this file: its members are known.
            const spread = this.value(p.argument as AstNode, depth + 1);
            if (spread.kind === 'object') {
              out.entries.push(...spread.entries);
              if (spread.partial) out.partial = true;
            } else out.partial = true;
            continue;
          }
          if (p.type !== 'Property' || p.computed) {
            out.partial = true;
            continue;
          }
          const key = propKey(p);
          if (key === undefined) {
            out.partial = true;
            continue;
          }
          out.entries.push({ key, keyLoc: this.loc(p), node: this.value(p.value as AstNode, depth + 1) });
        }
        return out;
      }
      case 'ArrayExpression': {
        const out: InfraNode = { kind: 'array', items: [], loc };
        for (const el of n.elements as (AstNode | null)[]) {
          if (!el) continue;
          if (el.type === 'SpreadElement') {
            const spread = this.value(el.argument as AstNode, depth + 1);
            if (spread.kind === 'array') {
              out.items.push(...spread.items);
              if (spread.partial) out.partial = true;
            } else out.partial = true;
            continue;
          }
          out.items.push(this.value(el, depth + 1));
        }
        return out;
      }
      case 'MemberExpression': {
        // Enum members: ecs.Protocol.TCP, elbv2.ApplicationProtocol.HTTPS, ecr.TagMutability.IMMUTABLE, iam.Effect.ALLOW.
        const obj = unwrap(n.object as AstNode);
        const prop = (n.property as AstNode).name as string | undefined;
        const objName = CALLEE_TAIL(obj);
        if (prop && /^(ApplicationProtocol|Protocol|TagMutability|Effect|CpuArchitecture|OperatingSystemFamily|TargetType|DeploymentControllerType|ListenerAction)$/.test(objName)) {
          const value = objName === 'CpuArchitecture' ? (prop === 'ARM64' ? 'ARM64' : 'X86_64') : objName === 'Effect' ? (prop === 'ALLOW' ? 'Allow' : 'Deny') : objName === 'TargetType' ? prop.toLowerCase() : prop;
          return { kind: 'scalar', value, loc };
        }
        return unresolved(targetName(n));
      }
      case 'CallExpression':
        return this.callValue(n, depth) ?? unresolved();
      case 'NewExpression': {
        const cls = CALLEE_TAIL(n.callee as AstNode);
        const args = (n.arguments as AstNode[]) ?? [];
        if (cls === 'AwsLogDriver') return { kind: 'object', loc, entries: [{ key: '__logDriver', keyLoc: loc, node: { kind: 'scalar', value: 'awslogs', loc } }, { key: 'options', keyLoc: loc, node: args[0] ? this.value(args[0], depth + 1) : { kind: 'object', entries: [], loc } }] };
        if (cls === 'FireLensLogDriver') return { kind: 'object', loc, entries: [{ key: '__logDriver', keyLoc: loc, node: { kind: 'scalar', value: 'awsfirelens', loc } }] };
        return unresolved(targetName(n));
      }
      default:
        return unresolved();
    }
  }

  private callValue(n: AstNode, depth: number): InfraNode | undefined {
    const callee = unwrap(n.callee as AstNode);
    if (callee.type !== 'MemberExpression') return undefined;
    const method = (callee.property as AstNode).name as string;
    const owner = CALLEE_TAIL(unwrap(callee.object as AstNode));
    const args = ((n.arguments as AstNode[]) ?? []).map((a) => a);
    const loc = this.loc(n);
    const arg = (i: number): InfraNode | undefined => (args[i] ? this.value(args[i], depth + 1) : undefined);
    if ((owner === 'path' || owner === 'posix') && (method === 'join' || method === 'resolve')) {
      // path.join(__dirname, '../../server'): relative to this file.
      const parts = args.map((a) => unwrap(a));
      if (parts[0]?.type === 'Identifier' && parts[0].name === '__dirname') {
        const rest = parts.slice(1).map((p) => this.value(p, depth + 1));
        if (rest.every((r) => r.kind === 'scalar')) return { kind: 'scalar', value: '__dirname/' + posix.join(...rest.map((r) => String((r as { value: unknown }).value))), loc };
      }
      return undefined;
    }
    if (owner === 'Duration') {
      const v = arg(0);
      if (v?.kind !== 'scalar' || typeof v.value !== 'number') return undefined;
      const factor = method === 'seconds' ? 1 : method === 'minutes' ? 60 : method === 'millis' ? 0.001 : method === 'hours' ? 3600 : undefined;
      return factor === undefined ? undefined : { kind: 'scalar', value: v.value * factor, loc };
    }
    if (owner === 'ContainerImage' || owner === 'EcrImage' || owner === 'AssetImage') {
      if (method === 'fromRegistry') return arg(0);
      if (method === 'fromAsset') {
        const entries: ObjectNode['entries'] = [{ key: '__asset', keyLoc: loc, node: arg(0) ?? { kind: 'unresolved', text: 'asset', loc } }];
        const platform = get(arg(1), 'platform');
        if (platform) entries.push({ key: '__platform', keyLoc: platform.loc, node: platform });
        return { kind: 'object', loc, entries };
      }
      if (method === 'fromEcrRepository') {
        const repo = args[0] ? unwrap(args[0]) : undefined;
        const entries: ObjectNode['entries'] = [{ key: '__ecr', keyLoc: loc, node: { kind: 'unresolved', text: repo ? targetName(repo) ?? this.src(repo) : 'repository', loc } }];
        if (args[1]) entries.push({ key: 'tag', keyLoc: loc, node: arg(1)! });
        return { kind: 'object', loc, entries };
      }
      return undefined;
    }
    if (owner === 'LogDrivers' || owner === 'LogDriver') {
      const driver = method === 'awsLogs' ? 'awslogs' : method === 'firelens' ? 'awsfirelens' : method.toLowerCase();
      return { kind: 'object', loc, entries: [{ key: '__logDriver', keyLoc: loc, node: { kind: 'scalar', value: driver, loc } }, { key: 'options', keyLoc: loc, node: arg(0) ?? { kind: 'object', entries: [], loc } }] };
    }
    if (owner === 'HealthCheck' || owner === 'ContainerHealthCheck') return undefined;
    if (owner === 'ListenerAction') {
      const type = method === 'redirect' ? 'redirect' : method === 'fixedResponse' ? 'fixed-response' : method === 'forward' || method === 'weightedForward' ? 'forward' : method;
      const opts = method === 'redirect' ? arg(0) : undefined;
      const entries: ObjectNode['entries'] = [{ key: '__action', keyLoc: loc, node: { kind: 'scalar', value: type, loc } }];
      if (opts?.kind === 'object') entries.push(...opts.entries.filter((x) => x.key === 'protocol' || x.key === 'port'));
      return { kind: 'object', loc, entries };
    }
    if (owner === 'ListenerCondition') {
      const field: Record<string, string> = { pathPatterns: 'path-pattern', hostHeaders: 'host-header', httpHeader: 'http-header', httpRequestMethods: 'http-request-method', queryStrings: 'query-string', sourceIps: 'source-ip' };
      if (!field[method]) return undefined;
      const values = method === 'httpHeader' ? arg(1) : arg(0);
      return { kind: 'object', loc, entries: [{ key: '__condition', keyLoc: loc, node: { kind: 'scalar', value: field[method], loc } }, { key: 'values', keyLoc: loc, node: values ?? { kind: 'unresolved', text: 'values', loc } }] };
    }
    if (owner === 'Secret') return { kind: 'unresolved', text: this.src(n), loc };
    if (owner === 'Size' && (method === 'mebibytes' || method === 'gibibytes')) {
      const v = arg(0);
      if (v?.kind !== 'scalar' || typeof v.value !== 'number') return undefined;
      return { kind: 'scalar', value: method === 'gibibytes' ? v.value * 1024 : v.value, loc };
    }
    if (owner === 'HealthCheck' || owner === 'Protocol') return undefined;
    return undefined;
  }
}

function isUnresolvedText(v: unknown): string {
  return typeof v === 'string' ? v : (v as { unresolved: string }).unresolved;
}

function unwrap(node: AstNode): AstNode {
  let n = node;
  while (n && (n.type === 'TSAsExpression' || n.type === 'TSNonNullExpression' || n.type === 'ParenthesizedExpression' || n.type === 'TSSatisfiesExpression' || n.type === 'ChainExpression')) n = n.expression as AstNode;
  return n;
}

/** `taskDef`, `this.taskDef` → `taskDef`; other member chains → their text-ish path. */
function targetName(node: AstNode | undefined): string | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === 'Identifier') return n.name as string;
  if (n.type === 'MemberExpression' && !n.computed) {
    const obj = unwrap(n.object as AstNode);
    const prop = (n.property as AstNode).name as string;
    if (obj.type === 'ThisExpression') return prop;
    const base = targetName(obj);
    return base ? `${base}.${prop}` : undefined;
  }
  return undefined;
}

function propKey(p: AstNode): string | undefined {
  const k = p.key as AstNode;
  if (k.type === 'Identifier') return k.name as string;
  if (k.type === 'Literal') return String(k.value);
  return undefined;
}

function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const c of node) walk(c, visit);
    return;
  }
  const n = node as AstNode;
  if (typeof n.type === 'string') visit(n);
  for (const key in n) {
    if (key === 'start' || key === 'end' || key === 'type' || key === 'loc' || key === 'range') continue;
    const v = n[key];
    if (v && typeof v === 'object') walk(v, visit);
  }
}

