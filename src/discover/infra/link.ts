import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import { isUnresolved, known, recordDeployment, type ContainerDefinition, type ContainerLink, type InfraFormat } from '../../model/infra.js';
import type { Service } from '../../model/source.js';
import type { Loc } from '../../model/location.js';

/**
 * Joins the pieces: services to their task definitions and target groups, listeners to their load
 * balancers, rules to their listeners (references are resolved within one Terraform module folder or
 * one CloudFormation template), then each container definition to the service of the repository it
 * runs.
 */
export function linkInfra(model: DeploymentModel): void {
  const infra = model.infra;
  const scope = (format: InfraFormat, file: string): string => (format === 'terraform' ? posix.dirname(file) : file);
  const key = (format: InfraFormat, file: string, ref: string): string => `${format}|${scope(format, file)}|${ref}`;

  const tasks = new Map(infra.taskDefinitions.filter((t) => t.format !== 'cdk').map((t) => [key(t.format, t.file, t.resourceName), t]));
  const tgs = new Map(infra.targetGroups.filter((t) => t.format !== 'cdk').map((t) => [key(t.format, t.file, t.resourceName), t]));
  const lbs = new Map(infra.loadBalancers.filter((t) => t.format !== 'cdk').map((t) => [key(t.format, t.file, t.resourceName), t]));
  const listeners = new Map(infra.listeners.filter((t) => t.format !== 'cdk').map((t) => [key(t.format, t.file, t.resourceName), t]));

  for (const service of infra.ecsServices) {
    if (service.format !== 'cdk' && service.taskDefinitionRef) {
      const v = service.taskDefinitionRef.value;
      if (isUnresolved(v) && v.ref) service.taskDefinition = tasks.get(key(service.format, service.file, v.ref));
      else if (typeof v === 'string') {
        // A family name (optionally `family:revision`) written literally.
        const family = v.split(':')[0];
        const byFamily = infra.taskDefinitions.filter((t) => known(t.family) === family);
        if (byFamily.length === 1) service.taskDefinition = byFamily[0];
      }
    }
    for (const lb of service.loadBalancers) {
      if (!lb.targetGroupRef || service.format === 'cdk') continue;
      const tg = tgs.get(key(service.format, service.file, lb.targetGroupRef));
      if (tg && !service.targetGroups.includes(tg)) service.targetGroups.push(tg);
    }
    if (service.taskDefinition && known(service.launchType)?.toUpperCase() === 'FARGATE') service.taskDefinition.fargate = true;
  }
  for (const listener of infra.listeners) {
    if (listener.format === 'cdk' || !listener.loadBalancerRef) continue;
    const lb = lbs.get(key(listener.format, listener.file, listener.loadBalancerRef));
    if (lb) {
      listener.loadBalancer = lb;
      lb.listeners.push(listener);
    }
  }
  for (const rule of infra.listenerRules) {
    if (rule.format === 'cdk' || !rule.listenerRef) continue;
    const listener = listeners.get(key(rule.format, rule.file, rule.listenerRef));
    if (listener) {
      rule.listener = listener;
      listener.rules.push(rule);
    }
  }

  linkContainers(model);
}

/** Images of common sidecars: never the service's own code. */
const SIDECAR_IMAGE = /(datadog|aws-otel-collector|otel\/|opentelemetry|envoy|fluent-bit|fluentbit|fluentd|aws-for-fluent-bit|xray|cloudwatch-agent|newrelic|nginx|haproxy|traefik|redis|postgres|mysql|mongo|memcached|rabbitmq|localstack|amazon\/aws-cli|busybox|alpine$|appmesh|aws-appmesh)/i;

function simpleName(s: string): string {
  return s.replace(/^@[^/]+\//, '').toLowerCase();
}

function serviceNames(service: Service): string[] {
  const names = new Set<string>();
  names.add(simpleName(service.name));
  if (service.dir) names.add(posix.basename(service.dir).toLowerCase());
  return [...names].filter(Boolean);
}

/** The services whose names match a name: exactly, or as a `-`/`_` separated part of it (`shop-api` ↔ `api`). */
function byName(services: Service[], name: string): Service[] {
  const n = name.toLowerCase();
  const exact = services.filter((s) => serviceNames(s).includes(n));
  if (exact.length > 0) return exact;
  const parts = n.split(/[-_/]/);
  const affix = services.filter((s) => serviceNames(s).some((sn) => n.startsWith(sn + '-') || n.endsWith('-' + sn) || parts.includes(sn)));
  return affix;
}

function linkContainers(model: DeploymentModel): void {
  const services = model.services;
  // Image repository names the workflows build, with the Dockerfile that builds them.
  const builtImages = new Map<string, { dockerfile: string; loc: string }>();
  for (const wf of model.workflows) {
    for (const job of wf.jobs) {
      for (const step of job.steps) {
        for (const build of step.dockerBuilds ?? []) {
          for (const tag of build.tags) {
            const repo = imageRepoName(tag.value);
            const dockerfile = build.dockerfilePaths[0] ?? (build.contextDirs[0] !== undefined ? posix.join(build.contextDirs[0], 'Dockerfile') : undefined);
            if (repo && dockerfile && !builtImages.has(repo)) builtImages.set(repo, { dockerfile, loc: `${tag.loc.file}:${tag.loc.line}` });
          }
        }
      }
    }
  }

  // amazon-ecs-render-task-definition steps: the image a workflow builds goes into a named container of a task definition file.
  const rendered = new Map<string, { dockerfile?: string; loc: Loc }>();
  for (const wf of model.workflows) {
    const workflowBuilds = wf.jobs.flatMap((j) => j.steps.flatMap((s) => s.dockerBuilds ?? []));
    for (const job of wf.jobs) {
      const jobBuilds = job.steps.flatMap((s) => s.dockerBuilds ?? []);
      for (const step of job.steps) {
        if (!step.uses?.value.startsWith('aws-actions/amazon-ecs-render-task-definition')) continue;
        const taskDefinition = step.with.get('task-definition')?.value;
        const containerName = step.with.get('container-name')?.value;
        if (!taskDefinition || !containerName || /\$\{\{/.test(taskDefinition + containerName)) continue;
        const builds = jobBuilds.length > 0 ? jobBuilds : workflowBuilds;
        const dockerfiles = [...new Set(builds.flatMap((b) => b.dockerfilePaths.length ? b.dockerfilePaths : b.contextDirs.map((d) => posix.join(d, 'Dockerfile'))))];
        // Action inputs are paths from the workspace root (working-directory applies to run: only).
        const file = posix.normalize(taskDefinition).replace(/^\.\//, '');
        rendered.set(`${file}|${containerName}`, { dockerfile: dockerfiles.length === 1 ? dockerfiles[0] : undefined, loc: step.uses.loc });
      }
    }
  }

  for (const task of model.infra.taskDefinitions) {
    for (const container of task.containers) {
      const render = rendered.get(`${task.file}|${known(container.name)}`);
      if (render) container.imageRenderedBy = render.loc;
    }
  }
  if (services.length === 0) return;

  const appContainers = model.infra.taskDefinitions.flatMap((task) => task.containers.filter((c) => !isSidecar(c)).map((container) => ({ task, container })));
  for (const { task, container } of appContainers) {
    const render = rendered.get(`${task.file}|${known(container.name)}`);
    const renderedService = render?.dockerfile ? serviceOfDockerfile(services, render.dockerfile) : undefined;
    container.link =
      render && renderedService
        ? { service: renderedService, via: 'dockerfile', evidence: `the deploy step at ${render.loc.file}:${render.loc.line}, which renders the image built from ${render.dockerfile} into this container` }
        : findLink(container, services, builtImages, model, appContainers.length);
    if (container.link) recordDeployment(container.link.service, task, container);
  }
}

function isSidecar(c: ContainerDefinition): boolean {
  const text = c.imageRef?.text ?? '';
  if (c.imageRef?.assetDir) return false;
  const repo = c.imageRef?.repository ?? '';
  return SIDECAR_IMAGE.test(repo) || (text !== '' && SIDECAR_IMAGE.test(text) && !text.includes('.dkr.ecr.'));
}

function imageRepoName(image: string): string | undefined {
  const noTag = image.replace(/@.*$/, '');
  const lastSlash = noTag.lastIndexOf('/');
  const colon = noTag.lastIndexOf(':');
  const repoPath = colon > lastSlash ? noTag.slice(0, colon) : noTag;
  const last = repoPath.split('/').pop();
  return last && !/[${}]/.test(last) ? last.toLowerCase() : undefined;
}

function serviceOfDockerfile(services: Service[], dockerfile: string): Service | undefined {
  const matches = services.filter((s) => s.dockerfiles.some((d) => d.path === dockerfile));
  return matches.length === 1 ? matches[0] : undefined;
}

function findLink(
  container: ContainerDefinition,
  services: Service[],
  builtImages: Map<string, { dockerfile: string; loc: string }>,
  model: DeploymentModel,
  appContainerCount: number,
): ContainerLink | undefined {
  const image = container.imageRef;
  // CDK ContainerImage.fromAsset(dir): the image is the Dockerfile in that folder.
  if (image?.assetDir !== undefined) {
    const dir = image.assetDir === '.' ? '' : image.assetDir;
    const dockerfile = posix.join(dir, 'Dockerfile');
    const service = serviceOfDockerfile(services, dockerfile) ?? (services.filter((s) => s.dir === dir).length === 1 ? services.find((s) => s.dir === dir) : undefined);
    if (service) return { service, via: 'dockerfile', evidence: `the CDK image asset (ContainerImage.fromAsset) built from ${model.files.has(dockerfile) ? dockerfile : `the folder ${dir || '.'}`}` };
  }
  // `${aws_ecr_repository.api.repository_url}:tag`, `${ApiRepo.RepositoryUri}:tag`: the repository defined in the repo.
  const ecr = image && !image.repository ? model.infra.ecrRepositories.find((r) => image.text.includes(`${r.resourceName}.repository_url`) || image.text.includes(`\${${r.resourceName}.RepositoryUri}`)) : undefined;
  const ecrName = ecr ? known(ecr.name) : undefined;
  const repo = image?.repository ? image.repository.split('/').pop()!.toLowerCase() : ecrName?.split('/').pop()!.toLowerCase();
  if (repo) {
    const built = builtImages.get(repo);
    if (built) {
      const service = serviceOfDockerfile(services, built.dockerfile);
      if (service) return { service, via: 'dockerfile', evidence: `image repository '${repo}', built from ${built.dockerfile} (${built.loc})` };
    }
    const named = byName(services, repo);
    if (named.length === 1) return { service: named[0], via: 'image-repository', evidence: `image repository name '${repo}'` };
  }
  const name = known(container.name);
  // A compose service with the container's name or image builds the same code: its build context says which service.
  for (const file of model.compose ?? []) {
    for (const cs of file.services ?? []) {
      const sameName = name !== undefined && cs.name.value.toLowerCase() === name.toLowerCase();
      const sameImage = repo !== undefined && cs.image !== undefined && imageRepoName(cs.image.value) === repo;
      if ((!sameName && !sameImage) || !cs.build) continue;
      const dockerfile = cs.build.dockerfilePath ?? (cs.build.contextDir !== undefined ? posix.join(cs.build.contextDir, 'Dockerfile') : undefined);
      const service =
        (dockerfile ? serviceOfDockerfile(services, dockerfile) : undefined) ??
        (cs.build.contextDir !== undefined && services.filter((s) => s.dir === cs.build!.contextDir).length === 1 ? services.find((s) => s.dir === cs.build!.contextDir) : undefined);
      if (service) {
        return { service, via: 'compose-service', evidence: `compose service '${cs.name.value}' (${cs.name.loc.file}:${cs.name.loc.line}), which builds ${dockerfile ?? cs.build.contextDir}, having the container's ${sameName ? 'name' : 'image'}` };
      }
    }
  }
  if (name) {
    const named = byName(services, name);
    if (named.length === 1) return { service: named[0], via: 'name', evidence: `container name '${name}'` };
  }
  // One service in the repository and one application container: they are the same thing, unless
  // the image is clearly someone else's (a public image that is not built here).
  // Only a service that is built into an image (it has a Dockerfile) can be what a task runs: a
  // repository whose one Node package is a frontend or a library deploys something else on ECS.
  const appServices = services.filter((s) => s.kind !== 'frontend' && (s.kind !== 'unknown' || s.entries.length > 0));
  const candidates = appServices.length > 0 ? appServices : services;
  if (candidates.length === 1 && appContainerCount === 1 && candidates[0].dockerfiles.length > 0) {
    // `grafana/grafana:10` style: an organisation's image on Docker Hub, not built from this repository.
    const publicImage = image !== undefined && image.registry === undefined && (image.repository ?? '').includes('/') && !image.text.includes('${') && !image.assetDir && !image.ecrRepositoryRef;
    if (!publicImage) return { service: candidates[0], via: 'only-service', evidence: `being the only application container, for the only service in the repository` };
  }
  return undefined;
}

