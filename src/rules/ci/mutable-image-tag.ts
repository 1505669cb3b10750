import type { Located } from '../../model/location.js';
import type { WorkflowJob } from '../../model/workflow.js';
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
    for (const workflow of model.workflows) {
      for (const job of workflow.jobs) {
        for (const step of job.steps) {
          for (const build of step.dockerBuilds) {
            if (!build.push) continue;
            const tags = build.via === 'build-push-action' ? actionTags(job, build.tags) : build.tags;
            if (!tags || tags.length === 0) continue;
            if (tags.every((t) => isMutable(t.value))) report('onlyMutable', tags[0].loc, { tags: tags.map((t) => t.value).join(', ') });
          }
          if (step.uses && /^aws-actions\/amazon-ecs-render-task-definition@/i.test(step.uses.value)) {
            const image = step.with.get('image');
            if (image && !image.value.includes('${{') && isMutable(image.value)) report('deployedMutable', image.loc, { image: image.value, tag: tagOf(image.value) ?? 'latest' });
          }
        }
        // `docker push` commands of a job that only ever push :latest.
        const pushes = job.steps.flatMap((s) => s.commands).filter((c) => c.argv[0] === 'docker' && c.argv[1] === 'push' && c.argv[2]);
        if (pushes.length > 0 && pushes.every((c) => isMutable(c.argv[2])) && !job.steps.some((s) => s.dockerBuilds.some((b) => b.tags.some((t) => !isMutable(t.value))))) {
          if (!job.steps.some((s) => s.dockerBuilds.some((b) => b.push && b.tags.length > 0))) {
            report('onlyMutable', pushes[0].loc, { tags: pushes.map((c) => c.argv[2]).join(', ') });
          }
        }
      }
    }
  },
});

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
