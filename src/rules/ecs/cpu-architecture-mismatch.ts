import type { DeploymentModel } from '../../model/index.js';
import type { Dockerfile, Stage } from '../../model/docker.js';
import { isUnresolved, known, type ContainerDefinition, type TaskDefinition } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import type { DockerBuildStep, Workflow, WorkflowJob } from '../../model/workflow.js';
import { splitShell } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';

type Arch = 'X86_64' | 'ARM64';

/** `linux/amd64` → X86_64, `linux/arm64` (`/v8`) → ARM64; undefined for expressions and other CPUs. */
function archOfPlatform(platform: string): Arch | undefined {
  const p = platform.trim().toLowerCase();
  if (/[${}]/.test(p)) return undefined;
  if (/(^|\/)(amd64|x86_64|x86-64)(\/|$)/.test(p)) return 'X86_64';
  if (/(^|\/)(arm64|aarch64)(\/|$)/.test(p)) return 'ARM64';
  return undefined;
}

/** The CPUs of a `platforms:` list; undefined when any entry is an expression or unknown. */
function archsOfPlatforms(text: string): Set<Arch> | undefined {
  const out = new Set<Arch>();
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const a = archOfPlatform(part);
    if (!a) return undefined;
    out.add(a);
  }
  return out.size > 0 ? out : undefined;
}

/**
 * The CPU of a GitHub Actions runner from its labels. GitHub-hosted `ubuntu-*` runners are x86_64
 * unless the label ends in `-arm`; `*-arm64`/`ARM64` labels (self-hosted, BuildJet, …) are arm64.
 * Anything else (an expression, a self-hosted runner without an architecture label) is unknown.
 */
function archOfRunner(runsOn: string): Arch | undefined {
  const labels = runsOn.toLowerCase().replace(/[[\]'"]/g, ' ').split(/[,\s]+/).filter(Boolean);
  if (labels.some((l) => l.includes('${{'))) return undefined;
  if (labels.some((l) => /(^|-)(arm|arm64|aarch64)$/.test(l))) return 'ARM64';
  if (labels.some((l) => /^(x64|amd64|x86_64)$/.test(l) || /-(x64|amd64)$/.test(l))) return 'X86_64';
  if (labels.length === 1 && /^ubuntu-(latest|\d\d\.\d\d)$/.test(labels[0])) return 'X86_64';
  return undefined;
}

const ARCH_NAME: Record<Arch, string> = { X86_64: 'X86_64 (linux/amd64)', ARM64: 'ARM64 (linux/arm64)' };

/** The task's CPU: runtimePlatform.cpuArchitecture, or X86_64 on Fargate when none is written. */
function taskArch(task: TaskDefinition): { arch: Arch; text: string; loc: Loc } | undefined {
  const written = task.runtimePlatform?.cpuArchitecture;
  if (written) {
    if (isUnresolved(written.value)) return undefined;
    const v = written.value.toUpperCase();
    const arch: Arch | undefined = v === 'ARM64' ? 'ARM64' : v === 'X86_64' ? 'X86_64' : undefined;
    return arch ? { arch, text: `the task runs ${ARCH_NAME[arch]} (cpuArchitecture in ${written.loc.file}:${written.loc.line})`, loc: written.loc } : undefined;
  }
  // EC2 tasks run on whatever instances the cluster has: only Fargate has a known default.
  if (!task.fargate) return undefined;
  return { arch: 'X86_64', text: `the task runs X86_64 (the Fargate default: no runtimePlatform.cpuArchitecture in ${task.file}:${task.loc.line})`, loc: task.runtimePlatform?.loc ?? task.loc };
}

/** A literal `FROM --platform=…` on the final stage (following `FROM <stage>` chains). */
function finalStagePlatform(dockerfile: Dockerfile): { arch: Arch; loc: Loc; text: string } | undefined {
  let stage: Stage | undefined = dockerfile.stages[dockerfile.stages.length - 1];
  for (let hops = 0; stage && hops < dockerfile.stages.length; hops++) {
    const p = stage.from.platform;
    if (p) {
      const arch = archOfPlatform(p.value);
      return arch ? { arch, loc: stage.from.loc, text: p.value } : undefined;
    }
    stage = stage.from.stageRef !== undefined ? dockerfile.stages[stage.from.stageRef] : undefined;
  }
  return undefined;
}

/** Last path segment of an image repository, lower-cased, without tag or digest. */
function repoName(image: string): string | undefined {
  const noTag = image.replace(/@.*$/, '');
  const slash = noTag.lastIndexOf('/');
  const colon = noTag.lastIndexOf(':');
  const last = (colon > slash ? noTag.slice(0, colon) : noTag).split('/').pop();
  return last && !/[${}]/.test(last) ? last.toLowerCase() : undefined;
}

/** The repository name of a container's image: literal, or the ECR repository defined in the repo that it interpolates. */
function containerRepo(model: DeploymentModel, container: ContainerDefinition): string | undefined {
  const image = container.imageRef;
  if (!image) return undefined;
  if (image.repository) return image.repository.split('/').pop()!.toLowerCase();
  const ecr = infraOf(model).ecrRepositories.find(
    (r) => image.text.includes(`${r.resourceName}.repository_url`) || image.text.includes(`\${${r.resourceName}.RepositoryUri}`) || (image.ecrRepositoryRef !== undefined && r.resourceName === image.ecrRepositoryRef),
  );
  const name = ecr ? known(ecr.name) : undefined;
  return name ? name.split('/').pop()!.toLowerCase() : undefined;
}

interface PushedBuild {
  build: DockerBuildStep;
  job: WorkflowJob;
  workflow: Workflow;
  via: string;
}

/** Workflow builds that push the image this container runs: by the render step that deploys it, or by repository name. */
function pushedBuilds(model: DeploymentModel, container: ContainerDefinition): PushedBuild[] {
  const out: PushedBuild[] = [];
  const repo = containerRepo(model, container);
  const rendered = container.imageRenderedBy;
  const serviceDockerfiles = new Set((container.link?.service.dockerfiles ?? []).map((d) => d.path));
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      const renderedHere = rendered !== undefined && job.steps.some((s) => s.uses && s.uses.loc.file === rendered.file && s.uses.loc.line === rendered.line);
      for (const step of job.steps) {
        for (const build of step.dockerBuilds ?? []) {
          if (!build.push) continue;
          const byRepo = repo !== undefined && build.tags.some((t) => repoName(t.value) === repo);
          // Tags often hide the repository behind matrix or env expressions; the Dockerfile built still names the service.
          const byDockerfile = build.targets.find((t) => serviceDockerfiles.has(t.dockerfilePath));
          if (byRepo) out.push({ build, job, workflow, via: `the step pushes image repository '${repo}'` });
          else if (byDockerfile) out.push({ build, job, workflow, via: `the step builds and pushes ${byDockerfile.dockerfilePath}, the Dockerfile of the service the container runs` });
          else if (renderedHere) out.push({ build, job, workflow, via: `the same job renders it into the task definition (${rendered.file}:${rendered.line})` });
        }
      }
    }
  }
  return out;
}

/** Runners of the workflow jobs that run `cdk deploy` (which builds the image assets on the runner). */
function cdkDeployRunners(model: DeploymentModel): { runsOn?: WorkflowJob['runsOn']; loc: Loc }[] {
  const out: { runsOn?: WorkflowJob['runsOn']; loc: Loc }[] = [];
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        const deploy = (step.commands ?? []).find((c) => {
          const i = c.argv.findIndex((w) => w === 'cdk' || w.endsWith('/cdk') || w === 'aws-cdk');
          return i >= 0 && c.argv.slice(i + 1).includes('deploy');
        });
        if (deploy) out.push({ runsOn: job.runsOn, loc: deploy.loc });
      }
    }
  }
  return out;
}

/** package.json scripts that build the image of this repository name with docker and push it. */
function scriptBuilds(model: DeploymentModel, repo: string | undefined): { name: string; loc: Loc; platform?: string }[] {
  const out: { name: string; loc: Loc; platform?: string }[] = [];
  if (!repo) return out;
  for (const pkg of model.packages) {
    const scripts = [...pkg.scripts.entries()];
    // The push may be in the same script or in another script of the package (`docker:push`).
    const pushes = scripts.some(([, text]) => splitShell(text.value).some((c) => c.argv[0] === 'docker' && (c.argv[1] === 'push' || c.argv.includes('--push'))));
    if (!pushes) continue;
    for (const [name, text] of scripts) {
      for (const c of splitShell(text.value)) {
        const a = c.argv;
        const build = a[0] === 'docker' && (a[1] === 'build' || (a[1] === 'buildx' && a[2] === 'build'));
        if (!build) continue;
        const tags = a.flatMap((w, i) => (w === '-t' || w === '--tag' ? [a[i + 1] ?? ''] : w.startsWith('--tag=') ? [w.slice(6)] : []));
        if (!tags.some((t) => repoName(t) === repo)) continue;
        const flag = a.findIndex((w) => w === '--platform' || w.startsWith('--platform='));
        const platform = flag < 0 ? undefined : a[flag].includes('=') ? a[flag].slice(a[flag].indexOf('=') + 1) : a[flag + 1];
        out.push({ name, loc: text.loc, platform });
      }
    }
  }
  return out;
}

function dockerfilesOf(model: DeploymentModel, paths: string[]): Dockerfile[] {
  return model.dockerfiles.filter((d) => paths.includes(d.path));
}

export default defineRule({
  id: 'ecs/cpu-architecture-mismatch',
  severity: 'critical',
  title: 'Image is built for another CPU than the task runs',
  messages: {
    workflowPlatform: {
      message: 'container \'{{container}}\': the image is built with platforms {{platforms}} ({{via}}), but {{task}}: the container stops at start with "exec format error"',
      fix: '{{fix}}',
    },
    runner: {
      message: 'container \'{{container}}\': the image is built on the {{runnerArch}} runner \'{{runsOn}}\' with no platforms/--platform ({{via}}), so the image is {{runnerArch}}, but {{task}}: the container stops at start with "exec format error"',
      fix: '{{fix}}',
    },
    dockerfilePlatform: {
      message: 'container \'{{container}}\': the final stage of {{dockerfile}} is pinned to FROM --platform={{platform}}, but {{task}}: the container stops at start with "exec format error"',
      fix: 'remove --platform from the final FROM (use --platform=$BUILDPLATFORM only in build stages), or make the task\'s runtimePlatform.cpuArchitecture match',
    },
    scriptPlatform: {
      message: 'container \'{{container}}\': package script \'{{script}}\' builds and pushes the image with --platform {{platform}}, but {{task}}: the container stops at start with "exec format error"',
      fix: 'build with --platform {{wantDocker}}, or change the task\'s runtimePlatform.cpuArchitecture',
    },
    scriptUnpinned: {
      message: 'container \'{{container}}\': package script \'{{script}}\' builds and pushes the image with no --platform, so the image gets the CPU of whatever machine runs the script (arm64 on Apple Silicon), while {{task}}: pushed from the wrong machine, the container stops at start with "exec format error"',
      fix: 'add --platform {{wantDocker}} to the docker build in the script (or build in CI on a runner of the task\'s CPU)',
    },
    cdkAssetPlatform: {
      message: 'container \'{{container}}\': the CDK image asset is built with platform {{platform}}, but {{task}}: the container stops at start with "exec format error"',
      fix: 'build the asset for the task\'s CPU (platform: Platform.{{wantPlatform}}) or change the task\'s runtimePlatform.cpuArchitecture',
    },
    cdkAssetUnpinned: {
      message: 'container \'{{container}}\': the CDK image asset (ContainerImage.fromAsset) has no platform, so it is built for the CPU of whatever machine runs cdk deploy (arm64 on Apple Silicon, amd64 on most CI runners), while {{task}}: from the wrong machine the container stops at start with "exec format error"',
      fix: 'pin the asset: ContainerImage.fromAsset(dir, { platform: Platform.{{wantPlatform}} }) (Platform from aws-cdk-lib/aws-ecr-assets)',
    },
  },
  check(model, report) {
    for (const task of infraOf(model).taskDefinitions) {
      const want = taskArch(task);
      if (!want) continue;
      const wantPlatform = want.arch === 'ARM64' ? 'LINUX_ARM64' : 'LINUX_AMD64';
      const wantDocker = want.arch === 'ARM64' ? 'linux/arm64' : 'linux/amd64';
      const taskRelated = related(want.loc, want.text);
      for (const container of task.containers) {
        const name = containerName(container);
        const key = `${task.file}:${task.resourceName}:${name}`;
        const image = container.imageRef;
        // CDK asset: built by cdk deploy, not by a workflow.
        if (image?.assetDir !== undefined) {
          const loc = container.image?.loc ?? container.loc;
          if (image.assetPlatform !== undefined) {
            const arch = archOfPlatform(image.assetPlatform.replace(/.*LINUX_/i, 'linux/'));
            if (arch && arch !== want.arch) report('cdkAssetPlatform', loc, { container: name, platform: image.assetPlatform, task: want.text, wantPlatform }, { related: [taskRelated], key });
            continue;
          }
          const pinned = dockerfilesOf(model, [`${image.assetDir ? image.assetDir + '/' : ''}Dockerfile`]).map(finalStagePlatform).find(Boolean);
          if (pinned) {
            if (pinned.arch !== want.arch) report('dockerfilePlatform', pinned.loc, { container: name, dockerfile: pinned.loc.file, platform: pinned.text, task: want.text }, { related: [taskRelated], key });
            continue;
          }
          // `cdk deploy` in a workflow builds the asset on that runner: its CPU is the image's.
          const deploys = cdkDeployRunners(model);
          const runnerArchs = deploys.map((d) => (d.runsOn ? archOfRunner(d.runsOn.value) : undefined));
          if (deploys.length > 0 && runnerArchs.every((a) => a !== undefined)) {
            const wrong = deploys.find((_d, i) => runnerArchs[i] !== want.arch);
            if (!wrong) continue;
            const runnerArch = archOfRunner(wrong.runsOn!.value)!;
            report(
              'runner',
              wrong.runsOn!.loc,
              {
                container: name,
                runnerArch: runnerArch === 'ARM64' ? 'arm64' : 'x86_64',
                runsOn: wrong.runsOn!.value,
                via: `cdk deploy at ${wrong.loc.file}:${wrong.loc.line} builds the CDK image asset of ${loc.file}:${loc.line}, which sets no platform`,
                task: want.text,
                fix: `pin the asset: ContainerImage.fromAsset(dir, { platform: Platform.${wantPlatform} }), or run cdk deploy on a ${want.arch === 'ARM64' ? 'arm64' : 'x86_64'} runner`,
              },
              { related: [taskRelated, related(loc, 'the image asset, built by cdk deploy')], key },
            );
            continue;
          }
          report('cdkAssetUnpinned', loc, { container: name, task: want.text, wantPlatform }, { related: [taskRelated], severity: 'high', key });
          continue;
        }
        const builds = pushedBuilds(model, container);
        // A final stage pinned with FROM --platform decides the CPU whatever machine builds it.
        const servicePinned = (container.link?.service.dockerfiles ?? []).map(finalStagePlatform).find(Boolean);
        if (builds.length === 0 && !servicePinned) {
          // No workflow pushes this image: a package script that builds and pushes it is how it ships.
          for (const script of scriptBuilds(model, containerRepo(model, container))) {
            if (script.platform !== undefined) {
              const archs = archsOfPlatforms(script.platform);
              if (archs && !archs.has(want.arch)) report('scriptPlatform', script.loc, { container: name, script: script.name, platform: script.platform, task: want.text, wantDocker }, { related: [taskRelated], key: `${key}:${script.loc.file}:${script.name}` });
              continue;
            }
            report('scriptUnpinned', script.loc, { container: name, script: script.name, task: want.text, wantDocker }, { related: [taskRelated], severity: 'high', key: `${key}:${script.loc.file}:${script.name}` });
          }
        }
        for (const { build, job, via } of builds) {
          const fix = `build for the task's CPU (platforms: ${wantDocker}, or --platform ${wantDocker}), or set the task's runtimePlatform.cpuArchitecture to the CPU the image is built for`;
          const buildKey = `${key}:${build.loc.file}:${build.loc.line}`;
          if (build.platforms) {
            const archs = archsOfPlatforms(build.platforms.value);
            if (archs && !archs.has(want.arch)) {
              report('workflowPlatform', build.platforms.loc, { container: name, platforms: build.platforms.value, via, task: want.text, fix }, { related: [taskRelated], key: buildKey });
            }
            continue;
          }
          const pinned = dockerfilesOf(model, build.dockerfilePaths).map(finalStagePlatform).find(Boolean);
          if (pinned) {
            if (pinned.arch !== want.arch) report('dockerfilePlatform', pinned.loc, { container: name, dockerfile: pinned.loc.file, platform: pinned.text, task: want.text }, { related: [taskRelated, related(build.loc, 'the workflow step that builds and pushes this image')], key: buildKey });
            continue;
          }
          const runsOn = job.runsOn;
          const runnerArch = runsOn ? archOfRunner(runsOn.value) : undefined;
          if (runsOn && runnerArch && runnerArch !== want.arch) {
            report(
              'runner',
              runsOn.loc,
              { container: name, runnerArch: runnerArch === 'ARM64' ? 'arm64' : 'x86_64', runsOn: runsOn.value, via, task: want.text, fix },
              { related: [taskRelated, related(build.loc, 'the build step, which sets no platform')], key: buildKey },
            );
          }
        }
      }
    }
  },
});
