import semver from 'semver';
import type { Analysis, RuntimeKind } from '../../analysis/index.js';
import { projectFor } from '../../discover/packages.js';
import { finalStage, type Dockerfile, type Stage } from '../../model/docker.js';
import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import {
  NODE_END_OF_LIFE,
  nodeEndOfLifePassed,
  nodeMajorOfImage,
  nodeMajorOfVersion,
  type NodeVersionFile,
  type PackageJson,
} from '../../model/packages.js';
import type { Workflow, WorkflowJob } from '../../model/workflow.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { isSampleOrTestDataPath } from './_paths.js';

/** A place that fixes which Node major runs: a version file, a CI setup-node step, a Dockerfile FROM. */
interface NodePin {
  major: number;
  /** As written: "20", "v20.11.1", "node:18-alpine". */
  text: string;
  loc: Loc;
}

interface VersionFilePin extends NodePin {
  file: NodeVersionFile;
  dir: string;
  /** How messages name it: ".nvmrc", "services/api/package.json volta.node". */
  label: string;
}

/** In one folder, the version file most tools read first wins: nvm reads only .nvmrc. */
const VERSION_FILE_PRIORITY: NodeVersionFile['kind'][] = ['nvmrc', 'node-version', 'tool-versions', 'volta'];

const NEWEST_KNOWN_MAJOR = Math.max(...Object.keys(NODE_END_OF_LIFE).map(Number));

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function isInside(dir: string, ancestor: string): boolean {
  return ancestor === '' || dir === ancestor || dir.startsWith(ancestor + '/');
}

/** Does a version text ("20", "20.x", "v20.11.1") fall in an engines range? Undefined when either cannot be read. */
function inRange(versionText: string, major: number, range: string): boolean | undefined {
  try {
    if (!semver.validRange(range)) return undefined;
    const exact = semver.valid(semver.clean(versionText.replace(/^v/i, '')) ?? '');
    return exact ? semver.satisfies(exact, range) : semver.intersects(range, `${major}.x`);
  } catch {
    return undefined;
  }
}

function minMajor(range: string): number | undefined {
  try {
    return semver.minVersion(range)?.major;
  } catch {
    return undefined;
  }
}

/** The majors an engines range admits, when they are all known to this table; undefined when it admits a newer one. */
function majorsAdmitted(range: string): number[] | undefined {
  if (!semver.validRange(range)) return undefined;
  const admitted: number[] = [];
  try {
    for (let major = 0; major <= NEWEST_KNOWN_MAJOR + 1; major++) {
      if (semver.intersects(range, `${major}.x`)) admitted.push(major);
    }
  } catch {
    return undefined;
  }
  return admitted.includes(NEWEST_KNOWN_MAJOR + 1) ? undefined : admitted;
}

function versionFilePins(model: DeploymentModel): VersionFilePin[] {
  const pins: VersionFilePin[] = [];
  for (const file of model.nodeVersionFiles) {
    if (isSampleOrTestDataPath(file.path)) continue;
    const major = nodeMajorOfVersion(file.version.value);
    const label = file.kind === 'volta' ? `${file.path} volta.node` : file.path;
    if (major !== undefined) pins.push({ major, text: file.version.value, loc: file.version.loc, file, dir: dirOf(file.path), label });
  }
  return pins.sort((a, b) => a.dir.localeCompare(b.dir) || VERSION_FILE_PRIORITY.indexOf(a.file.kind) - VERSION_FILE_PRIORITY.indexOf(b.file.kind));
}

/** The version file that applies in a folder: the nearest one in the folder or above it, by priority within a folder. */
function nearestVersionFile(pins: VersionFilePin[], dir: string): VersionFilePin | undefined {
  let best: VersionFilePin | undefined;
  // Pins are sorted by folder, then priority: the first pin of the deepest enclosing folder wins.
  for (const pin of pins) {
    if (isInside(dir, pin.dir) && (!best || pin.dir.length > best.dir.length)) best = pin;
  }
  return best;
}

/**
 * `actions/setup-node` steps with a fixed `node-version`. `${{ env.X }}` resolves to the `env:` value
 * (the pin is where that value is written). `${{ matrix.x }}` resolves to the job's literal matrix
 * list; those are test coverage, so they count as CI majors but are not pins judged on their own.
 */
interface CiPin extends NodePin {
  workflow: Workflow;
  job: WorkflowJob;
}

function ciNodeVersions(model: DeploymentModel): { pins: CiPin[]; matrixMajors: number[] } {
  const pins: CiPin[] = [];
  const matrixMajors: number[] = [];
  for (const workflow of model.workflows) {
    if (isSampleOrTestDataPath(workflow.path)) continue;
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        if (!step.uses?.value.startsWith('actions/setup-node')) continue;
        const version = step.with.get('node-version');
        if (!version) continue;
        const expression = /^\$\{\{\s*(matrix|env)\.([\w-]+)\s*\}\}$/.exec(version.value.trim());
        if (expression?.[1] === 'matrix') {
          for (const value of job.matrix?.get(expression[2]) ?? []) {
            const major = nodeMajorOfVersion(value.value);
            if (major !== undefined) matrixMajors.push(major);
          }
          continue;
        }
        if (expression?.[1] === 'env') {
          // `env:` of the step, then the job, then the workflow: the nearest definition wins, as in Actions.
          const defined = step.env?.get(expression[2]) ?? job.env?.get(expression[2]) ?? workflow.env?.get(expression[2]);
          const major = defined ? nodeMajorOfVersion(defined.value) : undefined;
          if (defined && major !== undefined) pins.push({ major, text: defined.value.trim(), loc: defined.loc, workflow, job });
          continue;
        }
        const major = nodeMajorOfVersion(version.value);
        if (major !== undefined) pins.push({ major, text: version.value.trim(), loc: version.loc, workflow, job });
      }
    }
  }
  return { pins, matrixMajors };
}

interface DockerNode {
  dockerfile: Dockerfile;
  path: string;
  /** The image may run on ECS (a service image, or a base image one is built on). */
  production: boolean;
  /** Why it does not, for messages ("its name (Dockerfile.dev) says development or tests"). */
  reason: string;
  /** What the final stage runs: Node, a static file server, another language, or unknown. */
  runtime: RuntimeKind;
  /** The Node image the final stage starts from (through FROM <stage> chains). */
  final?: NodePin;
  /**
   * Stages FROM an external Node image that run Node: the final stage's chain, and build stages
   * with RUN instructions. A stage that only copies files (to hand them to nginx) runs nothing.
   */
  stages: (NodePin & { index: number; inFinalChain: boolean })[];
  /** Stages whose output the final stage copies. */
  copiedByFinal: Set<number>;
}

function dockerNodeImages(model: DeploymentModel, analysis: Analysis): DockerNode[] {
  const out: DockerNode[] = [];
  for (const dockerfile of model.dockerfiles) {
    // Test inputs and demo projects are not what the repository deploys.
    if (isSampleOrTestDataPath(dockerfile.path)) continue;
    const scope = analysis.scope.dockerfile(dockerfile);
    // A generator's template, an unbuilt scaffold, an example, a database image: not an image of ours.
    if (scope.role === 'non-production' || scope.role === 'infrastructure') continue;
    const last = finalStage(dockerfile);
    const finalChain = new Set<number>();
    for (let stage = last; stage && !finalChain.has(stage.index); stage = stage.from.stageRef !== undefined ? dockerfile.stages[stage.from.stageRef] : undefined) finalChain.add(stage.index);
    const stages: DockerNode['stages'] = [];
    for (const stage of dockerfile.stages) {
      if (stage.from.stageRef !== undefined || stage.from.unresolved) continue;
      const major = nodeMajorOfImage(stage.from);
      const inFinalChain = finalChain.has(stage.index);
      const runsNode = inFinalChain || dockerfile.stages.some((s) => s.runs.length > 0 && (s === stage || stageRoot(dockerfile, s) === stage));
      if (major !== undefined && runsNode) stages.push({ major, text: stage.from.raw, loc: stage.from.loc, index: stage.index, inFinalChain });
    }
    if (stages.length === 0) continue;
    let final: NodePin | undefined;
    if (last && !last.rootImage.unresolved) {
      const major = nodeMajorOfImage(last.rootImage);
      if (major !== undefined) final = { major, text: last.rootImage.raw, loc: last.rootImage.loc };
    }
    const copiedByFinal = new Set<number>();
    for (const copy of last?.copies ?? []) if (copy.fromStage !== undefined) copiedByFinal.add(copy.fromStage);
    out.push({
      dockerfile,
      path: dockerfile.path,
      production: scope.production || scope.role === 'base',
      reason: scope.reason,
      runtime: scope.runtime,
      final,
      stages,
      copiedByFinal,
    });
  }
  return out;
}

/** The stage of the Dockerfile that starts from an external image and that `stage` is built on. */
function stageRoot(dockerfile: Dockerfile, stage: Stage): Stage {
  const seen = new Set<Stage>();
  let current = stage;
  while (current.from.stageRef !== undefined && !seen.has(current)) {
    seen.add(current);
    current = dockerfile.stages[current.from.stageRef];
  }
  return current;
}

/**
 * What a CI job exercises: the folders it installs or runs scripts in, and the Dockerfiles it
 * builds. Its Node version is compared with an image only when it tests or builds that image's code.
 */
function jobExercises(job: WorkflowJob): { folders: Set<string>; dockerfiles: Set<string> } {
  const folders = new Set<string>();
  const dockerfiles = new Set<string>();
  for (const step of job.steps) {
    if ((step.installs.length > 0 || step.scripts.length > 0) && step.cwd !== undefined) folders.add(step.cwd);
    for (const build of step.dockerBuilds) {
      for (const path of [...build.dockerfilePaths, ...build.targets.map((t) => t.dockerfilePath)]) dockerfiles.add(path);
    }
  }
  return { folders, dockerfiles };
}

/** Two folders hold the same code: the same project, or (outside any package) one inside the other. */
function sameCode(model: DeploymentModel, a: string, b: string): boolean {
  const pa = projectFor(model.projects, a);
  const pb = projectFor(model.projects, b);
  if (pa || pb) return pa === pb;
  return a === b || a === '' || b === '' || a.startsWith(b + '/') || b.startsWith(a + '/');
}

/** The job tests or builds the image's code: it builds the Dockerfile, or runs in the project of one of its build contexts. */
function jobTestsImage(model: DeploymentModel, exercised: { folders: Set<string>; dockerfiles: Set<string> }, image: DockerNode): boolean {
  if (exercised.dockerfiles.has(image.path)) return true;
  const dirs = [image.dockerfile.dir, ...image.dockerfile.contexts.map((c) => c.dir)];
  return [...exercised.folders].some((folder) => dirs.some((dir) => sameCode(model, folder, dir)));
}

function enginesRelated(pkg: PackageJson): RelatedLocation {
  return { ...pkg.engines.node!.loc, message: `${pkg.path}: engines.node "${pkg.engines.node!.value}"` };
}

function majorsList(majors: number[]): string {
  return [...new Set(majors)].sort((a, b) => a - b).join(', ');
}

export default defineRule({
  id: 'repo/node-version-drift',
  severity: 'medium',
  title: 'Node.js versions disagree or are past end of life',
  messages: {
    endOfLife: {
      message: '{{what}} runs Node {{major}}{{where}}, which reached end of life on {{date}}: no security fixes, and current releases of dependencies drop it',
      fix: 'move to a supported LTS major ({{supported}}; see https://nodejs.org/en/about/previous-releases) here and in every other place that names the version (.nvmrc, engines, CI setup-node, Dockerfile FROM)',
    },
    enginesEndOfLife: {
      message: 'engines.node "{{range}}" admits only Node versions past end of life ({{majors}}; the newest of them, {{newest}}, ended on {{date}})',
      fix: 'raise the range to supported LTS majors ({{supported}}), e.g. ">={{oldestSupported}}", once the code runs on them; keep .nvmrc, CI and Dockerfile FROM on the same major',
    },
    versionFileOutsideEngines: {
      message: '{{file}} says Node {{version}}, {{direction}} the engines.node range of {{packages}}: developers work on a Node the package does not declare support for',
      fix: 'make them agree: set {{file}} to a version inside {{range}}, or change engines.node to include Node {{major}}',
    },
    versionFilesDisagree: {
      message: '{{file}} says Node {{version}} but {{other}} in the same folder says {{otherVersion}}: nvm, fnm, volta and CI each pick one of them',
      fix: 'keep one version file (or make both name the same version)',
    },
    ciOutsideEngines: {
      message: 'CI sets up Node {{version}}, {{direction}} engines.node "{{range}}" of {{package}}: tests run on a Node the package does not declare support for',
      fix: 'set node-version to a version inside {{range}} (or use `node-version-file: {{versionFile}}` so CI follows one source)',
    },
    ciDrift: {
      message: 'CI sets up Node {{version}}, but {{others}}: {{consequence}}',
      fix: 'use one Node major everywhere: `node-version-file: {{versionFile}}` in setup-node, and the same major in Dockerfile FROM',
    },
    dockerDrift: {
      message: 'the image runs Node {{major}} (FROM {{image}}), but {{file}} says Node {{version}}: code developed and tested on one major runs on another in ECS',
      fix: 'use the same major in both: FROM node:{{version}}-<variant>, or update {{file}} to {{major}}',
    },
    stageDrift: {
      message: 'this build stage uses Node {{buildMajor}} (FROM {{image}}) but the final stage runs Node {{finalMajor}} and copies its output: native addons compiled for Node {{buildMajor}} fail to load on Node {{finalMajor}} (NODE_MODULE_VERSION mismatch)',
      fix: 'build and run on the same Node major: FROM node:{{finalMajor}}-<variant> in both stages',
    },
  },
  check(model, report, analysis) {
    const { today } = model;
    // Even majors become LTS; odd ones never do and are no target to move to.
    const supportedMajors = Object.keys(NODE_END_OF_LIFE).map(Number).filter((m) => m % 2 === 0 && !nodeEndOfLifePassed(m, today));
    const supported = supportedMajors.join(', ');
    const versionFiles = versionFilePins(model);
    const ci = ciNodeVersions(model);
    const docker = dockerNodeImages(model, analysis);

    // End of life: every place that names the major, as one finding per major (one upgrade moves
    // them all). What runs in production is medium; developer pins (.nvmrc, Volta), CI jobs,
    // development images and build-only stages are low: nothing in ECS runs them.
    const eol = (major: number, label: string) => ({ group: { key: `end-of-life:${major}`, label } });
    for (const pin of versionFiles) {
      const date = nodeEndOfLifePassed(pin.major, today);
      if (date) report('endOfLife', pin.loc, { what: `${pin.label} ("${pin.text}")`, major: pin.major, date, supported, where: ' (a developer pin: what ECS runs is decided by the image)' }, { severity: 'low', ...eol(pin.major, pin.label) });
    }
    for (const pin of ci.pins) {
      const date = nodeEndOfLifePassed(pin.major, today);
      if (date) report('endOfLife', pin.loc, { what: `CI (setup-node node-version "${pin.text}")`, major: pin.major, date, supported, where: ' (a CI job: what ECS runs is decided by the image)' }, { severity: 'low', ...eol(pin.major, `${pin.loc.file}:${pin.loc.line}`) });
    }
    for (const image of docker) {
      // One finding per Dockerfile and major: the other FROM lines of that major are named as related.
      const reported = new Set<number>();
      for (const stage of image.stages) {
        const date = nodeEndOfLifePassed(stage.major, today);
        if (!date || reported.has(stage.major)) continue;
        reported.add(stage.major);
        const others = image.stages.filter((o) => o !== stage && o.major === stage.major);
        // The shipped image holds this Node when its final stage is built on it (whatever it then starts).
        const runsInProduction = image.production && image.stages.some((o) => o.major === stage.major && o.inFinalChain);
        const where = runsInProduction
          ? ''
          : !image.production
            ? ` (not a production image: ${image.reason})`
            : ` (a build stage only: the image ${image.final ? `runs Node ${image.final.major}` : image.runtime === 'static' ? 'serves static files' : 'runs something else'})`;
        report(
          'endOfLife',
          stage.loc,
          { what: others.length ? `FROM ${stage.text} (and ${others.length} more FROM line${others.length > 1 ? 's' : ''} of this Dockerfile)` : `FROM ${stage.text}`, major: stage.major, date, supported, where },
          {
            related: others.map((o) => ({ ...o.loc, message: `FROM ${o.text}: also Node ${o.major}` })),
            ...(runsInProduction ? {} : { severity: 'low' as const }),
            ...eol(stage.major, image.path),
          },
        );
      }
    }
    const packages = model.packages.filter((pkg) => !isSampleOrTestDataPath(pkg.path));
    for (const pkg of packages) {
      const range = pkg.engines.node;
      if (!range) continue;
      const admitted = majorsAdmitted(range.value);
      if (!admitted || admitted.length === 0) continue;
      const newest = Math.max(...admitted);
      const date = nodeEndOfLifePassed(newest, today);
      if (date && admitted.every((m) => nodeEndOfLifePassed(m, today))) {
        report('enginesEndOfLife', range.loc, {
          range: range.value,
          majors: majorsList(admitted.filter((m) => m >= 4)),
          newest,
          date,
          supported,
          oldestSupported: supportedMajors[0] ?? NEWEST_KNOWN_MAJOR,
        }, eol(newest, `${pkg.path} engines`));
      }
    }

    // Two version files in one folder that disagree: the one read first is the reference.
    for (const pin of versionFiles) {
      const primary = versionFiles.find((o) => o.dir === pin.dir);
      if (!primary || primary === pin || primary.major === pin.major) continue;
      report('versionFilesDisagree', pin.loc, { file: pin.label, version: pin.text, other: primary.label, otherVersion: primary.text }, {
        related: [{ ...primary.loc, message: `${primary.label}: ${primary.text}` }],
      });
    }

    // Version files against the engines of the packages they apply to.
    for (const pin of versionFiles) {
      const outside = packages.filter((pkg) => {
        if (!pkg.engines.node || nearestVersionFile(versionFiles, pkg.dir) !== pin) return false;
        return inRange(pin.text, pin.major, pkg.engines.node.value) === false;
      });
      if (outside.length === 0) continue;
      const first = outside[0].engines.node!.value;
      const min = minMajor(first);
      report(
        'versionFileOutsideEngines',
        pin.loc,
        {
          file: pin.label,
          version: pin.text,
          major: pin.major,
          direction: min !== undefined && pin.major < min ? 'below' : 'outside',
          packages: outside.map((p) => `${p.path} ("${p.engines.node!.value}")`).slice(0, 3).join(', '),
          range: `"${first}"`,
        },
        { related: outside.slice(0, 5).map(enginesRelated), key: `engines:${pin.label}` },
      );
    }

    // CI against engines, version files and images: only a job that installs, tests or builds the
    // code in question says anything about it (an issue-labelling bot's Node is nobody's runtime).
    const rootPackage = packages.find((p) => p.dir === '');
    const rootVersionFile = nearestVersionFile(versionFiles, '');
    const ciMajors = new Set([...ci.pins.map((p) => p.major), ...ci.matrixMajors]);
    const finals = docker.filter((d) => d.final && d.production && (d.runtime === 'node' || d.runtime === 'unknown'));
    for (const pin of ci.pins) {
      const exercised = jobExercises(pin.job);
      const range = rootPackage?.engines.node;
      const testsRoot = [...exercised.folders].some((folder) => sameCode(model, folder, ''));
      if (range && testsRoot && inRange(pin.text, pin.major, range.value) === false) {
        const min = minMajor(range.value);
        report(
          'ciOutsideEngines',
          pin.loc,
          {
            version: pin.text,
            direction: min !== undefined && pin.major < min ? 'below' : 'outside',
            range: range.value,
            package: rootPackage.path,
            versionFile: rootVersionFile?.file.kind === 'volta' ? '.nvmrc' : rootVersionFile?.file.path ?? '.nvmrc',
          },
          { related: [enginesRelated(rootPackage)] },
        );
        continue;
      }
      const others: string[] = [];
      const related: RelatedLocation[] = [];
      // Other CI jobs may cover the other major: only a major that no CI job runs is drift.
      if (exercised.folders.size > 0 && rootVersionFile && rootVersionFile.major !== pin.major && !ciMajors.has(rootVersionFile.major)) {
        others.push(`${rootVersionFile.label} says ${rootVersionFile.text}`);
        related.push({ ...rootVersionFile.loc, message: `${rootVersionFile.label}: ${rootVersionFile.text}` });
      }
      // The images whose code this job tests or builds, and that no CI job runs on their major.
      const imagesTested = finals.filter((d) => jobTestsImage(model, exercised, d));
      const imagesDiffer = imagesTested.filter((d) => !ciMajors.has(d.final!.major));
      if (imagesDiffer.length > 0) {
        others.push(`the images it tests run Node ${majorsList(imagesDiffer.map((d) => d.final!.major))}`);
        for (const d of imagesDiffer.slice(0, 3)) related.push({ ...d.final!.loc, message: `FROM ${d.final!.text}` });
      }
      if (others.length > 0) {
        report(
          'ciDrift',
          pin.loc,
          {
            version: pin.text,
            others: others.join(', and '),
            versionFile: rootVersionFile?.file.kind === 'volta' ? '.nvmrc' : rootVersionFile?.file.path ?? '.nvmrc',
            consequence: imagesDiffer.length > 0
              ? 'tests pass on one Node major and production runs another'
              : 'CI tests on another Node major than developers run, so "works on my machine" and "green in CI" mean different things',
          },
          { related },
        );
      }
    }

    // Images against the version file of their folder, and build stages against the final stage.
    for (const image of docker) {
      const final = image.final;
      // Only an image that ships Node to production is held to the version the project declares.
      if (!final || !image.production) continue;
      const dockerfile = image.dockerfile;
      const pin = nearestVersionFile(versionFiles, dockerfile.dir) ?? nearestVersionFile(versionFiles, dockerfile.contexts[0]?.dir ?? dockerfile.dir);
      if (pin && pin.major !== final.major) {
        report(
          'dockerDrift',
          final.loc,
          { major: final.major, image: final.text, file: pin.label, version: pin.major },
          { related: [{ ...pin.loc, message: `${pin.label}: ${pin.text}` }] },
        );
      }
      for (const stage of image.stages) {
        if (stage.major === final.major || !image.copiedByFinal.has(stage.index)) continue;
        report(
          'stageDrift',
          stage.loc,
          { buildMajor: stage.major, finalMajor: final.major, image: stage.text },
          { related: [{ ...final.loc, message: `final stage: FROM ${final.text}` }] },
        );
      }
    }
  },
});
