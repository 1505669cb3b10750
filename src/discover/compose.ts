import { posix } from 'node:path';
import { isMap, isSeq } from 'yaml';
import type { ComposeFile, ComposeService, ComposeVolume } from '../model/compose.js';
import type { DeploymentModel } from '../model/index.js';
import type { Located } from '../model/location.js';
import { effectiveArgv } from '../model/shell.js';
import { normalize } from './files.js';
import { addBuildContext, YamlFile } from './workflows.js';

/** `docker-compose.yml`, `compose.yaml`, `docker-compose.prod.yml`, `compose.production.yaml`, … */
export function isComposeFileName(name: string): boolean {
  return /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/i.test(name) || /^[\w.-]+\.compose\.ya?ml$/i.test(name);
}

/** docker-compose files: services, build, volumes, restart, resources, health checks; sets the build context of the Dockerfiles they build. */
export function discoverCompose(model: DeploymentModel): void {
  const usedForDeploy = composeFilesDeployedByWorkflows(model);
  // Compose files by name, and whatever file a workflow deploys with `docker stack deploy -c` / `docker compose -f`.
  const candidates = model.files.paths.filter((p) => isComposeFileName(posix.basename(p)) || (usedForDeploy.has(p) && /\.ya?ml$/.test(p)));
  for (const path of candidates) {
    const text = model.files.read(path);
    if (text === undefined) continue;
    const y = new YamlFile(path, text);
    const error = y.firstError();
    if (error) {
      model.problems.push({ kind: 'parse-error', artifact: 'docker-compose', message: `${path} is not valid YAML: ${error.message}`, loc: error.loc });
      continue;
    }
    const servicesNode = y.get(y.root, 'services');
    if (!servicesNode || !isMap(servicesNode)) continue;
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const name = posix.basename(path);
    const file: ComposeFile = {
      path,
      services: [],
      production: /(^|[.-])prod(uction)?([.-]|$)/i.test(name) ? `its name (${name})` : usedForDeploy.get(path),
      loc: { file: path, line: 1 },
    };
    for (const e of y.entries(servicesNode)) file.services.push(readService(model, y, dir, e.key, e.keyNode, e.value));
    model.compose.push(file);
    for (const service of file.services) {
      const b = service.build;
      if (b?.dockerfilePath !== undefined && b.contextDir !== undefined) addBuildContext(model, b.dockerfilePath, b.contextDir, b.loc, 'compose');
    }
  }
}

function readService(model: DeploymentModel, y: YamlFile, dir: string, name: string, keyNode: unknown, node: unknown): ComposeService {
  const service: ComposeService = {
    name: { value: name, loc: y.locOf(keyNode) },
    image: y.located(node, 'image'),
    volumes: [],
    restart: y.located(node, 'restart'),
    environment: new Map(),
    envFiles: [],
    command: y.located(node, 'command'),
    profiles: y.list(y.get(node, 'profiles')).map((p) => p.value),
    loc: y.locOf(keyNode),
  };
  const build = y.entry(node, 'build');
  if (build) {
    const short = y.str(build.value);
    const context = short !== undefined ? { value: short, loc: y.locOf(build.keyNode) } : y.located(build.value, 'context') ?? { value: '.', loc: y.locOf(build.keyNode) };
    const dockerfile = short !== undefined ? undefined : y.located(build.value, 'dockerfile');
    const contextDir = isLocalPath(context.value) ? normalize(posix.join(dir || '.', context.value)) : undefined;
    const dockerfilePath =
      contextDir === undefined ? undefined : dockerfile ? (isLocalPath(dockerfile.value) ? normalize(posix.join(contextDir || '.', dockerfile.value)) : undefined) : normalize(posix.join(contextDir || '.', 'Dockerfile'));
    service.build = { context, contextDir, dockerfile, dockerfilePath, loc: y.locOf(build.keyNode) };
  }
  const deploy = y.get(node, 'deploy');
  const limits = y.entry(y.get(deploy, 'resources'), 'limits');
  if (limits) service.limits = { value: 'deploy.resources.limits', loc: y.locOf(limits.keyNode) };
  else service.limits = y.located(node, 'mem_limit') ?? y.located(node, 'cpus');
  if (!service.restart) {
    const policy = y.get(y.get(deploy, 'restart_policy'), 'condition');
    const e = y.entry(deploy, 'restart_policy');
    if (e) service.restart = { value: y.str(policy) ?? 'on-failure', loc: y.locOf(e.keyNode) };
  }
  const hc = y.entry(node, 'healthcheck');
  if (hc) {
    const disabled = y.str(y.get(hc.value, 'disable')) === 'true' || /^\s*\[?\s*"?NONE/.test(y.str(y.get(hc.value, 'test')) ?? '') || (() => {
      const test = y.get(hc.value, 'test');
      return !!test && isSeq(test) && y.str(test.items[0]) === 'NONE';
    })();
    service.healthcheck = { value: disabled ? 'disabled' : 'defined', loc: y.locOf(hc.keyNode) };
  }
  const env = y.get(node, 'environment');
  if (env && isSeq(env)) {
    for (const item of y.list(env)) {
      const eq = item.value.indexOf('=');
      service.environment.set(eq < 0 ? item.value : item.value.slice(0, eq), { value: eq < 0 ? '' : item.value.slice(eq + 1), loc: item.loc });
    }
  } else service.environment = y.scalarMap(env);
  const envFile = y.get(node, 'env_file');
  service.envFiles = envFile && isSeq(envFile) && envFile.items.some((i) => isMap(i)) ? envFile.items.map((i) => y.located(i, 'path')).filter((v): v is Located<string> => !!v) : y.list(envFile);
  const volumes = y.get(node, 'volumes');
  if (volumes && isSeq(volumes)) {
    for (const item of volumes.items) {
      const v = readVolume(model, y, dir, service, item);
      if (v) service.volumes.push(v);
    }
  }
  return service;
}

function readVolume(model: DeploymentModel, y: YamlFile, dir: string, service: ComposeService, item: unknown): ComposeVolume | undefined {
  const node = y.resolve(item);
  const loc = { file: y.path, line: y.locOf(node).line };
  let type: ComposeVolume['type'];
  let source: string | undefined;
  let target: string | undefined;
  let text: string;
  const short = y.str(node);
  if (short !== undefined) {
    text = short;
    // source:target[:mode]; a single path is an anonymous volume.
    const parts = short.split(':');
    if (parts.length === 1) {
      type = 'volume';
      target = parts[0];
    } else {
      source = parts[0];
      target = parts[1];
      type = /^[./~$]/.test(source) ? 'bind' : 'volume';
    }
  } else if (node && isMap(node)) {
    type = (y.str(y.get(node, 'type')) ?? 'volume') as ComposeVolume['type'];
    source = y.str(y.get(node, 'source'));
    target = y.str(y.get(node, 'target'));
    text = `${source ?? ''}:${target ?? ''}`;
  } else return undefined;
  let sourceMount = false;
  if (type === 'bind' && source && target && /^\.\.?(\/|$)/.test(source) && !/node_modules/.test(target)) {
    const host = normalize(posix.join(dir || '.', source));
    // Code, not a config file or a data folder: the mounted folder holds a package, sources, or is what the service builds.
    const holdsCode =
      host === '' ||
      (model.files.isDir(host) && model.files.under(host).some((p) => /(^|\/)(package\.json|tsconfig\.json)$|\.(ts|js|mjs|cjs|tsx|jsx)$/.test(p))) ||
      host === service.build?.contextDir;
    sourceMount = holdsCode;
  }
  return { text, type, source, target, sourceMount, loc };
}

/** Compose files that workflows deploy (`docker stack deploy -c`, `docker compose -f X up` in a deploy job). */
function composeFilesDeployedByWorkflows(model: DeploymentModel): Map<string, string> {
  const out = new Map<string, string>();
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      const deployJob = /deploy|prod|release/i.test(`${job.id.value} ${job.name?.value ?? ''} ${job.environment?.value ?? ''}`);
      for (const step of job.steps) {
        for (const command of step.commands) {
          const argv = effectiveArgv(command.argv);
          const isStack = argv[0] === 'docker' && argv[1] === 'stack' && argv[2] === 'deploy';
          const isCompose = (argv[0] === 'docker' && argv[1] === 'compose') || argv[0] === 'docker-compose';
          if (!isStack && !(isCompose && deployJob && argv.includes('up'))) continue;
          for (let i = 0; i < argv.length - 1; i++) {
            if (argv[i] !== '-f' && argv[i] !== '--file' && argv[i] !== '-c' && argv[i] !== '--compose-file') continue;
            const file = argv[i + 1];
            if (file.includes('$')) continue;
            const path = normalize(posix.join(step.cwd ?? '', file));
            if (!out.has(path)) out.set(path, `${workflow.path}:${command.loc.line} deploys it`);
          }
        }
      }
    }
  }
  return out;
}

function isLocalPath(value: string): boolean {
  return !value.includes('$') && !/^(https?:|git@|git:|ssh:)/.test(value) && !value.startsWith('/');
}
