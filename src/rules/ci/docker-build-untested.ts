import { defineRule } from '../rule.js';
import { allSteps, runsBeforeMerge } from './_pipeline.js';

export default defineRule({
  id: 'ci/docker-build-untested',
  severity: 'medium',
  title: 'Pull requests never build the image that deploys build',
  messages: {
    untested: {
      message: '{{dockerfile}} is built and pushed here, but no workflow that runs before merge (on pull requests, or on pushes to other branches) builds it: a broken Dockerfile or build context is found only after merge, by the deploy',
      fix: 'build the same Dockerfile with the same context in a workflow that runs on pull_request (docker/build-push-action with push: false is enough)',
    },
  },
  check(model, report) {
    const prBuilt = new Set<string>();
    let prBuildsUnknown = false;
    // Pull requests, and pushes to feature branches, build before the change reaches the default branch.
    for (const { workflow, job, step } of allSteps(model)) {
      if (!runsBeforeMerge(workflow, job, step)) continue;
      for (const build of step.dockerBuilds) {
        if (build.dockerfilePaths.length === 0) prBuildsUnknown = true;
        for (const p of build.dockerfilePaths) prBuilt.add(p);
      }
      // `docker compose build` and bake files build images this model does not resolve: assume they cover.
      if (step.commands.some((c) => /compose/.test(c.argv[0] + ' ' + (c.argv[1] ?? '')) && c.argv.includes('build'))) prBuildsUnknown = true;
      if (step.uses && /docker\/bake-action@/i.test(step.uses.value)) prBuildsUnknown = true;
    }
    if (prBuildsUnknown) return;
    const reported = new Set<string>();
    for (const { workflow, job, step } of allSteps(model)) {
      if (runsBeforeMerge(workflow, job, step)) continue;
      for (const build of step.dockerBuilds) {
        if (!build.push) continue;
        const untested = build.dockerfilePaths.filter((p) => !prBuilt.has(p) && model.files.has(p));
        if (untested.length === 0) continue;
        const key = untested.join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        report('untested', build.file?.loc ?? build.loc, { dockerfile: untested.join(', ') }, { key });
      }
    }
  },
});
