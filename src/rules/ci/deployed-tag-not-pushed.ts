import type { DeploymentModel } from '../../model/index.js';
import { known } from '../../model/infra.js';
import type { Loc } from '../../model/location.js';
import type { StepCommand, Workflow, WorkflowJob, WorkflowStep } from '../../model/workflow.js';
import { effectiveArgv } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import { isFailureOnly, upstreamJobs, usesAction, workflowTouchesFile } from './_pipeline.js';

export default defineRule({
  id: 'ci/deployed-tag-not-pushed',
  severity: 'critical',
  title: 'Deployed image tag is never pushed by the workflow',
  messages: {
    notPushed: {
      message:
        '{{what}} deploys image "{{image}}"{{resolved}}, but this workflow run never pushes that tag to {{repository}}: it pushes {{pushed}}. Unless that tag was pushed by hand, ECS cannot pull it and the new tasks stop with CannotPullContainerError (manifest not found); if it exists, it is an older build, not this one',
      fix: 'deploy the tag the build pushes (the same expression, e.g. ${{ github.sha }}), or add "{{tag}}" to the tags the build pushes',
    },
  },
  check(model, report) {
    for (const workflow of model.workflows) {
      const r = new Resolver(workflow);
      const pushes = collectPushes(workflow, r);
      // Something may push in a way the audit cannot read (a script, bake, a manifest list, a reusable workflow): no proof.
      if (pushes === 'opaque' || pushes.length === 0) continue;
      const seen = new Set<string>();
      for (const deploy of collectDeploys(model, workflow, r)) {
        const id = `${deploy.loc.file}:${deploy.loc.line}:${deploy.ref}`;
        if (deploy.ref.includes(UNKNOWN) || seen.has(id)) continue;
        seen.add(id);
        const image = splitImage(deploy.ref);
        if (!image.tag || image.digest) continue;
        if (pushes.some((p) => mayMatch(p.ref, deploy.ref))) continue;
        // The proof: a push of the same repository in a job this deploy waits for (or its own job), with other tags.
        const linked = new Set([deploy.job, ...upstreamJobs(workflow, deploy.job)]);
        const sameRepository = pushes.filter((p) => linked.has(p.job) && !p.ref.includes(UNKNOWN) && splitImage(p.ref).repository === image.repository);
        if (sameRepository.length === 0) continue;
        const resolved = render(deploy.ref);
        report(
          'notPushed',
          deploy.loc,
          {
            what: deploy.what,
            image: deploy.text,
            resolved: resolved === deploy.text ? '' : ` (resolved: "${resolved}")`,
            repository: render(image.repository),
            pushed: sameRepository.map((p) => `"${render(p.ref)}" (job "${p.job.id.value}", ${p.loc.file}:${p.loc.line})`).join(', '),
            tag: render(image.tag),
          },
          { related: [...(deploy.related ? [deploy.related] : []), ...sameRepository.map((p) => ({ ...p.loc, message: `pushes "${render(p.ref)}"` }))] },
        );
      }
    }
  },
});

/** Marks a part of an image reference the audit cannot know (a shell computation, an action output, a matrix value). */
const UNKNOWN = '\u0000';

interface Ref {
  /** Canonical reference: expressions reduced to `${{ github.sha }}`-style tokens, unknown parts as UNKNOWN. */
  ref: string;
  text: string;
  loc: Loc;
  job: WorkflowJob;
}

interface Deploy extends Ref {
  what: string;
  related?: Loc & { message: string };
}

/** Values that are the same in every job of one workflow run. */
const STABLE_CONTEXT = /^(github\.(sha|run_number|run_id|run_attempt|ref_name|ref|repository|repository_owner|event_name|actor|workflow)|secrets\.[\w-]+|vars\.[\w-]+|inputs\.[\w-]+|github\.event\.inputs\.[\w-]+)$/;
const SHELL_CONTEXT: Record<string, string> = {
  GITHUB_SHA: 'github.sha',
  GITHUB_RUN_NUMBER: 'github.run_number',
  GITHUB_RUN_ID: 'github.run_id',
  GITHUB_REF_NAME: 'github.ref_name',
  GITHUB_REF: 'github.ref',
  GITHUB_REPOSITORY: 'github.repository',
  GITHUB_REPOSITORY_OWNER: 'github.repository_owner',
};
const ECR_HOST = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const ECR_REGISTRY = '<ECR registry>';

/** Resolves `${{ … }}` expressions and shell variables of a workflow to canonical text. */
class Resolver {
  /** Variables some step writes to $GITHUB_ENV: their value changes mid-run. */
  private readonly dynamicEnv = new Set<string>();
  constructor(readonly workflow: Workflow) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        if (step.run?.value.includes('GITHUB_ENV')) for (const m of step.run.value.matchAll(/([A-Za-z_]\w*)=/g)) this.dynamicEnv.add(m[1]);
      }
    }
  }

  /** Text of a workflow value (an action input, an env value, a job output): `${{ }}` expressions only. */
  expression(text: string, job: WorkflowJob, step: WorkflowStep | undefined, depth = 0): string {
    if (depth > 8) return UNKNOWN;
    return text.replace(/\$\{\{([^}]*)\}\}/g, (_, body: string) => this.context(body.replace(/\s+/g, ''), job, step, depth));
  }

  /** A word of a `run:` script: expressions, then shell variables. */
  shell(word: string, job: WorkflowJob, step: WorkflowStep, depth = 0): string {
    if (/\$\(|`/.test(word.replace(/\$\{\{[^}]*\}\}/g, ''))) return UNKNOWN;
    const expanded = this.expression(word, job, step, depth);
    return expanded.replace(/\$\{([A-Za-z_]\w*)([^}]*)\}|\$([A-Za-z_]\w*)|\$[0-9@*#?$!-]/g, (whole, braced?: string, modifier?: string, bare?: string) => {
      const name = braced ?? bare;
      if (!name || modifier) return UNKNOWN;
      if (SHELL_CONTEXT[name]) return token(SHELL_CONTEXT[name]);
      if (assignsInScript(step, name)) return UNKNOWN;
      return this.env(name, job, step, depth);
    });
  }

  private env(name: string, job: WorkflowJob, step: WorkflowStep | undefined, depth: number): string {
    if (this.dynamicEnv.has(name)) return UNKNOWN;
    const value = step?.env.get(name) ?? job.env.get(name) ?? this.workflow.env.get(name);
    return value === undefined ? UNKNOWN : this.expression(value.value, job, step, depth + 1);
  }

  private context(path: string, job: WorkflowJob, step: WorkflowStep | undefined, depth: number): string {
    if (STABLE_CONTEXT.test(path)) return token(path);
    let m = /^env\.([\w-]+)$/.exec(path);
    if (m) return this.env(m[1], job, step, depth);
    m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path);
    if (m) return this.stepOutput(job, m[1], m[2], depth);
    m = /^needs\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path);
    if (m) {
      const upstream = this.workflow.jobs.find((j) => j.id.value === m![1]);
      const output = upstream?.outputs.get(m[2]);
      return upstream && output ? this.expression(output.value, upstream, undefined, depth + 1) : UNKNOWN;
    }
    return UNKNOWN;
  }

  /** `steps.<id>.outputs.<name>`: amazon-ecr-login's registry, or a `name=value >> $GITHUB_OUTPUT` line of a script. */
  private stepOutput(job: WorkflowJob, id: string, name: string, depth: number): string {
    const step = job.steps.find((s) => s.id?.value === id);
    if (!step) return UNKNOWN;
    if (usesAction(step, 'aws-actions/amazon-ecr-login')) return name === 'registry' ? ECR_REGISTRY : UNKNOWN;
    if (!step.run) return UNKNOWN;
    const values = new Set<string>();
    for (const c of step.commands) {
      if (c.argv[0] !== 'echo' && c.argv[0] !== 'printf') continue;
      for (const w of c.argv.slice(1)) {
        const setOutput = /^::set-output name=([\w-]+)::(.*)$/.exec(w);
        if (setOutput && setOutput[1] === name) values.add(this.shell(setOutput[2], job, step, depth + 1));
        if (w.startsWith(`${name}=`) && c.argv.some((a) => /GITHUB_OUTPUT/.test(a))) values.add(this.shell(w.slice(name.length + 1), job, step, depth + 1));
      }
    }
    return values.size === 1 ? [...values][0] : UNKNOWN;
  }
}

/** The text once for each matrix combination of the job (`${{ matrix.x }}` replaced); unchanged when it names no matrix value. */
function matrixVariants(text: string, job: WorkflowJob): string[] {
  const re = /\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g;
  if (!re.test(text)) return [text];
  // An unknown matrix leaves the expression in place: the resolver makes it UNKNOWN.
  if (!job.matrixRows) return [text];
  return [...new Set(job.matrixRows.map((row) => text.replace(re, (whole, key: string) => row[key] ?? whole)))];
}

function token(path: string): string {
  return `\${{ ${path} }}`;
}

/** The script sets the variable itself (`TAG=…`, `export TAG=…`, `read TAG`): its value is computed at run time. */
function assignsInScript(step: WorkflowStep, name: string): boolean {
  return step.commands.some((c) => c.argv.some((w, i) => w.startsWith(`${name}=`) && (i === 0 || ['export', 'declare', 'local', 'readonly', 'typeset'].includes(c.argv[i - 1]) || c.argv.slice(0, i).every((p) => /^[A-Za-z_]\w*=/.test(p)))) || (c.argv[0] === 'read' && c.argv.includes(name)));
}

/** Tools and actions that can push images in ways the audit does not read. */
const OPAQUE_TOOLS = new Set(['skopeo', 'crane', 'regctl', 'ko', 'jib', 'kaniko', 'executor', 'buildah', 'make', 'docker-compose', 'earthly', 'depot', 'nixpacks', 'pack', 'copilot', 'sam', 'cdk', 'serverless', 'sls']);
const OPAQUE_ACTION = /docker|image|ecr|push|publish|container|kaniko|buildah|\bko\b|jib|release|build/i;
const KNOWN_ACTIONS = new Set([
  'docker/build-push-action', 'docker/metadata-action', 'docker/login-action', 'docker/setup-buildx-action', 'docker/setup-qemu-action',
  'aws-actions/amazon-ecr-login', 'aws-actions/configure-aws-credentials', 'aws-actions/amazon-ecs-render-task-definition', 'aws-actions/amazon-ecs-deploy-task-definition',
]);

/** Every image reference the workflow pushes, or 'opaque' when a step may push in a way not read here. */
function collectPushes(workflow: Workflow, r: Resolver): Ref[] | 'opaque' {
  const out: Ref[] = [];
  for (const job of workflow.jobs) {
    if (job.uses) return 'opaque';
    for (const step of job.steps) {
      if (step.uses && !KNOWN_ACTIONS.has(step.uses.value.split('@')[0].toLowerCase()) && (step.uses.value.startsWith('./') || OPAQUE_ACTION.test(step.uses.value.split('@')[0]))) return 'opaque';
      if (usesAction(step, 'docker/build-push-action')) {
        const push = step.with.get('push');
        const outputsPush = /type=registry|push=true/.test(step.with.get('outputs')?.value ?? '');
        if ((!push || push.value === 'false') && !outputsPush) continue;
        const build = step.dockerBuilds.find((b) => b.via === 'build-push-action');
        if (!build || build.tags.length === 0) return 'opaque';
        for (const tag of build.tags) for (const v of matrixVariants(tag.value, job)) out.push({ ref: canonical(r.expression(v, job, step)), text: tag.value, loc: tag.loc, job });
      }
      if (step.scripts.some((s) => /docker|image|push|publish|release|deploy|ecr|container/i.test(s.script))) return 'opaque';
      for (const c of step.commands) {
        const pushed = commandPushes(c, job, step, r);
        if (pushed === 'opaque') return 'opaque';
        out.push(...pushed);
      }
    }
  }
  return out;
}

function commandPushes(c: StepCommand, job: WorkflowJob, step: WorkflowStep, r: Resolver): Ref[] | 'opaque' {
  const argv = effectiveArgv(c.argv);
  const [a0, a1, a2] = argv;
  const tool = a0?.split('/').pop() ?? '';
  if (OPAQUE_TOOLS.has(tool) || /^(\.{1,2}\/|~\/)|\.sh$/.test(a0 ?? '') || (['bash', 'sh', 'zsh'].includes(tool) && argv.length > 1 && !argv[1].startsWith('-'))) return 'opaque';
  if (tool !== 'docker' && tool !== 'podman') return [];
  if ((a1 === 'buildx' && (a2 === 'bake' || a2 === 'imagetools')) || a1 === 'manifest' || a1 === 'compose' || a1 === 'bake') return 'opaque';
  const refs = (value: string): Ref[] => matrixVariants(value, job).map((v) => ({ ref: canonical(r.shell(v, job, step)), text: value, loc: c.loc, job }));
  if (a1 === 'push' || (a1 === 'image' && a2 === 'push')) {
    const args = argv.slice(a1 === 'push' ? 2 : 3);
    const target = args.find((w) => !w.startsWith('-'));
    if (!target) return 'opaque';
    // `docker push repo` without a tag (or with --all-tags): which tags go out depends on what the job tagged.
    const all = args.includes('-a') || args.includes('--all-tags');
    return refs(target).map((pushed) => (all || !splitImage(pushed.ref).tag ? { ...pushed, ref: `${splitImage(pushed.ref).repository}:${UNKNOWN}` } : pushed));
  }
  const isBuild = a1 === 'build' || (a1 === 'buildx' && (a2 === 'build' || a2 === 'b')) || (a1 === 'image' && a2 === 'build');
  if (!isBuild) return [];
  const pushes = argv.includes('--push') || argv.some((w) => /type=registry|push=true/.test(w));
  if (!pushes) return [];
  const tags: Ref[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    if ((w === '-t' || w === '--tag') && argv[i + 1]) tags.push(...refs(argv[++i]));
    else if (w.startsWith('--tag=')) tags.push(...refs(w.slice(6)));
    else if (/^-t./.test(w)) tags.push(...refs(w.slice(2)));
  }
  return tags.length ? tags : 'opaque';
}

/** Image references the workflow deploys: render-action `image:`, a committed task definition it registers as is, `ecs-deploy -i`. */
function collectDeploys(model: DeploymentModel, workflow: Workflow, r: Resolver): Deploy[] {
  const out: Deploy[] = [];
  const taskDefinitionImages = (file: string, job: WorkflowJob, what: string, at: Loc, except?: (c: StepCommand) => boolean) => {
    const path = file.trim().replace(/^file:\/\//, '').replace(/^\.\//, '');
    if (/\$/.test(path)) return;
    const task = model.infra.taskDefinitions.find((t) => t.format === 'task-definition-json' && t.file === path);
    if (!task || workflowTouchesFile(workflow, path, except)) return;
    for (const container of task.containers) {
      const image = known(container.image);
      if (!image || /\$|\{\{|<|%/.test(image)) continue;
      out.push({ ref: canonical(image), text: image, loc: container.image!.loc, job, what: `${what} (task definition ${path}, container "${known(container.name) ?? '?'}")`, related: { ...at, message: `registers ${path} as committed` } });
    }
  };
  for (const job of workflow.jobs) {
    // A rollback (runs only when something failed) may deploy a known-good tag pushed long ago.
    if (isFailureOnly(job.if?.value)) continue;
    for (const step of job.steps) {
      if (isFailureOnly(step.if?.value)) continue;
      if (usesAction(step, 'aws-actions/amazon-ecs-render-task-definition')) {
        const image = step.with.get('image');
        if (image) for (const v of matrixVariants(image.value, job)) out.push({ ref: canonical(r.expression(v, job, step)), text: image.value, loc: image.loc, job, what: `the render step of job "${job.id.value}"` });
      }
      if (usesAction(step, 'aws-actions/amazon-ecs-deploy-task-definition')) {
        const file = step.with.get('task-definition');
        if (file && !file.value.includes('${{')) taskDefinitionImages(file.value, job, `the deploy step of job "${job.id.value}"`, file.loc);
      }
      for (const c of step.commands) {
        const argv = effectiveArgv(c.argv);
        if (argv[0] === 'aws' && argv[1] === 'ecs' && argv[2] === 'register-task-definition') {
          const i = argv.findIndex((w) => w === '--cli-input-json' || w.startsWith('--cli-input-json='));
          const value = i < 0 ? undefined : argv[i].includes('=') ? argv[i].split('=').slice(1).join('=') : argv[i + 1];
          const isRegister = (x: StepCommand) => x.argv.includes('register-task-definition');
          if (value?.startsWith('file://')) taskDefinitionImages(value, job, `\`aws ecs register-task-definition\` in job "${job.id.value}"`, c.loc, isRegister);
        }
        if (argv[0]?.split('/').pop() === 'ecs-deploy') {
          const i = argv.findIndex((w) => w === '-i' || w === '--image');
          if (i > 0 && argv[i + 1]) out.push({ ref: canonical(r.shell(argv[i + 1], job, step)), text: argv[i + 1], loc: c.loc, job, what: `ecs-deploy in job "${job.id.value}"` });
        }
      }
    }
  }
  return out;
}

/** ECR hosts written literally and the ECR login output are one registry for comparison. */
function canonical(ref: string): string {
  const slash = ref.indexOf('/');
  return slash > 0 && ECR_HOST.test(ref.slice(0, slash)) ? ECR_REGISTRY + ref.slice(slash) : ref;
}

function splitImage(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@sha256:');
  if (at >= 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  // The tag follows the last ':' after the last '/' that is not inside a `${{ }}` token.
  const plain = ref.replace(/\$\{\{[^}]*\}\}/g, (t) => 'x'.repeat(t.length));
  const slash = plain.lastIndexOf('/');
  const colon = plain.lastIndexOf(':');
  return colon > slash ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repository: ref };
}

/**
 * Whether the pushed reference can be the deployed one. Unknown parts match anything. A tag holding
 * a value chosen outside the file (`inputs.*`, `vars.*`, `secrets.*`, the branch name) may equal any
 * other tag, so only literals and run values (`github.sha`, `github.run_number`, …) prove a difference.
 */
function mayMatch(pushed: string, deployed: string): boolean {
  if (pushed === deployed) return true;
  if (pushed.includes(UNKNOWN)) {
    const pattern = pushed.split(UNKNOWN).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    if (new RegExp(`^${pattern}$`, 's').test(deployed)) return true;
  }
  const p = splitImage(pushed);
  const d = splitImage(deployed);
  return p.repository === d.repository && [p.tag ?? '', d.tag ?? ''].some((tag) => tag.includes(UNKNOWN) || hasOpenValue(tag));
}

const RUN_VALUES = new Set(['github.sha', 'github.run_number', 'github.run_id', 'github.run_attempt']);

function hasOpenValue(text: string): boolean {
  return [...text.matchAll(/\$\{\{ ([^}]*) \}\}/g)].some((m) => !RUN_VALUES.has(m[1]));
}

function render(ref: string): string {
  return ref.split(UNKNOWN).join('…');
}
