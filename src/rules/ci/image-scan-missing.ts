import { defineRule } from '../rule.js';
import { allSteps, findActivity, abandonedDockerfile, stepActivity, unreachable } from './_pipeline.js';

export default defineRule({
  id: 'ci/image-scan-missing',
  severity: 'medium',
  title: 'Images are pushed without a vulnerability scan',
  security: true,
  messages: {
    missing: {
      message: 'this step builds and pushes an image ({{dockerfile}}) but no workflow scans images (Trivy, Grype, Docker Scout, Snyk container, ECR scan): OS and runtime CVEs in the image reach production unseen',
      fix: 'after the build, scan the image before it is deployed, e.g. aquasecurity/trivy-action with image-ref set to the tag just built and severity: HIGH,CRITICAL (start with exit-code: 0, then 1)',
    },
  },
  check(model, report) {
    if (findActivity(model, 'image-scan')) return;
    let chosen: { loc: { file: string; line: number }; dockerfile: string; deploys: boolean } | undefined;
    for (const { workflow, job, step } of allSteps(model)) {
      for (const build of step.dockerBuilds) {
        if (!build.push) continue;
        // An abandoned build (its Dockerfile exists nowhere in the repository) pushes nothing; ci/path-not-found reports it.
        if (abandonedDockerfile(model, job, step, build) || unreachable(model, workflow, job, step)) continue;
        const deploys = job.steps.some((s) => stepActivity(s, 'ecs-deploy', 'ecs-render'));
        const candidate = { loc: build.file?.loc ?? build.loc, dockerfile: build.dockerfilePaths.join(', ') || build.file?.value || 'Dockerfile', deploys };
        // Prefer the build that feeds a deploy: that is the image that must be scanned.
        if (!chosen || (deploys && !chosen.deploys)) chosen = candidate;
      }
    }
    if (chosen) report('missing', chosen.loc, { dockerfile: chosen.dockerfile }, { key: 'image-scan-missing' });
  },
});
