import type { DeploymentModel } from '../../model/index.js';
import type { Loc } from '../../model/location.js';
import { allContainers, known, type EcrRepository } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, infraOf, related } from './_common.js';

export default defineRule({
  id: 'ecs/mutable-image',
  severity: 'medium',
  title: 'Task image uses a moving tag',
  messages: {
    latest: {
      message:
        'container \'{{container}}\' runs image {{image}}{{implicit}}: which build runs depends on when each task pulls it, a rollback redeploys the same moving tag, and ECS does not redeploy when the tag moves{{immutable}}',
      fix: 'deploy an immutable tag per build (the git SHA or a version) or a digest, and update the task definition with it on each deploy (e.g. amazon-ecs-render-task-definition with image: …:${{ github.sha }})',
    },
    pushLatestImmutable: {
      message:
        'this step pushes {{tag}} to ECR repository \'{{repo}}\', which is IMMUTABLE ({{repoLoc}}): the first push works, every later push of the same tag is rejected and the deploy fails',
      fix: 'push a tag unique to the build (e.g. ${{ github.sha }}) and deploy that tag; do not push latest to an immutable repository',
    },
  },
  check(model, report) {
    const infra = infraOf(model);
    const immutable = new Map<string, EcrRepository>();
    for (const repo of infra.ecrRepositories) {
      const name = known(repo.name);
      if (known(repo.imageTagMutability)?.toUpperCase() === 'IMMUTABLE') immutable.set(name ? name.split('/').pop()!.toLowerCase() : `#${repo.resourceName}`, repo);
    }
    const pushes = latestPushes(model, immutable);
    const reportedRepos = new Set<EcrRepository>();
    for (const { container } of allContainers(infra)) {
      const ref = container.imageRef;
      // An image the deploy workflow renders into the task definition is a placeholder in the file.
      if (!container.image || !ref || container.imageRenderedBy || ref.assetDir !== undefined || ref.digest || ref.tagUnresolved) continue;
      // `<IMAGE1_NAME>` (CodePipeline's ECS deploy action), `{{IMAGE}}`, `__IMAGE__`, `REPLACE_WITH_ECR_URI`
      // (image names are lower case: capitals mean a stand-in): filled in at deploy time.
      if (/<[^>]+>|\{\{[^}]*\}\}|__[A-Z0-9_]+__|#\{[^}]*\}/.test(ref.text) || /[A-Z]/.test(ref.repository ?? '')) continue;
      // No tag means latest, but only a literal image name proves there is no tag.
      const implicitLatest = ref.tag === undefined && ref.repository !== undefined && !ref.text.includes('${');
      if (!implicitLatest && ref.tag !== 'latest') continue;
      const repo =
        (ref.repository ? immutable.get(ref.repository.split('/').pop()!.toLowerCase()) : undefined) ??
        // `${aws_ecr_repository.api.repository_url}:latest`, `${ApiRepo.RepositoryUri}:latest`
        [...immutable.values()].find((r) => ref.text.includes(`${r.resourceName}.repository_url`) || ref.text.includes(`\${${r.resourceName}.RepositoryUri}`) || (ref.ecrRepositoryRef !== undefined && ref.ecrRepositoryRef === r.resourceName));
      const relatedLocs = repo ? [related(repo.imageTagMutability!.loc, `ECR repository '${known(repo.name) ?? repo.resourceName}' is IMMUTABLE`)] : [];
      const pushedHere = repo ? pushes.filter((p) => p.repo === repo) : [];
      for (const p of pushedHere) relatedLocs.push(related(p.loc, `pushes ${p.text} to the IMMUTABLE repository`));
      if (repo) reportedRepos.add(repo);
      report(
        'latest',
        container.image.loc,
        {
          container: containerName(container),
          image: ref.text,
          implicit: implicitLatest ? ' (no tag, so latest)' : '',
          immutable: repo
            ? `; its ECR repository '${known(repo.name) ?? repo.resourceName}' is IMMUTABLE, so latest can be pushed only once${pushedHere.length ? ` and ${pushedHere[0].loc.file}:${pushedHere[0].loc.line} pushes it on every deploy` : ''}`
            : '',
        },
        { severity: repo ? 'high' : undefined, related: relatedLocs },
      );
    }
    // Pushes of latest to an IMMUTABLE repository that no task definition here runs: reported on their own.
    for (const p of pushes) {
      if (reportedRepos.has(p.repo)) continue;
      report('pushLatestImmutable', p.loc, { tag: p.text, repo: known(p.repo.name) ?? p.repo.resourceName, repoLoc: `${p.repo.imageTagMutability!.loc.file}:${p.repo.imageTagMutability!.loc.line}` }, {
        severity: 'high',
        related: [related(p.repo.imageTagMutability!.loc, `ECR repository '${known(p.repo.name) ?? p.repo.resourceName}' is IMMUTABLE`)],
      });
    }
  },
});

/** Workflow steps that push `latest` (explicitly or by omission) to an IMMUTABLE repository defined here; one per step and image. */
function latestPushes(model: DeploymentModel, immutable: Map<string, EcrRepository>): { repo: EcrRepository; text: string; loc: Loc }[] {
  const out: { repo: EcrRepository; text: string; loc: Loc }[] = [];
  if (immutable.size === 0) return out;
  for (const wf of model.workflows) {
    for (const job of wf.jobs) {
      for (const step of job.steps) {
        const pushed: { text: string; loc: Loc }[] = [];
        // `docker push` lines first: they are where the tag is pushed.
        for (const cmd of step.commands ?? []) {
          if (cmd.argv[0] === 'docker' && cmd.argv[1] === 'push' && cmd.argv[2]) pushed.push({ text: cmd.argv[2], loc: cmd.loc });
        }
        for (const build of step.dockerBuilds ?? []) if (build.push) pushed.push(...build.tags.map((t) => ({ text: t.value, loc: t.loc })));
        const seen = new Set<string>();
        for (const p of pushed) {
          if (seen.has(p.text)) continue;
          seen.add(p.text);
          const image = p.text.replace(/@.*$/, '');
          const slash = image.lastIndexOf('/');
          const colon = image.lastIndexOf(':');
          const tag = colon > slash ? image.slice(colon + 1) : 'latest';
          if (tag !== 'latest') continue;
          const repo = immutable.get((colon > slash ? image.slice(0, colon) : image).split('/').pop()!.toLowerCase());
          if (repo) out.push({ repo, text: p.text, loc: p.loc });
        }
      }
    }
  }
  return out;
}
