import type { Located } from '../../model/location.js';
import type { DeploymentModel } from '../../model/index.js';
import type { WorkflowJob, WorkflowStep } from '../../model/workflow.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ci/mutable-image-tag',
  severity: 'high',
  title: 'Image pushed or deployed only as a mutable tag',
  messages: {
    onlyMutable: {
      message: 'the image is pushed only as "{{tags}}": every build overwrites it, so ECS cannot tell versions apart, a rollback has nothing to go back to, and an IMMUTABLE ECR repository rejects the second push',
      fix: 'tag every pushed image with the commit SHA (e.g. ${{ github.sha }}, or docker/metadata-action type=sha) and deploy that tag; keep "latest" only as an extra alias if something needs it',
    },
    deployedMutable: {
      message: 'the task definition is rendered with image "{{image}}": the service runs whatever "{{tag}}" points at when a task starts, not the build this workflow made',
      fix: 'render the task definition with the immutable tag just pushed (e.g. ${{ steps.build.outputs.image }} set to <repo>:${{ github.sha }})',
    },
  },
  check(model, report) {
    const versioned = versionedImages(model);
    for (const workflow of model.workflows) {
      // A moving channel (`edge` on every master push, `nightly`) published beside versioned releases of
      // the same image is a choice offered to users; it matters only when this workflow deploys it.
      const deploys = workflow.jobs.some((j) => j.steps.some((s) => s.activities.some((a) => a.kind === 'ecs-deploy' || a.kind === 'ecs-render' || a.kind === 'iac-deploy')));
      const channel = (images: string[]) => !deploys && images.length > 0 && images.every((i) => versioned.has(i));
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          for (const build of step.dockerBuilds) {
            if (!build.push) continue;
            // CLI builds are judged by their `docker push` commands below.
            if (build.via !== 'build-push-action') continue;
            const tags = actionTags(job, build.tags);
            if (!tags || tags.length === 0) continue;
            if (!tags.every((t) => isMutable(t.value))) continue;
            if (channel(imagesOf(job, build.tags))) continue;
            report('onlyMutable', tags[0].loc, { tags: tags.map((t) => t.value).join(', ') });
          }
          if (step.uses && /^aws-actions\/amazon-ecs-render-task-definition@/i.test(step.uses.value)) {
            const image = step.with.get('image');
            if (image && !image.value.includes('${{') && isMutable(image.value)) report('deployedMutable', image.loc, { image: image.value, tag: tagOf(image.value) ?? 'latest' });
          }
        }
        // `docker push` commands: what they push is what the registry gets, whatever `-t` said at build time.
        const pushed = pushedRefs(job);
        if (pushed.length > 0 && pushed.every((r) => isMutable(r.ref)) && !channel(pushed.map((r) => repositoryOf(r.ref))))
          report('onlyMutable', pushed[0].loc, { tags: pushed.map((r) => r.ref).join(', ') });
      }
    }
  },
});

/**
 * Images (repository names, without tag) the repository's workflows push with at least one tag that
 * does not move. Any action with `push: true` and `tags:` counts (docker/build-push-action and its
 * look-alikes, such as depot/build-push-action).
 */
function versionedImages(model: DeploymentModel): Set<string> {
  const out = new Set<string>();
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        const push = step.with.get('push');
        const input = step.with.get('tags');
        if (!step.uses || !push || push.value === 'false' || !input) continue;
        const written = input.value.split(/[\n,]/).map((t) => t.trim()).filter(Boolean).map((value) => ({ value, loc: input.loc }));
        const tags = actionTags(job, written);
        // undefined: docker/metadata-action writes version or sha tags.
        if (tags === undefined || tags.some((t) => !isMutable(t.value))) for (const image of imagesOf(job, written)) out.add(image);
      }
      for (const r of pushedRefs(job)) if (!isMutable(r.ref)) out.add(repositoryOf(r.ref));
    }
  }
  return out;
}

/** The image names a build-push-action step's tags belong to: written tags without their tag, or the `images:` of the metadata step they come from. */
function imagesOf(job: WorkflowJob, tags: Located<string>[]): string[] {
  const out: string[] = [];
  for (const tag of tags) {
    const m = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.tags\s*\}\}$/.exec(tag.value);
    if (!m) {
      out.push(repositoryOf(tag.value));
      continue;
    }
    const meta: WorkflowStep | undefined = job.steps.find((s) => s.id?.value === m[1]);
    for (const line of (meta?.with.get('images')?.value ?? '').split('\n')) {
      // `name=ghcr.io/x/y,enable=…` is the long form of an entry; otherwise a line may list several, comma-separated.
      const long = /(?:^|,)\s*name=([^,]+)/.exec(line);
      const images = long ? [long[1]] : line.split(',');
      for (const image of images.map((i) => i.trim()).filter(Boolean)) out.push(image);
    }
  }
  return [...new Set(out)];
}

/** `ghcr.io/acme/api:edge` → `ghcr.io/acme/api` (a registry port is not a tag). */
function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Tags of a build-push-action step, following `${{ steps.meta.outputs.tags }}` to docker/metadata-action's `tags:`. */
function actionTags(job: WorkflowJob, tags: Located<string>[]): Located<string>[] | undefined {
  const out: Located<string>[] = [];
  for (const tag of tags) {
    const m = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.tags\s*\}\}$/.exec(tag.value);
    if (!m) {
      out.push(tag);
      continue;
    }
    const meta = job.steps.find((s) => s.id?.value === m[1] && s.uses && /^docker\/metadata-action@/i.test(s.uses.value));
    const spec = meta?.with.get('tags');
    // metadata-action defaults include version tags on tag pushes: not provably mutable.
    if (!meta || !spec) return undefined;
    const lines = spec.value.split('\n').map((l) => l.trim()).filter(Boolean);
    const immutable = lines.some((l) => /type=(sha|semver|match|pep440)|\{\{\s*sha\s*\}\}|github\.sha|event=tag|\$\{\{/.test(l) && !/type=raw,value=latest/.test(l));
    if (immutable) return undefined;
    lines.forEach((l, i) => out.push({ value: l, loc: { file: spec.loc.file, line: spec.loc.line + (spec.value.includes('\n') ? i + 1 : 0) } }));
  }
  return out;
}

function tagOf(image: string): string | undefined {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (image.includes('@sha256:')) return undefined;
  return colon > slash ? image.slice(colon + 1) : undefined;
}

/** `repo:latest`, `repo` (implicitly latest), or a metadata-action line that only yields latest or a branch name. */
function isMutable(value: string): boolean {
  if (value.startsWith('type=')) return /type=raw,value=latest|type=ref,event=branch|type=edge/.test(value);
  if (value.includes('${{') || value.includes('$')) {
    const tag = tagOf(value);
    return tag === 'latest';
  }
  const tag = tagOf(value);
  return tag === undefined ? !value.includes('@sha256:') : tag === 'latest';
}

/** Image references a job's `docker push` commands publish; `docker push -a repo` publishes every tag the job gave that repository. */
function pushedRefs(job: WorkflowJob): { ref: string; loc: Located<string>['loc'] }[] {
  const commands = job.steps.flatMap((s) => s.commands);
  const tagsOf = (repo: string): string[] => {
    const out: string[] = [];
    for (const c of commands) {
      const a = c.argv;
      if (a[0] !== 'docker') continue;
      if (a[1] === 'tag' && a[3]) out.push(a[3]);
      for (let i = 0; i < a.length - 1; i++) if ((a[i] === '-t' || a[i] === '--tag') && (a[1] === 'build' || a[1] === 'buildx')) out.push(a[i + 1]);
    }
    return out.filter((r) => r === repo || r.startsWith(repo + ':'));
  };
  const refs: { ref: string; loc: Located<string>['loc'] }[] = [];
  for (const c of commands) {
    const a = c.argv;
    if (a[0] !== 'docker' || !(a[1] === 'push' || (a[1] === 'image' && a[2] === 'push'))) continue;
    const args = a.slice(a[1] === 'push' ? 2 : 3);
    const target = args.find((w) => !w.startsWith('-'));
    if (!target) continue;
    if (args.includes('-a') || args.includes('--all-tags')) {
      const all = tagsOf(target);
      if (all.length === 0) return [];
      for (const ref of all) refs.push({ ref, loc: c.loc });
    } else refs.push({ ref: target, loc: c.loc });
  }
  return refs;
}
