import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import { isUnresolved, type InfraModel, type InfraValue } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import {
  buildEcrRepository,
  buildEcsService,
  buildListener,
  buildListenerRule,
  buildLoadBalancer,
  buildPolicyStatements,
  buildTargetGroup,
  buildTaskDefinition,
  type ResourceContext,
  trustedServices,
} from './build.js';
import { isCloudFormation, readCloudFormation } from './cloudformation.js';
import { parseJsonTree } from './json-tree.js';
import { linkInfra } from './link.js';
import { get, getAll, items, literal, num, refOf, str, strList, type InfraNode } from './tree.js';

/**
 * Task definitions, ECS services, load balancers, ECR repositories and IAM from task-definition
 * JSON, Terraform, CloudFormation/SAM (YAML and JSON, incl. `cdk.out/*.template.json`) and CDK
 * source (only for CDK apps without synth output). Parsers are imported only when the repository
 * has files of their kind; files are pre-filtered on a cheap substring before parsing.
 */
export async function discoverInfra(model: DeploymentModel): Promise<void> {
  const infra = model.infra;
  const { files } = model;

  for (const path of files.paths) {
    if (TEST_DATA_DIR.test(path)) continue;
    await guarded(model, 'infrastructure file', path, () => readTemplateOrTaskDefinition(model, path));
  }

  // Terraform, one module folder at a time (locals are shared across its files).
  const tfByDir = new Map<string, string[]>();
  for (const p of files.paths) {
    if (!p.endsWith('.tf')) continue;
    const dir = posix.dirname(p);
    const list = tfByDir.get(dir);
    if (list) list.push(p);
    else tfByDir.set(dir, [p]);
  }
  const relevantModules = [...tfByDir.values()].filter((list) => list.some((f) => /aws_(ecs|lb|alb|ecr|iam)|terraform-aws-modules\/ecs|terraform-aws-ecs/.test(files.read(f) ?? '')));
  if (relevantModules.length > 0) {
    const { parseTerraformModule } = await import('./terraform.js');
    for (const list of relevantModules) {
      await guarded(model, 'Terraform', list[0], async () => readTerraform(await parseTerraformModule(model, list), infra));
    }
  }

  // CDK: synth output when present, otherwise the app's TypeScript source.
  const cdkApps = new Set<string>(files.named('cdk.json').map((p) => posix.dirname(p)).map((d) => (d === '.' ? '' : d)));
  for (const pkg of model.packages) {
    if ([...pkg.dependencies.keys()].some((d) => d === 'aws-cdk-lib' || d.startsWith('@aws-cdk/'))) cdkApps.add(pkg.dir);
  }
  const sourceApps: string[] = [];
  for (const dir of cdkApps) {
    const templates = files.listSkippedDir(dir ? `${dir}/cdk.out` : 'cdk.out').filter((p) => p.endsWith('.template.json'));
    if (templates.length === 0) {
      sourceApps.push(dir);
      continue;
    }
    for (const t of templates) {
      const text = files.read(t);
      if (text !== undefined) readJsonArtifact(model, t, text);
    }
  }
  if (sourceApps.length > 0) await guarded(model, 'CDK source', sourceApps[0] || '.', () => readCdkApps(model, sourceApps));

  linkInfra(model);
}

/** A task-definition JSON file or a CloudFormation/SAM template (YAML or JSON), when the file is one. */
async function readTemplateOrTaskDefinition(model: DeploymentModel, path: string): Promise<void> {
  const { files, infra } = model;
  const base = posix.basename(path);
  if (path.endsWith('.json')) {
    if (NOT_INFRA_JSON.test(base)) return;
    const text = files.read(path);
    if (text === undefined || !(text.includes('ontainerDefinitions') || text.includes('AWS::'))) return;
    readJsonArtifact(model, path, text);
  } else if (/\.(ya?ml|template)$/.test(path)) {
    if (path.startsWith('.github/') || /(^|\/)(docker-)?compose[^/]*\.ya?ml$|pnpm-(lock|workspace)\.yaml$/.test(path)) return;
    const text = files.read(path);
    if (text === undefined || !text.includes('AWS::') || !text.includes('Resources')) return;
    const { parseYamlTree } = await import('./yaml-tree.js');
    const parsed = parseYamlTree(text, path);
    if (parsed.error) {
      if (/AWSTemplateFormatVersion|^Resources\s*:/m.test(text)) {
        model.problems.push({ kind: 'parse-error', artifact: 'CloudFormation template', message: `${path} is not valid YAML: ${parsed.error.message}`, loc: parsed.error.loc });
      }
      return;
    }
    if (isCloudFormation(parsed.root)) readCloudFormation(parsed.root!, path, infra);
  }
}

/** A parser that cannot load (a missing wasm, an unexpected AST) costs its format, not the rest of the audit. */
async function guarded(model: DeploymentModel, artifact: string, file: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    model.problems.push({ kind: 'parse-error', artifact, message: `${artifact} could not be analysed: ${err instanceof Error ? err.message : String(err)}`, loc: { file, line: 1 } });
  }
}

async function readCdkApps(model: DeploymentModel, sourceApps: string[]): Promise<void> {
  const { files, infra } = model;
  const { parseCdkFile } = await import('./cdk.js');
  const seen = new Set<string>();
  for (const dir of sourceApps) {
    for (const file of files.under(dir)) {
      if (seen.has(file) || !/\.(ts|mts|js|mjs)$/.test(file) || /\.d\.ts$|\.(test|spec)\.[mc]?[jt]s$|(^|\/)(test|tests|__tests__)\//.test(file)) continue;
      seen.add(file);
      const text = files.read(file);
      if (text === undefined || !/aws-cdk-lib|@aws-cdk\//.test(text)) continue;
      await guarded(model, 'CDK source', file, () => parseCdkFile(model, file, infra, dir));
    }
  }
}

/** Test data of the audited repository (sample task definitions, recorded templates): not its deployment. */
const TEST_DATA_DIR = /(^|\/)(__tests__|__fixtures__|__mocks__|fixtures|testdata)\//;

/** JSON files that are never infrastructure, skipped without reading. */
const NOT_INFRA_JSON = /^(package(-lock)?\.json|tsconfig.*\.json|jsconfig\.json|\.eslintrc.*|composer\.json|renovate\.json|tslint\.json|lerna\.json|nx\.json|turbo\.json|cdk\.json|\.prettierrc.*|manifest\.json|tree\.json)$/;

function readJsonArtifact(model: DeploymentModel, path: string, text: string): void {
  const parsed = parseJsonTree(text, path);
  if (!parsed.root) {
    if (parsed.error && /containerDefinitions|AWSTemplateFormatVersion/.test(text)) {
      model.problems.push({ kind: 'parse-error', artifact: 'task definition', message: `${path} is not valid JSON: ${parsed.error.message}`, loc: parsed.error.loc });
    }
    return;
  }
  const root = parsed.root;
  if (isCloudFormation(root)) {
    readCloudFormation(root, path, model.infra);
    return;
  }
  // A task definition as `aws ecs register-task-definition --cli-input-json` and the render action take it,
  // or as `describe-task-definition` prints it ({ "taskDefinition": { … } }).
  const task = get(root, 'taskDefinition')?.kind === 'object' && get(root, 'taskDefinition', 'containerDefinitions') ? get(root, 'taskDefinition')! : root;
  if (task.kind === 'object' && get(task, 'containerDefinitions')?.kind === 'array' && task.entries.some((e) => e.key === 'containerDefinitions')) {
    model.infra.taskDefinitions.push(
      buildTaskDefinition(task, { format: 'task-definition-json', file: path, resourceName: path, loc: { file: path, line: task.loc.line } }),
    );
  }
}

/** JSON written as a string in HCL (heredoc or quoted) → tree, with lines of the .tf file. */
function jsonInString(node: InfraNode): InfraNode {
  if (node.kind === 'unresolved' && node.template) {
    const parsed = parseJsonTree(node.template.body, node.loc.file, { lineOffset: node.template.line - 1, templateStrings: true });
    return parsed.root ?? node;
  }
  if (node.kind !== 'scalar' || typeof node.value !== 'string') return node;
  const parsed = parseJsonTree(node.value, node.loc.file, { lineOffset: node.loc.line - 1 });
  return parsed.root ?? { kind: 'unresolved', text: 'JSON string that does not parse', loc: node.loc };
}

function readTerraform(blocks: Awaited<ReturnType<typeof import('./terraform.js').parseTerraformModule>>, infra: InfraModel): void {
  // Managed policies attached to roles of this module, joined once every role is read.
  const attachments: { role: string; arn: InfraValue<string> }[] = [];
  const roles = new Map<string, InfraModel['iamRoles'][number]>();
  // Policies written elsewhere and attached to a role (a policy document data source, an
  // aws_iam_policy), joined to the role's statements once every block is read; roles with a
  // policy the audit cannot read are marked unresolved.
  const rolePolicySources: { role: string; source: string }[] = [];
  const policyDocuments = new Map<string, string>();
  const unreadableRoles = new Set<string>();
  const policyOwners: { role?: string; loc: Loc }[] = [];
  // Application Auto Scaling targets of ECS services, joined to their service once every block is read.
  const scalingTargets: { address: string; dir: string; max: InfraValue<number> }[] = [];
  for (const block of blocks) {
    const ctx: ResourceContext = { format: 'terraform', file: block.file, resourceName: block.address, loc: block.loc };
    const body = block.body;
    switch (block.type) {
      case 'aws_ecs_task_definition': {
        const defs = get(body, 'container_definitions');
        infra.taskDefinitions.push(buildTaskDefinition(body, ctx, defs ? jsonInString(defs) : undefined));
        break;
      }
      case 'aws_ecs_service': {
        const service = buildEcsService(body, ctx);
        // Fargate through a capacity provider strategy instead of launch_type.
        if (!service.launchType) {
          const provider = getAll(body, 'capacity_provider_strategy').map((c) => literal(get(c, 'capacity_provider'))).find((p) => p?.startsWith('FARGATE'));
          if (provider) service.launchType = { value: 'FARGATE', loc: block.loc };
        }
        infra.ecsServices.push(service);
        break;
      }
      case 'aws_lb':
      case 'aws_alb':
        infra.loadBalancers.push(buildLoadBalancer(body, ctx));
        break;
      case 'aws_lb_listener':
      case 'aws_alb_listener':
        infra.listeners.push(buildListener(body, ctx));
        break;
      case 'aws_lb_listener_rule':
      case 'aws_alb_listener_rule':
        infra.listenerRules.push(buildListenerRule(body, ctx));
        break;
      case 'aws_lb_target_group':
      case 'aws_alb_target_group':
        infra.targetGroups.push(buildTargetGroup(body, ctx));
        break;
      case 'aws_ecr_repository':
        infra.ecrRepositories.push(buildEcrRepository(body, ctx));
        break;
      case 'aws_iam_policy_document':
        if (block.kind === 'data') infra.iamStatements.push(...buildPolicyStatements(body, ctx));
        break;
      case 'aws_iam_policy':
      case 'aws_iam_role_policy': {
        const policy = get(body, 'policy');
        const role = refOf(get(body, 'role'));
        if (policy && policy.kind !== 'unresolved') infra.iamStatements.push(...buildPolicyStatements(jsonInString(policy), ctx, role ? [role] : []));
        else if (policy?.kind === 'unresolved' && policy.ref?.startsWith('data.aws_iam_policy_document.')) {
          if (role) rolePolicySources.push({ role, source: policy.ref });
          else policyDocuments.set(block.address, policy.ref);
        } else if (role) unreadableRoles.add(role);
        if (block.type === 'aws_iam_role_policy') policyOwners.push({ role, loc: block.loc });
        break;
      }
      case 'module:ecs-service':
        readEcsServiceModule(block, infra);
        break;
      case 'aws_appautoscaling_target': {
        // resource_id = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.api.name}": the service it scales.
        const dimension = literal(get(body, 'scalable_dimension'));
        const resourceId = get(body, 'resource_id');
        const text = resourceId?.kind === 'unresolved' ? resourceId.text : literal(resourceId);
        const service = text ? /aws_ecs_service\.([A-Za-z0-9_-]+)/.exec(text)?.[1] : undefined;
        const max = num(body, 'max_capacity');
        if (dimension === 'ecs:service:DesiredCount' && service && max) scalingTargets.push({ address: `aws_ecs_service.${service}`, dir: posix.dirname(block.file), max });
        break;
      }
      case 'aws_secretsmanager_secret':
        (infra.secrets ??= []).push({ format: 'terraform', file: block.file, resourceName: block.address, name: str(body, 'name'), kmsKeyId: str(body, 'kms_key_id'), loc: block.loc });
        break;
      case 'aws_cloudwatch_log_group':
        infra.logGroups.push({ format: 'terraform', file: block.file, resourceName: block.address, name: str(body, 'name'), loc: block.loc });
        break;
      case 'aws_iam_role_policy_attachment': {
        const role = refOf(get(body, 'role'));
        const arn = str(body, 'policy_arn');
        policyOwners.push({ role, loc: block.loc });
        if (role && arn) {
          const ref = isUnresolved(arn.value) ? arn.value.ref : undefined;
          if (ref?.startsWith('aws_iam_policy.')) rolePolicySources.push({ role, source: ref });
          else if (isUnresolved(arn.value)) unreadableRoles.add(role);
          else attachments.push({ role, arn });
        }
        break;
      }
      case 'aws_iam_role': {
        const trust = get(body, 'assume_role_policy');
        const role = {
          format: 'terraform' as const,
          file: block.file,
          resourceName: block.address,
          name: str(body, 'name'),
          managedPolicyArns: [] as InfraValue<string>[],
          trustedServices: trust && trust.kind !== 'unresolved' ? trustedServices(jsonInString(trust)) : undefined,
          loc: block.loc,
        };
        infra.iamRoles.push(role);
        roles.set(block.address, role);
        for (const inline of getAll(body, 'inline_policy')) {
          const policy = get(inline, 'policy');
          if (policy && policy.kind !== 'unresolved') infra.iamStatements.push(...buildPolicyStatements(jsonInString(policy), ctx, [block.address]));
          else if (policy?.kind === 'unresolved' && policy.ref?.startsWith('data.aws_iam_policy_document.')) rolePolicySources.push({ role: block.address, source: policy.ref });
          else unreadableRoles.add(block.address);
        }
        const managed = get(body, 'managed_policy_arns');
        if (managed) {
          const list = strList(body, 'managed_policy_arns');
          if (list?.complete && list.items.every((i) => !isUnresolved(i.value))) role.managedPolicyArns.push(...list.items);
          else unreadableRoles.add(block.address);
        }
        break;
      }
      case 'aws_iam_policy_attachment': {
        for (const r of items(get(body, 'roles')).list) {
          const ref = refOf(r);
          if (ref) unreadableRoles.add(ref);
        }
        break;
      }
      default:
        break;
    }
  }
  for (const target of scalingTargets) {
    const service = infra.ecsServices.find((s) => s.format === 'terraform' && s.resourceName === target.address && posix.dirname(s.file) === target.dir);
    if (service) service.autoscalingMaxCapacity = target.max;
  }
  for (const { role, arn } of attachments) roles.get(role)?.managedPolicyArns.push(arn);
  for (const { role, source } of rolePolicySources) {
    const document = policyDocuments.get(source) ?? source;
    // Addresses are unique within one module folder.
    const moduleDir = blocks.length > 0 ? posix.dirname(blocks[0].file) : '';
    const statements = infra.iamStatements.filter((st) => st.format === 'terraform' && posix.dirname(st.file) === moduleDir && (st.resourceName === document || st.resourceName === source));
    if (statements.length === 0) unreadableRoles.add(role);
    for (const st of statements) if (!st.roleRefs.includes(role)) st.roleRefs.push(role);
  }
  for (const owner of policyOwners) {
    // A role resource of this module names exactly one role; anything else (a variable, a module output, a name) may be any role.
    if (owner.role?.startsWith('aws_iam_role.')) continue;
    (infra.unattributedRolePolicies ??= []).push(owner.loc);
  }
  for (const role of unreadableRoles) {
    const r = roles.get(role);
    if (r) r.policiesUnresolved = true;
  }
}

/**
 * terraform-aws-modules/ecs `modules/service`: task definition, containers (the container-definition
 * submodule's snake_case inputs read like task-definition JSON) and the service. Only what the block
 * writes is taken; module defaults that changed across versions (circuit breaker) stay unknown.
 */
function readEcsServiceModule(block: TerraformBlockOf, infra: InfraModel): void {
  const body = block.body;
  const ctx: ResourceContext = { format: 'terraform', file: block.file, resourceName: block.address, loc: block.loc };
  const definitions = get(body, 'container_definitions');
  const containers: InfraNode[] = [];
  let containersNode: InfraNode | undefined;
  if (definitions?.kind === 'object') {
    for (const { key, keyLoc, node } of definitions.entries) {
      if (node.kind !== 'object') continue;
      // The container-definition submodule takes snake_case inputs and writes the ECS names.
      const entries = node.entries.map((e) => ({ ...e, key: e.key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/^entrypoint$/, 'entryPoint') }));
      if (!entries.some((e) => e.key === 'name')) entries.push({ key: 'name', keyLoc, node: { kind: 'scalar', value: key, loc: keyLoc } });
      // The submodule logs to CloudWatch unless enable_cloudwatch_logging = false.
      const logging = entries.find((e) => e.key === 'enableCloudwatchLogging');
      if (!entries.some((e) => e.key === 'logConfiguration') && !(logging?.node.kind === 'scalar' && logging.node.value === false)) {
        entries.push({ key: 'logConfiguration', keyLoc, node: { kind: 'object', loc: keyLoc, entries: [{ key: 'logDriver', keyLoc, node: { kind: 'scalar', value: 'awslogs', loc: keyLoc } }] } });
      }
      // The container-definition submodule defaults readonly_root_filesystem to true.
      if (!entries.some((e) => e.key === 'readonlyRootFilesystem')) entries.push({ key: 'readonlyRootFilesystem', keyLoc, node: { kind: 'scalar', value: true, loc: keyLoc } });
      containers.push({ kind: 'object', loc: keyLoc, entries, partial: node.partial });
    }
    containersNode = { kind: 'array', loc: definitions.loc, items: containers, partial: definitions.partial };
  } else if (definitions) containersNode = definitions;
  const task = buildTaskDefinition(body, ctx, containersNode);
  // The module defaults to FARGATE with 1024 CPU units and 2048 MiB.
  if (!task.requiresCompatibilities) task.fargate = true;
  if (!get(body, 'cpu')) task.cpu = { value: 1024, loc: block.loc };
  if (!get(body, 'memory')) task.memory = { value: 2048, loc: block.loc };
  infra.taskDefinitions.push(task);
  const lbMap = get(body, 'load_balancer');
  const serviceBody: InfraNode = {
    kind: 'object',
    loc: body.loc,
    entries: body.entries.filter((e) => e.key !== 'load_balancer'),
  };
  const service = buildEcsService(serviceBody, ctx);
  service.taskDefinition = task;
  if (lbMap?.kind === 'object') {
    service.loadBalancers = lbMap.entries.filter((e) => e.node.kind === 'object').map((e) => ({
      targetGroupRef: refOf(get(e.node, 'target_group_arn')),
      containerName: str(e.node, 'container_name'),
      containerPort: num(e.node, 'container_port'),
      loc: e.keyLoc,
    }));
    service.loadBalancersComplete = !lbMap.partial && lbMap.entries.every((e) => e.node.kind === 'object');
  } else if (lbMap) service.loadBalancersComplete = false;
  // Without deployment_circuit_breaker the module's default applies, and it differs across versions.
  if (!get(body, 'deployment_circuit_breaker')) service.circuitBreakerUnresolved = true;
  if (!service.launchType) service.launchType = { value: 'FARGATE', loc: block.loc };
  // The module scales the service itself unless enable_autoscaling = false (autoscaling_max_capacity defaults to 10).
  const autoscaling = get(body, 'enable_autoscaling');
  if (!(autoscaling?.kind === 'scalar' && autoscaling.value === false)) {
    service.autoscalingMaxCapacity = autoscaling && autoscaling.kind !== 'scalar' ? { value: { unresolved: 'enable_autoscaling expression' }, loc: block.loc } : num(body, 'autoscaling_max_capacity') ?? { value: 10, loc: block.loc };
  }
  // The module's own defaults (variables.tf): desired_count 1, deployment_minimum_healthy_percent 66.
  if (!get(body, 'desired_count')) service.desiredCount = { value: 1, loc: block.loc };
  if (!get(body, 'deployment_minimum_healthy_percent')) service.minimumHealthyPercent = { value: 66, loc: block.loc };
  infra.ecsServices.push(service);
}

type TerraformBlockOf = Awaited<ReturnType<typeof import('./terraform.js').parseTerraformModule>>[number];
