import { posix } from 'node:path';
import type { ComposeFile, ComposeService } from '../model/compose.js';
import type { DeploymentModel } from '../model/index.js';
import { contextCopies, contextPath, dockerignoreFor, finalStage, isGlob, type BaseImage, type CopyInstruction, type Dockerfile, type Stage } from '../model/docker.js';
import type { Loc, Located } from '../model/location.js';
import type { PackageJson } from '../model/packages.js';
import { effectiveArgv, scriptInvoked, splitShell, toolArgv } from '../model/shell.js';
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

/** Folders of local development setups: `docker/app/development/Dockerfile`, `docker/dev/Dockerfile`. */
const DEVELOPMENT_FOLDERS = new Set(['development', 'dev', 'local']);

/** Folders of images other images are built on: `base-images/Dockerfile`. */
const BASE_FOLDERS = new Set(['base-images', 'base-image', 'base']);

/** Compose profiles that keep a service only for backward compatibility. */
const RETIRED_PROFILE = /^(deprecated|legacy|old|obsolete)$/i;

/** Test runners: an image whose command runs one is a test container, not a service. */
const TEST_PROGRAM = /^(mocha|jest|vitest|ava|tap|jasmine|karma|cypress|playwright|cucumber-js|newman|k6)$/;

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

/** OS packages of other language runtimes: a final stage that installs one and no Node runs that language. */
const OTHER_LANGUAGE_PACKAGE = /^(python[23]?(\.\d+)?|py3?-pip|python3?-pip|openjdk[\w-]*|default-jre[\w-]*|ruby[\d.]*|golang[\w-]*|php[\d.]*|perl)(=|$)/;

/**
 * Why an image runs as a non-root user without a USER line, or undefined. Docker Hardened Images
 * (dhi.io) and Chainguard images default to a non-root user except their -dev variants, which keep
 * root for building; distroless `:nonroot` and `*-nonroot` tags say it in the tag.
 */
export function nonRootByDefault(image: Pick<BaseImage, 'raw' | 'name' | 'registry' | 'tag' | 'unresolved'>): string | undefined {
  const tag = image.tag ?? '';
  const dev = /(^|-)dev($|-)/.test(tag);
  if (/(^|-)nonroot$/.test(tag) || /(^|\/)[\w.-]*-nonroot$/.test(image.name)) return `the ${image.raw} image runs as its nonroot user`;
  if (!dev && image.registry === 'dhi.io') return `Docker Hardened Images (${image.raw}) run as a non-root user by default`;
  if (!dev && (image.registry === 'cgr.dev' || /^chainguard\//.test(image.name))) return `Chainguard images (${image.raw}) run as a non-root user by default`;
  if (/(^|\/)nginx-unprivileged$/.test(image.name)) return `${image.raw} runs nginx as an unprivileged user`;
  return undefined;
}

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

/**
 * The package whose scripts a Dockerfile's start command runs: the package of the Dockerfile's
 * folder or the nearest one above it (`apps/web/Dockerfile` → apps/web/package.json).
 */
function packageOfDockerfile(model: DeploymentModel, dockerfile: Dockerfile): PackageJson | undefined {
  const byDir = new Map(model.packages.map((p) => [p.dir, p]));
  for (let dir = dockerfile.dir; ; dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir)) {
    const pkg = byDir.get(dir);
    if (pkg || dir === '') return pkg;
  }
}

/**
 * The programs the package scripts of the start command run (`pnpm start:static:build` →
 * `http-server build …`), a few levels deep: what the container really starts.
 */
function scriptPrograms(model: DeploymentModel, dockerfile: Dockerfile, stage: Stage): string[] {
  const pkg = packageOfDockerfile(model, dockerfile);
  if (!pkg) return [];
  const programs: string[] = [];
  const visit = (argv: string[], depth: number) => {
    if (depth > 4) return;
    // npm-run-all: `run-s migrate serve` runs those scripts.
    if (/^(run-s|run-p|npm-run-all)$/.test(posix.basename(argv[0] ?? ''))) {
      for (const name of argv.slice(1).filter((w) => !w.startsWith('-'))) visit(['npm', 'run', name], depth + 1);
      return;
    }
    const script = scriptInvoked(argv);
    const body = script ? pkg.scripts.get(script.script)?.value : undefined;
    if (!body) return;
    for (const command of splitShell(body)) {
      // The program each command starts (`npx http-server` → http-server), not its arguments (`run-s migrate serve`).
      const words = toolArgv(command.argv);
      if (words[0]) programs.push(posix.basename(words[0]));
      visit(words, depth + 1);
    }
  };
  for (const spec of [stage.entrypoint, stage.cmd]) {
    if (!spec) continue;
    for (const command of spec.form === 'shell' ? splitShell(spec.text) : [{ argv: spec.argv }]) visit(command.argv, 0);
  }
  return programs;
}

/** What the final stage runs, read from its base image, the packages it installs and its start command. */
export function runtimeOf(dockerfile: Dockerfile, model?: DeploymentModel): RuntimeKind {
  const stage = finalStage(dockerfile);
  if (!stage) return 'unknown';
  const image = stageImage(stage);
  const scripted = model ? scriptPrograms(model, dockerfile, stage) : [];
  // `pnpm start:static:build` → `http-server build`: the script decides, the package manager only starts it.
  if (scripted.some((p) => STATIC_PROGRAM.test(p)) && !scripted.some((p) => p === 'node' || p === 'nodejs' || NODE_SERVER_PROGRAM.test(p))) return 'static';
  const programs = [...startedPrograms(stage), ...scripted];
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
  // alpine + `apk add python py-pip` + `sh tables.sh`: a Python (or other language) tool image.
  if (stage.osPackages.some((p) => OTHER_LANGUAGE_PACKAGE.test(p.value))) return 'other';
  return 'unknown';
}

/** Node frameworks' own servers: a script that runs one serves with Node even when it also mentions a static server. */
const NODE_SERVER_PROGRAM = /^(next|nuxt|nest|remix-serve|react-router-serve|pm2|pm2-runtime|ts-node|tsx)$/;

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
  /** The compose services that build each Dockerfile. */
  private readonly composeUses = new Map<Dockerfile, { file: ComposeFile; service: ComposeService }[]>();

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
        if (dockerfile) this.composeUses.set(dockerfile, [...(this.composeUses.get(dockerfile) ?? []), { file, service }]);
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
    const runtime = runtimeOf(dockerfile, this.model);
    const stage = finalStage(dockerfile);
    const shipped = this.runByTask.get(dockerfile) ?? this.pushedBy.get(dockerfile);
    const name = posix.basename(dockerfile.path).replace(/dockerfile/i, '');
    const folders = dockerfile.path.split('/').slice(0, -1);
    const noCommand = stage !== undefined && !stage.cmd && !stage.entrypoint;
    const base = this.builtOnBy(dockerfile);
    // An app image that is shipped with its own command stays a service even when another image extends it.
    if (base && !(shipped && !noCommand)) return { role: 'base', production: false, runtime, reason: `${base.path} is built on the image it makes` };
    if (BASE_NAME.test(name) && noCommand) return { role: 'base', production: false, runtime, reason: `its name says base or builder image and its final stage starts nothing` };
    // base-images/Dockerfile, FROM ${BASE_IMAGE}, no CMD: an image published for other images to start FROM.
    const baseFolder = folders.find((f) => BASE_FOLDERS.has(f));
    if (baseFolder && noCommand) return { role: 'base', production: false, runtime, reason: `${baseFolder}/ holds base images and its final stage starts nothing` };
    const infrastructure = stage && !stage.rootImage.unresolved && INFRASTRUCTURE_IMAGE.test(stageImage(stage)) && runtime !== 'node';
    if (infrastructure) return { role: 'infrastructure', production: false, runtime, reason: `its final stage is ${stage.rootImage.raw}, an off-the-shelf server` };
    if (shipped) return { role: 'service', production: true, runtime, reason: shipped.text, shippedAt: shipped.loc };
    // A workflow, or a build target CI runs (an Nx container target), builds it.
    const builtByWorkflow = dockerfile.contexts.some((c) => c.via === 'workflow' || c.via === 'script');
    if (folders.includes('.devcontainer')) return { role: 'development', production: false, runtime, reason: '.devcontainer/ holds a development container' };
    if (!builtByWorkflow) {
      // A development-named Dockerfile that a workflow builds is judged all the same (it may be what ships).
      if (DEVELOPMENT_NAME.test(name) || /^\.gitpod/.test(posix.basename(dockerfile.path))) return { role: 'development', production: false, runtime, reason: `its name (${posix.basename(dockerfile.path)}) says development or tests` };
      const devFolder = folders.find((f) => DEVELOPMENT_FOLDERS.has(f.toLowerCase()));
      if (devFolder) return { role: 'development', production: false, runtime, reason: `${devFolder}/ holds a local development setup` };
      const test = stage && this.testRunner(dockerfile, stage);
      if (test) return { role: 'non-production', production: false, runtime, reason: `its command runs the test runner ${test}` };
      const compose = this.composeOnlyReason(dockerfile);
      if (compose) return compose.development ? { role: 'development', production: false, runtime, reason: compose.reason } : { role: 'non-production', production: false, runtime, reason: compose.reason };
    }
    const path = nonProductionPath(dockerfile.path);
    if (path && !builtByWorkflow) return { role: 'non-production', production: false, runtime, reason: path };
    // `packages/generator/src/server/static/Dockerfile`: a file a code generator writes into the projects it makes.
    if (folders.includes('src') && !builtByWorkflow) {
      return { role: 'non-production', production: false, runtime, reason: 'it sits inside a source folder (a template that code writes out)' };
    }
    // When CI builds images, a Dockerfile that no workflow, compose file or script names is not one of them.
    if (!builtByWorkflow && this.ciBuildsImages && !this.namedSomewhere(dockerfile)) {
      return { role: 'non-production', production: false, runtime, reason: 'the repository\'s workflows build other Dockerfiles, and nothing (workflow, compose file, script) builds this one' };
    }
    const target = dockerfile.contexts.find((c) => c.via === 'script' && c.source)?.source;
    return { role: 'service', production: true, runtime, reason: target ? `the build target at ${target.file}:${target.line} builds it` : builtByWorkflow ? 'a workflow builds it' : 'nothing says it is not shipped' };
  }

  /** The test runner the final stage starts (`node ./node_modules/.bin/mocha`, `npm test`), if any. */
  private testRunner(dockerfile: Dockerfile, stage: Stage): string | undefined {
    const programs = [...startedPrograms(stage), ...scriptPrograms(this.model, dockerfile, stage)];
    const runner = programs.find((p) => TEST_PROGRAM.test(p));
    if (runner) return runner;
    for (const spec of [stage.entrypoint, stage.cmd]) {
      for (const command of spec ? (spec.form === 'shell' ? splitShell(spec.text) : [{ argv: spec.argv }]) : []) {
        const script = scriptInvoked(command.argv);
        if (script && /^test($|:)/.test(script.script)) return `"${effectiveArgv(command.argv).join(' ')}"`;
      }
    }
    return undefined;
  }

  /**
   * Why a Dockerfile built only by compose services is a local setup: every service that builds it
   * mounts the project's source over the image (the container runs the working tree, not the
   * image's code), or sits only in a retired profile (`profiles: ["deprecated"]`).
   */
  private composeOnlyReason(dockerfile: Dockerfile): { development: boolean; reason: string } | undefined {
    const uses = this.composeUses.get(dockerfile);
    if (!uses || uses.length === 0 || dockerfile.contexts.some((c) => c.via !== 'compose' && c.via !== 'dockerfile-folder')) return undefined;
    const mounted = uses.filter((u) => u.service.volumes.some((v) => v.sourceMount));
    if (mounted.length === uses.length) {
      const volume = mounted[0].service.volumes.find((v) => v.sourceMount)!;
      return { development: true, reason: `compose service "${mounted[0].service.name.value}" mounts the source over it (${volume.text} at ${volume.loc.file}:${volume.loc.line})` };
    }
    const retired = uses.map((u) => ({ u, profiles: this.profilesOf(u.file, u.service.name.value) }));
    if (retired.every((r) => r.profiles.length > 0 && r.profiles.every((p) => RETIRED_PROFILE.test(p)))) {
      const first = retired[0];
      return { development: false, reason: `only compose service "${first.u.service.name.value}" builds it, in profile "${first.profiles.join('", "')}" (${first.u.service.loc.file}:${first.u.service.loc.line})` };
    }
    return undefined;
  }

  /** `profiles:` of a compose service. */
  private profilesOf(file: ComposeFile, service: string): string[] {
    return file.services.find((s) => s.name.value === service)?.profiles ?? [];
  }

  /**
   * The repository's own Dockerfile whose image this one's final stage starts FROM
   * (`FROM documenso/documenso:${TAG}` when docker/Dockerfile is built as documenso/documenso).
   */
  parentDockerfile(dockerfile: Dockerfile): Dockerfile | undefined {
    const stage = finalStage(dockerfile);
    if (!stage) return undefined;
    const root = stage.rootImage;
    const repo = imageRepository(root.raw) ?? (root.unresolved ? undefined : imageRepository(`${root.registry ? `${root.registry}/` : ''}${root.name}`));
    if (!repo) return undefined;
    for (const [other, names] of this.builtAs) {
      if (other === dockerfile) continue;
      if ([...names].some((n) => n === repo || n.endsWith(`/${repo}`) || repo.endsWith(`/${n}`))) return other;
    }
    return undefined;
  }

  /**
   * The USER an image runs as when its own Dockerfile sets none: the default user of its base image
   * (Docker Hardened Images, Chainguard, distroless nonroot), or the USER of the repository's own
   * parent image, which a derived image inherits.
   */
  inheritedUser(dockerfile: Dockerfile): { text: string; loc: Loc; root: boolean } | undefined {
    const stage = finalStage(dockerfile);
    if (!stage) return undefined;
    const byImage = nonRootByDefault(stage.rootImage);
    if (byImage) return { text: byImage, loc: stage.rootImage.loc, root: false };
    const parent = this.parentDockerfile(dockerfile);
    const parentStage = parent ? finalStage(parent) : undefined;
    if (parent && parentStage?.user) {
      return { text: `USER ${parentStage.user.value} of its parent image, built by ${parent.path}`, loc: parentStage.user.loc, root: /^(root|0)(:.*)?$/.test(parentStage.user.value) };
    }
    if (parent && parentStage) {
      const fromParent = this.inheritedUser(parent);
      if (fromParent) return fromParent;
    }
    return undefined;
  }

  /**
   * Build arguments CI passes when it builds this Dockerfile: `build-args:` of a build-push action
   * (docker/build-push-action and its forks) and `--build-arg NAME=value` of a `docker build` that
   * names it. An ARG default (`ARG BASE_IMAGE=outline-base`) is only what a local build gets.
   */
  ciBuildArgs(dockerfile: Dockerfile): Map<string, Located<string>> {
    const cached = this.buildArgCache.get(dockerfile);
    if (cached) return cached;
    const args = new Map<string, Located<string>>();
    const names = (file: string | undefined, context: string | undefined): boolean => {
      const ctx = context === undefined ? '' : posix.normalize(context.replace(/^\.\/?/, '') || '.').replace(/^\.$/, '');
      const path = file === undefined ? posix.join(ctx || '.', 'Dockerfile') : posix.normalize(file.replace(/^\.\//, ''));
      return path === dockerfile.path || posix.normalize(posix.join(ctx || '.', file ?? 'Dockerfile')) === dockerfile.path;
    };
    for (const workflow of this.model.workflows) {
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          const action = step.uses?.value.split('@')[0] ?? '';
          if (/(^|\/)build-push-action$/.test(action) && names(step.with.get('file')?.value, step.with.get('context')?.value)) {
            const text = step.with.get('build-args');
            for (const line of (text?.value ?? '').split('\n')) {
              const eq = line.indexOf('=');
              if (eq > 0) args.set(line.slice(0, eq).trim(), { value: line.slice(eq + 1).trim(), loc: text!.loc });
            }
          }
          for (const command of step.commands) {
            const argv = effectiveArgv(command.argv);
            const build = argv[0] === 'docker' && (argv[1] === 'build' || (argv[1] === 'buildx' && argv[2] === 'build'));
            if (!build) continue;
            const file = argv.find((w, i) => argv[i - 1] === '-f' || argv[i - 1] === '--file') ?? argv.find((w) => w.startsWith('--file='))?.slice(7);
            if (!file || !names(file, undefined)) continue;
            argv.forEach((w, i) => {
              const value = argv[i - 1] === '--build-arg' ? w : w.startsWith('--build-arg=') ? w.slice(12) : undefined;
              const eq = value?.indexOf('=') ?? -1;
              if (value && eq > 0) args.set(value.slice(0, eq), { value: value.slice(eq + 1), loc: command.loc });
            });
          }
        }
      }
    }
    this.buildArgCache.set(dockerfile, args);
    return args;
  }

  private readonly buildArgCache = new Map<Dockerfile, Map<string, Located<string>>>();

  /**
   * Where a script pipes a generated build context into `docker build -` for this Dockerfile
   * (`pnpm-context -- apps/api/Dockerfile | docker buildx build … -`): the context is a tarball the
   * script assembles, not a folder of the repository, so COPY sources cannot be checked against the tree.
   */
  generatedContext(dockerfile: Dockerfile): Loc | undefined {
    if (this.generatedCache.has(dockerfile)) return this.generatedCache.get(dockerfile);
    let found: Loc | undefined;
    const check = (commands: { argv: string[]; next?: string }[], loc: Loc) => {
      commands.forEach((command, i) => {
        if (found || command.next !== '|' || !command.argv.some((w) => w === dockerfile.path || w === `./${dockerfile.path}`)) return;
        const consumer = effectiveArgv(commands[i + 1]?.argv ?? []);
        const builds = (consumer[0] === 'docker' || consumer[0] === 'podman') && (consumer[1] === 'build' || (consumer[1] === 'buildx' && consumer[2] === 'build'));
        if ((builds || (consumer[0] === 'depot' && consumer[1] === 'build')) && consumer.includes('-')) found = loc;
      });
    };
    for (const workflow of this.model.workflows) {
      for (const job of workflow.jobs) for (const step of job.steps) if (step.commands.length) check(step.commands.map((c) => ({ argv: c.argv, next: c.next })), step.commands[0].loc);
    }
    for (const pkg of this.model.packages) {
      for (const script of pkg.scripts.values()) if (script.value.includes('|')) check(splitShell(script.value), script.loc);
    }
    this.generatedCache.set(dockerfile, found);
    return found;
  }

  private readonly generatedCache = new Map<Dockerfile, Loc | undefined>();

  /** Some workflow of the repository builds a Dockerfile of it (itself, or through a build target it runs, such as an Nx container target). */
  private get ciBuildsImages(): boolean {
    return this.model.dockerfiles.some((d) => d.contexts.some((c) => c.via === 'workflow' || c.via === 'script'));
  }

  private referenceText?: string;

  /**
   * Whether something names this Dockerfile: a compose build, a workflow or package script, a shell
   * script, a Makefile or an Nx/bake configuration (scripts that pipe a generated context into
   * `docker build -` name the Dockerfile, not a context folder).
   */
  private namedSomewhere(dockerfile: Dockerfile): boolean {
    if (dockerfile.contexts.some((c) => c.via === 'compose' || c.via === 'script')) return true;
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
