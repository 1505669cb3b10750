import type { InfraModel, InfraValue } from '../../model/infra.js';
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
import { get, items, literal, num, refOf, str, type InfraNode } from './tree.js';

/** True when a parsed document is a CloudFormation/SAM template (or CDK synth output). */
export function isCloudFormation(root: InfraNode | undefined): boolean {
  if (root?.kind !== 'object') return false;
  const resources = get(root, 'Resources');
  if (resources?.kind !== 'object') return false;
  return resources.entries.some((e) => (literal(get(e.node, 'Type')) ?? '').startsWith('AWS::'));
}

/** Adds the resources of a CloudFormation template to the model. Logical ids are the references. */
export function readCloudFormation(root: InfraNode, file: string, infra: InfraModel): void {
  const resources = get(root, 'Resources');
  if (resources?.kind !== 'object') return;
  const scalingTargets: { text: string; ref?: string; max: InfraValue<number> }[] = [];
  const servicesBefore = infra.ecsServices.length;
  for (const { key, keyLoc, node } of resources.entries) {
    const type = literal(get(node, 'Type'));
    if (!type) continue;
    const props: InfraNode = get(node, 'Properties') ?? { kind: 'object', entries: [], loc: keyLoc };
    const ctx: ResourceContext = { format: 'cloudformation', file, resourceName: key, loc: keyLoc };
    switch (type) {
      case 'AWS::ECS::TaskDefinition':
        infra.taskDefinitions.push(buildTaskDefinition(props, ctx));
        break;
      case 'AWS::ECS::Service':
        infra.ecsServices.push(buildEcsService(props, ctx));
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        infra.loadBalancers.push(buildLoadBalancer(props, ctx));
        break;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        infra.listeners.push(buildListener(props, ctx));
        break;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        infra.listenerRules.push(buildListenerRule(props, ctx));
        break;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        infra.targetGroups.push(buildTargetGroup(props, ctx));
        break;
      case 'AWS::ECR::Repository':
        infra.ecrRepositories.push(buildEcrRepository(props, ctx));
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        const roles = items(get(props, 'Roles')).list.flatMap((r) => {
          const ref = refOf(r) ?? literal(r);
          return ref ? [ref] : [];
        });
        const doc = get(props, 'PolicyDocument');
        if (doc) infra.iamStatements.push(...buildPolicyStatements(doc, ctx, roles));
        break;
      }
      case 'AWS::IAM::Role': {
        infra.iamRoles.push({
          format: 'cloudformation',
          file,
          resourceName: key,
          loc: keyLoc,
          name: undefined,
          trustedServices: trustedServices(get(props, 'AssumeRolePolicyDocument')),
          managedPolicyArns: items(get(props, 'ManagedPolicyArns')).list.flatMap((m) => {
            const arn = managedPolicyArn(m);
            return arn === undefined ? [] : [{ value: arn, loc: m.loc }];
          }),
          // A `!Ref`'d managed policy, a `!Sub` ARN other than the partition form, or a list from a parameter: what the role may do is unknown.
          policiesUnresolved:
            !items(get(props, 'ManagedPolicyArns')).complete ||
            items(get(props, 'ManagedPolicyArns')).list.some((m) => managedPolicyArn(m) === undefined) ||
            items(get(props, 'Policies')).list.some((p) => get(p, 'PolicyDocument')?.kind !== 'object'),
        });
        for (const policy of items(get(props, 'Policies')).list) {
          const doc = get(policy, 'PolicyDocument');
          if (doc) infra.iamStatements.push(...buildPolicyStatements(doc, ctx, [key]));
        }
        break;
      }
      case 'AWS::ApplicationAutoScaling::ScalableTarget': {
        if (literal(get(props, 'ScalableDimension')) !== 'ecs:service:DesiredCount') break;
        const max = num(props, 'MaxCapacity');
        const resourceId = get(props, 'ResourceId');
        // `!Sub service/${Cluster}/${Service.Name}` keeps the logical id; a `!Join` with `!GetAtt` parts does not, and then only a template with one service tells.
        const text = resourceId?.kind === 'unresolved' ? resourceId.text : literal(resourceId);
        if (max) scalingTargets.push({ text: text ?? '', ref: refOf(resourceId), max });
        break;
      }
      case 'AWS::SecretsManager::Secret':
        (infra.secrets ??= []).push({ format: 'cloudformation', file, resourceName: key, name: str(props, 'Name'), kmsKeyId: str(props, 'KmsKeyId'), loc: keyLoc });
        break;
      case 'AWS::Logs::LogGroup':
        infra.logGroups.push({ format: 'cloudformation', file, resourceName: key, name: str(props, 'LogGroupName'), loc: keyLoc });
        break;
      default:
        break;
    }
  }
  const services = infra.ecsServices.slice(servicesBefore);
  for (const target of scalingTargets) {
    const named = services.filter((svc) => target.ref === svc.resourceName || new RegExp(`\\$\\{${svc.resourceName}(\\.Name)?\\}`).test(target.text));
    const service = named.length === 1 ? named[0] : services.length === 1 ? services[0] : undefined;
    if (service) service.autoscalingMaxCapacity = target.max;
  }
}

/** A managed policy ARN: literal, or `!Sub arn:${AWS::Partition}:iam::aws:policy/…` (AWS-managed, read as the aws partition). */
function managedPolicyArn(node: InfraNode): string | undefined {
  if (node.kind === 'scalar') return String(node.value);
  if (node.kind === 'unresolved' && /^arn:\$\{AWS::Partition\}:iam::aws:policy\/[\w+=,.@/-]+$/.test(node.text)) return node.text.replace('${AWS::Partition}', 'aws');
  return undefined;
}
