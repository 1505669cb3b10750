import { posix } from 'node:path';
import type { DeploymentModel } from '../../model/index.js';
import type { ArtifactProblem } from '../../model/problems.js';
import { defineRule } from '../rule.js';

/**
 * A Dockerfile-named file with no FROM at all that a workflow step or package script joins onto
 * another with `cat` (`cat Dockerfile preview/Dockerfile.preview > Dockerfile.generated`): a
 * fragment whose instructions follow the other file's FROM, not a Dockerfile that docker reads alone.
 */
function concatenatedFragment(model: DeploymentModel, problem: ArtifactProblem): boolean {
  if (problem.artifact !== 'Dockerfile') return false;
  const dockerfile = model.dockerfiles.find((d) => d.path === problem.loc.file);
  if (!dockerfile || dockerfile.stages.length > 0) return false;
  const base = posix.basename(dockerfile.path);
  const names = (word: string) => word === dockerfile.path || word === `./${dockerfile.path}` || posix.basename(word) === base;
  for (const workflow of model.workflows) {
    for (const job of workflow.jobs) {
      for (const step of job.steps) {
        if (step.commands.some((c) => c.argv[0] === 'cat' && c.argv.slice(1).some(names))) return true;
      }
    }
  }
  return model.packages.some((pkg) => [...pkg.scripts.values()].some((script) => /(^|[\s;&|(])cat\s/.test(script.value) && script.value.split(/\s+/).some(names)));
}

export default defineRule({
  id: 'repo/parse-error',
  severity: 'high',
  title: 'Deployment file cannot be parsed or read',
  messages: {
    parse: {
      message: '{{message}}',
      fix: 'fix the syntax at this line; every tool that reads this {{artifact}} (docker build, GitHub Actions, npm) will reject it the same way',
    },
    unreadable: {
      message: '{{message}}',
      fix: 'nothing to do if this file is not part of the deployment; otherwise make it a readable text file',
    },
  },
  check(model, report) {
    for (const problem of model.problems) {
      const data = { message: problem.message, artifact: problem.artifact };
      if (concatenatedFragment(model, problem)) continue;
      // A file that does not parse breaks whatever reads it; a file that was skipped is only a note.
      if (problem.kind === 'parse-error') report('parse', problem.loc, data);
      else report('unreadable', problem.loc, data, { severity: problem.kind === 'symlink-loop' || problem.kind === 'broken-symlink' ? 'low' : 'info' });
    }
  },
});
