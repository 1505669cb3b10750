import { posix } from 'node:path';
import type { DeploymentModel } from '../model/index.js';
import { contextCopies, contextPath, dockerignoreFor, finalStage, isGlob, type CopyInstruction, type Dockerfile, type Stage } from '../model/docker.js';
import type { Loc } from '../model/location.js';
import type { Service } from '../model/source.js';
import { literalValue } from '../model/workflow.js';

/**
 * Production scope: which files, images and services of the repository can reach ECS, computed
 * once and shared by every rule. A rule that judges production asks here instead of deciding alone,
 * so a devcontainer, an example, a test image or a base image is left out the same way everywhere.
 *
 * What is shipped wins over what a path looks like: a Dockerfile a workflow builds and pushes, or a
 * task definition runs, is production wherever it lives.
 */

/** Why a path is outside production; each entry is the folder name and what such a folder holds. */
const NON_PRODUCTION_FOLDERS: Record<string, string> = {
  '.devcontainer': 'a development container',
  '.github': 'CI configuration',
  '.circleci': 'CI configuration',
  examples: 'examples',
  example: 'examples',
  templates: 'templates copied out of the repository',
  template: 'templates copied out of the repository',
  starters: 'starter projects copied out of the repository',
  samples: 'samples',
  sample: 'samples',
  demo: 'a demo',
  demos: 'demos',
  playground: 'a playground',
  playgrounds: 'playgrounds',
  sandbox: 'a sandbox',
  test: 'tests',
  tests: 'tests',
  __tests__: 'tests',
  e2e: 'end-to-end tests',
  'e2e-tests': 'end-to-end tests',
  'integration-tests': 'integration tests',
  cypress: 'end-to-end tests',
  playwright: 'end-to-end tests',
  fixtures: 'test fixtures',
  __fixtures__: 'test fixtures',
  __mocks__: 'test mocks',
  testdata: 'test data',
  'test-utils': 'test helpers',
  benchmarks: 'benchmarks',
  benchmark: 'benchmarks',
  bench: 'benchmarks',
  docs: 'documentation',
  'docs-site': 'documentation',
  storybook: 'a component workbench',
  '.storybook': 'a component workbench',
  stories: 'a component workbench',
};

/** Why a repository path is not production code or configuration; undefined when it may be. */
export function nonProductionPath(path: string): string | undefined {
  const segments = path.split('/');
  for (const segment of segments.slice(0, -1)) {
    const what = NON_PRODUCTION_FOLDERS[segment];
    if (what) return `${segment}/ holds ${what}`;
  }
  return undefined;
}

/** Dockerfiles for local development or tests, by name: Dockerfile.dev, dev.Dockerfile, Dockerfile.test, .gitpod.dockerfile. */
const DEVELOPMENT_NAME = /(^|[.\-_])(dev|development|local|test|tests|e2e|debug|integration|ci|gitpod)([.\-_]|$)/i;

/** Dockerfiles named as base or builder images (Dockerfile.base, base.Dockerfile, Dockerfile.builder). */
const BASE_NAME = /(^|[.\-_])(base|builder|build-env|toolchain)([.\-_]|$)/i;

export type DockerfileRole =
  /** Builds an image that runs a service of the repository. */
  | 'service'
  /** Local development: devcontainer, Dockerfile.dev, gitpod. */
  | 'development'
  /** Another image of the repository starts FROM it (or is built on it): a base or builder image. */
  | 'base'
  /** Under examples/, templates/, tests/… and shipped by nothing in the repository. */
  | 'non-production'
  /** A database, proxy or other off-the-shelf server image (postgres, clickhouse, nginx …) with no service of ours in it. */
  | 'infrastructure';

export type RuntimeKind = 'node' | 'static' | 'other' | 'unknown';

export interface DockerfileScope {
  role: DockerfileRole;
  /** The image may run on ECS as one of this repository's services. */
  production: boolean;
  /** What the final stage runs: Node, a static file server (nginx, caddy), another language, or unknown. */
  runtime: RuntimeKind;
  /** For messages: why it has this role ("pushed by .github/workflows/deploy.yml:31", ".devcontainer/ holds a development container"). */
  reason: string;
  /** The workflow step that builds and pushes it, or the task definition container that runs it: proof that it ships. */
  shippedAt?: Loc;
}

/** Images of servers and databases that run as they are: a Dockerfile FROM one of them adds configuration, not our code. */
const INFRASTRUCTURE_IMAGE = /(^|\/)(postgres|postgis|mysql|mariadb|redis|valkey|mongo|mongodb|clickhouse-server|clickhouse|elasticsearch|opensearch|rabbitmq|memcached|minio|localstack|dynamodb-local|gotenberg|keycloak|grafana|prometheus|otel-collector|opentelemetry-collector|envoy|haproxy|traefik|kong|vault|consul|zookeeper|kafka|nats|temporal|typesense|meilisearch|qdrant|chromadb|mailhog|mailpit)$/i;

/** Static file servers: the final stage serves a built bundle, no Node process runs. */
const STATIC_SERVER_IMAGE = /(^|\/)(nginx|nginx-unprivileged|nginxinc\/nginx-unprivileged|caddy|httpd|apache|lighttpd|static-web-server)$/i;

/** Node-based images: the official ones and the common rebuilds of them. */
const NODE_IMAGE = /(^|\/)(node|nodejs|bun|deno|javascript-node|typescript-node|puppeteer|playwright)$|(^|\/)distroless\/nodejs\d*(-debian\d+)?$|chainguard\/node$|(^|\/)lambda\/nodejs$/i;

/** Images of other language runtimes. */
const OTHER_LANGUAGE_IMAGE = /(^|\/)(python|pypy|golang|go|openjdk|eclipse-temurin|amazoncorretto|maven|gradle|ruby|php|rust|dotnet\/.*|aspnet|sdk|perl|elixir|erlang|swift|haskell|clojure|julia|r-base|tomcat|jetty)$/i;

/** Programs that mean the stage runs Node (or a JavaScript runtime). */
const NODE_PROGRAM = /^(node|nodejs|npm|npx|pnpm|yarn|bun|bunx|deno|tsx|ts-node|nest|next|nuxt|remix|pm2|pm2-runtime|nodemon)$/;

/** Programs of static file servers, when the final stage starts one itself. */
const STATIC_PROGRAM = /^(nginx|caddy|httpd|lighttpd|static-web-server|http-server|serve)$/;

function stageImage(stage: Stage): string {
  return stage.rootImage.name;
}

/** The programs the final stage starts (ENTRYPOINT and CMD words), basenames. */
function startedPrograms(stage: Stage): string[] {
  const words = [...(stage.entrypoint?.argv ?? []), ...(stage.cmd?.argv ?? [])];
  const text = [stage.entrypoint?.text ?? '', stage.cmd?.text ?? ''].join(' ');
  const fromShell = text.split(/\s+|&&|;|\|/).filter(Boolean);
  return [...words, ...fromShell].map((w) => posix.basename(w.replace(/^["']|["']$/g, '')));
}

/** What the final stage runs, read from its base image, the packages it installs and its start command. */
export function runtimeOf(dockerfile: Dockerfile): RuntimeKind {
  const stage = finalStage(dockerfile);
  if (!stage) return 'unknown';
  const image = stageImage(stage);
  const programs = startedPrograms(stage);
  const installsNode = stage.osPackages.some((p) => /^(nodejs|nodejs-current|npm|yarn)(=|$)/.test(p.value)) || /nodesource|nvm install|n install|fnm install/.test(stage.runs.map((r) => r.command.text).join('\n'));
  // `npx serve dist`, `http-server ./build`: a Node program, but one that only serves files.
  if (programs.some((p) => STATIC_PROGRAM.test(p)) && !programs.some((p) => p === 'node' || p === 'nodejs')) return 'static';
  if (programs.some((p) => NODE_PROGRAM.test(p))) return 'node';
  if (!stage.rootImage.unresolved && NODE_IMAGE.test(image)) {
    // A Node image whose final stage only starts a static server (rare) is still judged by what it starts.
    if (programs.some((p) => STATIC_PROGRAM.test(p))) return 'static';
    return 'node';
  }
  if (installsNode) return 'node';
  if (programs.some((p) => STATIC_PROGRAM.test(p)) || (!stage.rootImage.unresolved && STATIC_SERVER_IMAGE.test(image))) return 'static';
  if (stage.rootImage.unresolved) return 'unknown';
  if (OTHER_LANGUAGE_IMAGE.test(image) || INFRASTRUCTURE_IMAGE.test(image)) return 'other';
  return 'unknown';
}

/** Image repository a tag or FROM names, without registry and tag: `ghcr.io/acme/api:1.2` → `acme/api`. */
export function imageRepository(ref: string): string | undefined {
  const noDigest = ref.replace(/@.*$/, '');
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  let repo = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const parts = repo.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) repo = parts.slice(1).join('/');
  repo = repo.replace(/^(docker\.io\/)?library\//, '');
  return repo && !/[${}\s]/.test(repo) ? repo.toLowerCase() : undefined;
}

interface ShipEvidence {
  loc: Loc;
  text: string;
}

/**
 * Production scope of the repository's Dockerfiles and services. Built once per audit by the
 * analysis layer; rules read it through `analysis.scope`.
 */
export class ProductionScope {
  private readonly dockerfileScopes = new Map<Dockerfile, DockerfileScope>();
  /** Image repositories each Dockerfile's builds are tagged with (workflows, compose `image:` next to `build:`). */
  private readonly builtAs = new Map<Dockerfile, Set<string>>();
  private readonly pushedBy = new Map<Dockerfile, ShipEvidence>();
  private readonly runByTask = new Map<Dockerfile, ShipEvidence>();

  constructor(private readonly model: DeploymentModel) {
    this.collectBuilds();
    for (const d of model.dockerfiles) this.dockerfileScopes.set(d, this.classify(d));
  }

  /** Why a repository path is not production (examples/, tests/, .devcontainer/ …); undefined when it may be. */
  nonProductionPath(path: string): string | undefined {
    return nonProductionPath(path);
  }

  dockerfile(dockerfile: Dockerfile): DockerfileScope {
    return this.dockerfileScopes.get(dockerfile) ?? this.classify(dockerfile);
  }

  /** Dockerfiles whose image may run on ECS as a service of the repository. */
  productionDockerfiles(): Dockerfile[] {
    return this.model.dockerfiles.filter((d) => this.dockerfile(d).production);
  }

  /** Production Dockerfiles whose final stage runs Node (or may: unknown runtime). */
  nodeDockerfiles(): Dockerfile[] {
    return this.productionDockerfiles().filter((d) => {
      const runtime = this.dockerfile(d).runtime;
      return runtime === 'node' || runtime === 'unknown';
    });
  }

  /**
   * Why a service of the repository is not a production container service; undefined when it is
   * (or may be). A service built by a production Dockerfile or run by a task definition is; one
   * under a non-production folder, or only built by non-production Dockerfiles, is not.
   */
  serviceOutside(service: Service): string | undefined {
    if (service.dockerfiles.some((d) => this.dockerfile(d).production)) return undefined;
    if (this.model.infra.taskDefinitions.some((t) => t.containers.some((c) => c.link?.service === service))) return undefined;
    const path = nonProductionPath(service.dir ? `${service.dir}/package.json` : 'package.json');
    if (path) return path;
    if (service.dockerfiles.length > 0) {
      const scopes = service.dockerfiles.map((d) => this.dockerfile(d));
      return `it is built only by ${service.dockerfiles.map((d, i) => `${d.path} (${scopes[i].reason})`).join(', ')}`;
    }
    return undefined;
  }

  /**
   * The production image that a repository file ends up in, through a copy from the build context
   * into the final stage (or a stage the final one is built FROM) that no .dockerignore excludes.
   * Builder stages are left out: their layers are not part of the pushed image.
   */
  copiedIntoImage(path: string): { dockerfile: Dockerfile; copy: CopyInstruction } | undefined {
    for (const dockerfile of this.productionDockerfiles()) {
      const chain: Stage[] = [];
      for (let stage = finalStage(dockerfile); stage; stage = stage.from.stageRef !== undefined ? dockerfile.stages[stage.from.stageRef] : undefined) {
        if (chain.includes(stage)) break;
        chain.push(stage);
      }
      for (const context of dockerfile.contexts) {
        const inContext = context.dir === '' ? path : path.startsWith(context.dir + '/') ? path.slice(context.dir.length + 1) : undefined;
        if (inContext === undefined) continue;
        if (dockerignoreFor(this.model, dockerfile, context.dir)?.ignores(inContext)) continue;
        for (const stage of chain) {
          for (const copy of contextCopies(stage)) {
            const covers = copy.sources.some((source) => {
              if (isGlob(source.value) && source.value !== '*' && source.value !== './*') return false;
              const from = source.value === '*' || source.value === './*' ? '.' : source.value;
              const p = contextPath(context.dir, from);
              return p !== undefined && (p === context.dir || p === path || path.startsWith(p + '/'));
            });
            if (covers) return { dockerfile, copy };
          }
        }
      }
    }
    return undefined;
  }

  private collectBuilds(): void {
    const byPath = new Map(this.model.dockerfiles.map((d) => [d.path, d]));
    for (const workflow of this.model.workflows) {
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          for (const build of step.dockerBuilds) {
            const paths = build.targets.length ? build.targets.map((t) => t.dockerfilePath) : build.dockerfilePaths;
            for (const path of paths) {
              const dockerfile = byPath.get(path);
              if (!dockerfile) continue;
              const names = this.builtAs.get(dockerfile) ?? new Set<string>();
              for (const tag of build.tags) {
                for (const value of tag.value.split(/[\s,]+/).filter(Boolean)) {
                  const literal = literalValue(workflow, job, step, value) ?? value;
                  const repo = imageRepository(literal);
                  if (repo) names.add(repo);
                }
              }
              this.builtAs.set(dockerfile, names);
              if (build.push && !this.pushedBy.has(dockerfile)) this.pushedBy.set(dockerfile, { loc: build.loc, text: `pushed by ${build.loc.file}:${build.loc.line}` });
            }
          }
        }
      }
    }
    for (const file of this.model.compose) {
      for (const service of file.services) {
        const path = service.build?.dockerfilePath ?? (service.build?.contextDir !== undefined ? posix.join(service.build.contextDir, 'Dockerfile') : undefined);
        const dockerfile = path ? byPath.get(path) : undefined;
        const repo = service.image ? imageRepository(service.image.value) : undefined;
        if (dockerfile && repo) this.builtAs.set(dockerfile, new Set([...(this.builtAs.get(dockerfile) ?? []), repo]));
      }
    }
    for (const task of this.model.infra.taskDefinitions) {
      for (const container of task.containers) {
        const service = container.link?.via === 'dockerfile' ? container.link.service : undefined;
        for (const dockerfile of service?.dockerfiles ?? []) {
          if (!this.runByTask.has(dockerfile)) this.runByTask.set(dockerfile, { loc: container.loc, text: `run by the task definition at ${container.loc.file}:${container.loc.line}` });
        }
      }
    }
  }

  /** The Dockerfiles of the repository whose FROM (ARG defaults resolved) names an image this one is built as. */
  private builtOnBy(dockerfile: Dockerfile): Dockerfile | undefined {
    const names = this.builtAs.get(dockerfile);
    if (!names || names.size === 0) return undefined;
    for (const other of this.model.dockerfiles) {
      if (other === dockerfile) continue;
      for (const stage of other.stages) {
        if (stage.from.stageRef !== undefined) continue;
        const candidates = [stage.from.raw, ...other.globalArgs.map((a) => a.value)];
        if (candidates.some((c) => {
          const repo = imageRepository(c);
          return repo !== undefined && [...names].some((n) => n === repo || n.endsWith(`/${repo}`) || repo.endsWith(`/${n}`));
        })) return other;
      }
    }
    return undefined;
  }

  private classify(dockerfile: Dockerfile): DockerfileScope {
    const runtime = runtimeOf(dockerfile);
    const stage = finalStage(dockerfile);
    const shipped = this.runByTask.get(dockerfile) ?? this.pushedBy.get(dockerfile);
    const base = this.builtOnBy(dockerfile);
    if (base) return { role: 'base', production: false, runtime, reason: `${base.path} is built on the image it makes` };
    const name = posix.basename(dockerfile.path).replace(/dockerfile/i, '');
    const noCommand = stage !== undefined && !stage.cmd && !stage.entrypoint;
    if (BASE_NAME.test(name) && noCommand) return { role: 'base', production: false, runtime, reason: `its name says base or builder image and its final stage starts nothing` };
    const infrastructure = stage && !stage.rootImage.unresolved && INFRASTRUCTURE_IMAGE.test(stageImage(stage)) && runtime !== 'node';
    if (infrastructure) return { role: 'infrastructure', production: false, runtime, reason: `its final stage is ${stage.rootImage.raw}, an off-the-shelf server` };
    if (shipped) return { role: 'service', production: true, runtime, reason: shipped.text, shippedAt: shipped.loc };
    if (dockerfile.path.split('/').includes('.devcontainer')) return { role: 'development', production: false, runtime, reason: '.devcontainer/ holds a development container' };
    if (DEVELOPMENT_NAME.test(name) || /^\.gitpod/.test(posix.basename(dockerfile.path))) {
      // A development-named Dockerfile that a workflow builds is judged all the same (it may be what ships).
      if (!dockerfile.contexts.some((c) => c.via === 'workflow')) return { role: 'development', production: false, runtime, reason: `its name (${posix.basename(dockerfile.path)}) says development or tests` };
    }
    const builtByWorkflow = dockerfile.contexts.some((c) => c.via === 'workflow');
    const path = nonProductionPath(dockerfile.path);
    if (path && !builtByWorkflow) return { role: 'non-production', production: false, runtime, reason: path };
    // `packages/generator/src/server/static/Dockerfile`: a file a code generator writes into the projects it makes.
    if (dockerfile.path.split('/').slice(0, -1).includes('src') && !builtByWorkflow) {
      return { role: 'non-production', production: false, runtime, reason: 'it sits inside a source folder (a template that code writes out)' };
    }
    // When CI builds images, a Dockerfile that no workflow, compose file or script names is not one of them.
    if (!builtByWorkflow && this.ciBuildsImages && !this.namedSomewhere(dockerfile)) {
      return { role: 'non-production', production: false, runtime, reason: 'the repository\'s workflows build other Dockerfiles, and nothing (workflow, compose file, script) builds this one' };
    }
    return { role: 'service', production: true, runtime, reason: builtByWorkflow ? 'a workflow builds it' : 'nothing says it is not shipped' };
  }

  /** Some workflow of the repository builds a Dockerfile of it. */
  private get ciBuildsImages(): boolean {
    return this.model.dockerfiles.some((d) => d.contexts.some((c) => c.via === 'workflow'));
  }

  private referenceText?: string;

  /**
   * Whether something names this Dockerfile: a compose build, a workflow or package script, a shell
   * script, a Makefile or an Nx/bake configuration (scripts that pipe a generated context into
   * `docker build -` name the Dockerfile, not a context folder).
   */
  private namedSomewhere(dockerfile: Dockerfile): boolean {
    if (dockerfile.contexts.some((c) => c.via === 'compose')) return true;
    this.referenceText ??= [
      ...this.model.workflows.flatMap((w) => w.jobs.flatMap((j) => j.steps.flatMap((s) => [s.run?.value ?? '', ...[...s.with.values()].map((v) => v.value)]))),
      ...this.model.packages.flatMap((p) => [...p.scripts.values()].map((v) => v.value)),
      ...this.model.files.paths.filter((p) => /\.(sh|bash|mk|hcl)$|(^|\/)(Makefile|project\.json|docker-bake\.json)$/.test(p)).map((p) => this.model.files.read(p) ?? ''),
    ].join('\n');
    const text = this.referenceText;
    const base = posix.basename(dockerfile.path);
    if (text.includes(dockerfile.path) || (base !== 'Dockerfile' && text.includes(base))) return true;
    // `docker build apps/api`: the folder of a plain Dockerfile, on a line that builds.
    return dockerfile.dir !== '' && base === 'Dockerfile' && text.split('\n').some((line) => /docker|build|image/i.test(line) && line.includes(dockerfile.dir));
  }
}
