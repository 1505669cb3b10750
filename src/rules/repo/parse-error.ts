import { defineRule } from '../rule.js';

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
  check({ problems }, report) {
    for (const problem of problems) {
      const data = { message: problem.message, artifact: problem.artifact };
      // A file that does not parse breaks whatever reads it; a file that was skipped is only a note.
      if (problem.kind === 'parse-error') report('parse', problem.loc, data);
      else report('unreadable', problem.loc, data, { severity: problem.kind === 'symlink-loop' || problem.kind === 'broken-symlink' ? 'low' : 'info' });
    }
  },
});
