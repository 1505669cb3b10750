import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';
import { describeValue, isUnresolved, known, type InfraModel } from '../src/model/infra.js';
import type { DeploymentModel } from '../src/model/index.js';

/** Writes a small repository to a temporary folder and builds its deployment model. */
async function modelOf(files: Record<string, string>): Promise<DeploymentModel> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-infra-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return (await discover(root)).model;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function onlyContainer(infra: InfraModel) {
  assert.equal(infra.taskDefinitions.length, 1, 'one task definition');
  assert.equal(infra.taskDefinitions[0].containers.length, 1, 'one container');
  return { task: infra.taskDefinitions[0], container: infra.taskDefinitions[0].containers[0] };
}

test('task-definition JSON is found by shape anywhere, with the line of every value', async () => {
  const model = await modelOf({
    'ops/ecs/api.json': `{
  "family": "api",
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "requiresCompatibilities": ["FARGATE"],
  "taskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/api:7",
  "containerDefinitions": [
    {
      "name": "api",
      "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:abc",
      "portMappings": [{ "containerPort": 8080 }],
      "environment": [
        { "name": "PORT", "value": "8080" }
      ],
      "environmentFiles": [{ "value": "arn:aws:s3:::cfg/api.env", "type": "s3" }],
      "stopTimeout": 60
    }
  ]
}
`,
    'package.json': '{ "name": "not-infra", "containerDefinitions": [] }\n',
  });
  const { task, container } = onlyContainer(model.infra);
  assert.equal(task.format, 'task-definition-json');
  assert.equal(task.file, 'ops/ecs/api.json');
  assert.deepEqual([known(task.cpu), task.cpu?.loc.line, known(task.memory), task.memory?.loc.line], [1024, 3, 2048, 4]);
  assert.equal(task.fargate, true);
  assert.deepEqual(task.readOnlyFields.map((f) => [f.name, f.loc.line]), [['taskDefinitionArn', 6]]);
  assert.equal(container.loc.line, 9);
  assert.equal(container.imageRef?.digest, 'sha256:abc');
  assert.equal(container.imageRef?.repository, 'api');
  assert.deepEqual(container.portMappings.map((p) => [known(p.containerPort), p.containerPort?.loc.line]), [[8080, 11]]);
  assert.deepEqual(container.environment.map((e) => [e.name, known(e.value), e.value.loc.line]), [["PORT", "8080", 13]]);
  assert.equal(container.environmentFiles.length, 1);
  assert.deepEqual([known(container.stopTimeoutSeconds), container.stopTimeoutSeconds?.loc.line], [60, 16]);
});

test('Terraform: jsonencode() of literals and locals are evaluated, variables stay unresolved, blocks and refs are linked', async () => {
  const model = await modelOf({
    'infra/main.tf': `locals {
  common_env = [{ name = "NODE_ENV", value = "production" }]
}

resource "aws_ecs_task_definition" "api" {
  family                   = "api"
  cpu                      = var.cpu
  memory                   = 1024
  requires_compatibilities = ["FARGATE"]
  container_definitions = jsonencode([
    {
      name         = "api"
      image        = "\${aws_ecr_repository.api.repository_url}:\${var.image_tag}"
      portMappings = [{ containerPort = 3000 }]
      environment  = concat(local.common_env, var.extra_env)
      secrets = [
        { name = "JWT_SECRET", valueFrom = aws_secretsmanager_secret.jwt.arn },
      ]
      stopTimeout = -1
    }
  ])
}

resource "aws_ecs_service" "api" {
  task_definition = aws_ecs_task_definition.api.arn
  launch_type     = "FARGATE"
  dynamic "load_balancer" {
    for_each = var.target_groups
    content {
      target_group_arn = load_balancer.value
    }
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = var.rollback
  }
}
`,
  });
  const { task, container } = onlyContainer(model.infra);
  assert.equal(task.format, 'terraform');
  assert.equal(task.resourceName, 'aws_ecs_task_definition.api');
  assert.ok(task.cpu && isUnresolved(task.cpu.value), 'var.cpu is kept unresolved');
  assert.equal(describeValue(task.cpu), 'var.cpu');
  assert.equal(known(task.memory), 1024);
  assert.equal(container.loc.line, 12);
  assert.equal(container.imageRef?.tagUnresolved, true, 'the tag is a variable');
  assert.equal(container.environmentComplete, false, 'concat() with a variable: partly unknown, not empty');
  assert.deepEqual(container.environment.map((e) => [e.name, known(e.value), e.loc.line]), [['NODE_ENV', 'production', 2]], 'the local is evaluated where it is defined');
  assert.deepEqual(container.secrets.map((s) => [s.name, s.loc.line]), [['JWT_SECRET', 17]]);
  assert.equal(known(container.stopTimeoutSeconds), -1);

  const service = model.infra.ecsServices[0];
  assert.equal(service.taskDefinition, task, 'task_definition reference resolved');
  assert.equal(service.loadBalancersComplete, false, 'a dynamic block makes the list unknown');
  assert.equal(known(service.circuitBreaker?.enable), true);
  assert.ok(service.circuitBreaker?.rollback && isUnresolved(service.circuitBreaker.rollback.value));
});

test('Terraform: heredoc JSON and file()/templatefile() of files in the repository keep the lines of the JSON', async () => {
  const model = await modelOf({
    'infra/heredoc.tf': `resource "aws_ecs_task_definition" "worker" {
  family                = "worker"
  container_definitions = <<DEFINITION
[
  {
    "name": "worker",
    "image": "\${var.image}",
    "essential": true
  }
]
DEFINITION
}
`,
    'infra/file.tf': `resource "aws_ecs_task_definition" "api" {
  family                = "api"
  container_definitions = templatefile("\${path.module}/containers/api.json.tpl", { image = var.image })
}
`,
    'infra/containers/api.json.tpl': `[
  {
    "name": "api",
    "image": "\${image}",
    "stopTimeout": 45
  }
]
`,
  });
  const worker = model.infra.taskDefinitions.find((t) => t.resourceName === 'aws_ecs_task_definition.worker')!;
  assert.equal(worker.containers.length, 1);
  assert.equal(known(worker.containers[0].name), 'worker');
  assert.equal(worker.containers[0].loc.line, 6, 'line inside the heredoc');
  assert.ok(worker.containers[0].image && isUnresolved(worker.containers[0].image.value));
  const api = model.infra.taskDefinitions.find((t) => t.resourceName === 'aws_ecs_task_definition.api')!;
  assert.equal(api.containers.length, 1);
  assert.equal(api.containers[0].loc.file, 'infra/containers/api.json.tpl');
  assert.equal(api.containers[0].loc.line, 3);
  assert.ok(api.containers[0].image && isUnresolved(api.containers[0].image.value), '${image} is filled at apply time');
  assert.equal(known(api.containers[0].stopTimeoutSeconds), 45);
});

test('Terraform: a file that does not parse is a parse-error problem, not a crash', async () => {
  const model = await modelOf({ 'infra/broken.tf': 'resource "aws_ecs_service" "x" {\n  name = \n' });
  assert.equal(model.infra.ecsServices.length, 0);
  assert.ok(model.problems.some((p) => p.kind === 'parse-error' && p.loc.file === 'infra/broken.tf'));
});

test('CloudFormation YAML: short-form tags (!Ref, !Sub, !GetAtt, !Join) are unresolved values that keep literal parts', async () => {
  const model = await modelOf({
    'template.yaml': `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Cpu: !Ref Cpu
      Memory: '2048'
      ContainerDefinitions:
        - Name: web
          Image: !Join ['', [!Ref Registry, '/web:latest']]
          Environment:
            - Name: API_URL
              Value: !Sub 'https://\${Domain}/api'
  Service:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref TaskDef
      LaunchType: FARGATE
      LoadBalancers:
        - TargetGroupArn: !Ref TG
          ContainerName: web
          ContainerPort: 80
  TG:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      HealthCheckPath: /healthz
      Port: 80
`,
  });
  const { task, container } = onlyContainer(model.infra);
  assert.equal(task.fargate, true, 'a FARGATE service makes its task definition Fargate');
  assert.ok(task.cpu && isUnresolved(task.cpu.value));
  assert.equal(container.imageRef?.tag, 'latest');
  assert.equal(container.imageRef?.repository, 'web');
  assert.deepEqual(container.environment.map((e) => [e.name, describeValue(e.value), e.value.loc.line]), [['API_URL', 'https://${Domain}/api', 13]]);
  const service = model.infra.ecsServices[0];
  assert.equal(service.taskDefinition, task);
  assert.equal(service.targetGroups.length, 1);
  assert.deepEqual([known(service.targetGroups[0].healthCheck?.path), service.targetGroups[0].healthCheck?.path?.loc.line], ['/healthz', 26]);
});

test('CDK: synth output in cdk.out is read instead of the source, with JSON intrinsics', async () => {
  const model = await modelOf({
    'infra/cdk.json': '{ "app": "npx ts-node bin/app.ts" }\n',
    'infra/package.json': '{ "name": "infra", "dependencies": { "aws-cdk-lib": "2.150.0" } }\n',
    'infra/lib/stack.ts': "import * as ecs from 'aws-cdk-lib/aws-ecs';\nnew ecs.FargateTaskDefinition(this, 'FromSource');\n",
    'infra/cdk.out/Stack.template.json': JSON.stringify(
      {
        Resources: {
          TaskDef54694570: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: {
              Cpu: '256',
              Memory: '512',
              RequiresCompatibilities: ['FARGATE'],
              ContainerDefinitions: [
                {
                  Name: 'web',
                  Image: { 'Fn::Join': ['', [{ 'Fn::Select': [4, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Repo', 'Arn'] }] }] }, '.dkr.ecr.eu-west-1.amazonaws.com/web:latest']] },
                },
              ],
            },
          },
        },
      },
      null,
      2,
    ),
  });
  const { task, container } = onlyContainer(model.infra);
  assert.equal(task.format, 'cloudformation');
  assert.equal(task.file, 'infra/cdk.out/Stack.template.json');
  assert.equal(container.imageRef?.tag, 'latest');
});

test('CDK source: constructs, addContainer, chained calls and CDK defaults', async () => {
  const model = await modelOf({
    'infra/package.json': '{ "name": "infra", "dependencies": { "aws-cdk-lib": "2.150.0" } }\n',
    'infra/lib/stack.ts': `import * as cdk from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';

const PORT = 8080;
const COMMON_ENV = { NODE_ENV: 'production', LOG_LEVEL: 'info' };

export class Stack extends cdk.Stack {
  constructor(scope: cdk.App, id: string, props: { env: Record<string, string> }) {
    super(scope, id);
    const task = new ecs.FargateTaskDefinition(this, 'Task');
    const web = task.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('nginx:1.27'),
      environment: { ...props.env, MODE: 'web' },
      stopTimeout: cdk.Duration.minutes(2),
    });
    web.addPortMappings({ containerPort: PORT });
    new ecs.ContainerDefinition(this, 'Sidecar', { taskDefinition: task, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0'), essential: false });

    new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Api', {
      cpu: 512,
      memoryLimitMiB: 1024,
      taskImageOptions: {
        image: ecs.ContainerImage.fromAsset('../api', { platform: Platform.LINUX_ARM64 }),
        containerPort: 3000,
        environment: { ...COMMON_ENV, PORT: '3000' },
      },
      circuitBreaker: { rollback: true },
    });
  }
}
`,
  });
  const infra = model.infra;
  assert.equal(infra.taskDefinitions.length, 2);
  const task = infra.taskDefinitions[0];
  assert.deepEqual(task.containers.map((c) => known(c.name)), ['web', 'Sidecar'], 'addContainer and new ContainerDefinition');
  assert.deepEqual([known(task.cpu), known(task.memory), task.fargate], [256, 512, true], 'CDK Fargate defaults');
  const web = task.containers[0];
  assert.equal(known(web.name), 'web');
  assert.equal(web.environmentComplete, false, 'a spread makes the environment unknown');
  assert.equal(known(web.stopTimeoutSeconds), 120);
  assert.deepEqual(web.portMappings.map((p) => [known(p.containerPort), p.loc.line]), [[8080, 17]]);

  const pattern = infra.taskDefinitions[1];
  assert.deepEqual([known(pattern.cpu), known(pattern.memory)], [512, 1024]);
  const api = pattern.containers[0];
  assert.equal(known(api.name), 'web', 'the pattern names its container "web"');
  assert.deepEqual([api.environment.map((e) => e.name), api.environmentComplete], [['NODE_ENV', 'LOG_LEVEL', 'PORT'], true], 'a spread of a const object is known');
  assert.equal(api.imageRef?.assetDir, 'api');
  assert.equal(api.imageRef?.assetPlatform, 'Platform.LINUX_ARM64');
  assert.equal(known(api.logConfiguration?.logDriver), 'awslogs', 'the pattern logs to CloudWatch by default');
  const service = infra.ecsServices.find((s) => s.taskDefinition === pattern)!;
  assert.equal(known(service.circuitBreaker?.rollback), true);
  assert.equal(known(service.circuitBreaker?.enable), true);
  const listener = infra.listeners.find((l) => l.loadBalancer && infra.loadBalancers.includes(l.loadBalancer))!;
  assert.deepEqual([known(listener.port), known(listener.protocol)], [80, 'HTTP'], 'no certificate: an HTTP listener on 80');
});

test('CDK source: queue-processing workers, scheduled tasks and network load-balanced services', async () => {
  const model = await modelOf({
    'infra/package.json': '{ "name": "infra", "dependencies": { "aws-cdk-lib": "2.150.0" } }\n',
    'infra/lib/workers.ts': `import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';

export function workers(scope: any, cluster: ecs.ICluster, queue: any) {
  new ecsPatterns.QueueProcessingFargateService(scope, 'Orders', {
    cluster,
    queue,
    image: ecs.ContainerImage.fromAsset('../worker'),
    environment: { NODE_ENV: 'production' },
  });
  new ecsPatterns.ScheduledFargateTask(scope, 'Nightly', {
    cluster,
    scheduledFargateTaskImageOptions: { image: ecs.ContainerImage.fromRegistry('acme/report:2.1.0'), memoryLimitMiB: 512 },
  });
  new ecsPatterns.NetworkLoadBalancedFargateService(scope, 'Tcp', {
    cluster,
    taskImageOptions: { image: ecs.ContainerImage.fromRegistry('acme/tcp:1.0.0'), containerPort: 7000 },
  });
}
`,
  });
  const infra = model.infra;
  const names = infra.taskDefinitions.map((t) => t.containers.map((c) => known(c.name)).join(','));
  assert.deepEqual(names, ['QueueProcessingContainer', 'ScheduledContainer', 'web']);
  const worker = infra.taskDefinitions[0].containers[0];
  assert.deepEqual(worker.environment.map((e) => e.name), ['NODE_ENV']);
  assert.equal(known(worker.logConfiguration?.logDriver), 'awslogs');
  assert.equal(infra.ecsServices.length, 2, 'the worker service and the NLB service; a scheduled task has none');
  assert.equal(infra.ecsServices[0].loadBalancers.length, 0);
  const nlb = infra.loadBalancers.find((l) => known(l.type) === 'network');
  assert.ok(nlb, 'the network load balancer');
  assert.equal(known(nlb.listeners[0].protocol), 'TCP');
});

test('Terraform: the terraform-aws-modules/ecs service module is read like a task definition and a service', async () => {
  const model = await modelOf({
    'infra/service.tf': `module "ecs_service" {
  source  = "terraform-aws-modules/ecs/aws//modules/service"
  version = "~> 5.11"

  name        = "shop-api"
  cluster_arn = module.ecs_cluster.arn
  cpu         = 512
  memory      = 1024

  container_definitions = {
    api = {
      image     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:latest"
      essential = true
      port_mappings = [
        { name = "http", containerPort = 3000, protocol = "tcp" }
      ]
      environment = [
        { name = "NODE_ENV", value = "production" },
      ]
      health_check = {
        command = ["CMD-SHELL", "wget -qO- http://127.0.0.1:3000/health || exit 1"]
      }
      stop_timeout = 30
    }
  }

  load_balancer = {
    service = {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = "api"
      container_port   = 3000
    }
  }

  subnet_ids = var.private_subnets
}
`,
  });
  const { task, container } = onlyContainer(model.infra);
  assert.equal(task.resourceName, 'module.ecs_service');
  assert.deepEqual([known(task.cpu), known(task.memory), task.fargate], [512, 1024, true]);
  assert.equal(known(container.name), 'api');
  assert.equal(container.loc.line, 11);
  assert.deepEqual(container.portMappings.map((p) => known(p.containerPort)), [3000]);
  assert.deepEqual(container.environment.map((e) => e.name), ['NODE_ENV']);
  assert.equal(known(container.stopTimeoutSeconds), 30);
  assert.equal(container.imageRef?.tag, 'latest');
  assert.equal(known(container.logConfiguration?.logDriver), 'awslogs', 'the submodule logs to CloudWatch by default');
  assert.ok(container.healthCheck);
  const service = model.infra.ecsServices[0];
  assert.equal(service.taskDefinition, task);
  assert.equal(service.circuitBreakerUnresolved, true, 'the module default is not guessed');
  assert.deepEqual(service.loadBalancers.map((l) => [l.targetGroupRef, known(l.containerPort)]), [['aws_lb_target_group.api', 3000]]);
});

test('CloudFormation: a template that does not parse is a problem at its line; other YAML with AWS words is left alone', async () => {
  const model = await modelOf({
    'stack.yaml': "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties: [oops\n",
    'k8s/ingress.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  note: "AWS::ECS notes"\n  Resources: [unclosed\n',
  });
  const problems = model.problems.filter((p) => p.kind === 'parse-error');
  assert.deepEqual(problems.map((p) => p.loc.file), ['stack.yaml']);
  assert.equal(model.infra.taskDefinitions.length, 0);
});

test('CDK source: services attached to target groups by targets, addTarget and attachToApplicationTargetGroup', async () => {
  const model = await modelOf({
    'infra/package.json': '{ "name": "infra", "dependencies": { "aws-cdk-lib": "2.150.0" } }\n',
    'infra/lib/stack.ts': `import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

export function wire(scope: any, cluster: ecs.ICluster, vpc: any) {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'Task');
  taskDefinition.addContainer('api', { image: ecs.ContainerImage.fromRegistry('acme/api:1.0.0'), portMappings: [{ containerPort: 3000 }] });
  const a = new ecs.FargateService(scope, 'A', { cluster, taskDefinition });
  const b = new ecs.FargateService(scope, 'B', { cluster, taskDefinition });
  const c = new ecs.FargateService(scope, 'C', { cluster, taskDefinition });
  new elbv2.ApplicationTargetGroup(scope, 'TgA', { vpc, port: 3000, targets: [a], healthCheck: { path: '/ready' } });
  const tgB = new elbv2.ApplicationTargetGroup(scope, 'TgB', { vpc, port: 3000 });
  tgB.addTarget(b.loadBalancerTarget({ containerName: 'api', containerPort: 3000 }));
  const tgC = new elbv2.ApplicationTargetGroup(scope, 'TgC', { vpc, port: 3000 });
  c.attachToApplicationTargetGroup(tgC);
}
`,
  });
  const byName = new Map(model.infra.ecsServices.map((s) => [s.resourceName, s.targetGroups.map((t) => t.resourceName)]));
  assert.deepEqual(Object.fromEntries(byName), { A: ['TgA'], B: ['TgB'], C: ['TgC'] });
  assert.equal(known(model.infra.targetGroups[0].healthCheck?.path), '/ready');
});
