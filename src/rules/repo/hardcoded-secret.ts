import { defineRule } from '../rule.js';
import { isTestPath } from './_paths.js';

export default defineRule({
  id: 'repo/hardcoded-secret',
  severity: 'high',
  title: 'Credential written into a repository file',
  security: true,
  messages: {
    found: {
      message: '{{kind}} ({{redacted}}) written in {{file}}{{where}}: {{exposure}}',
      fix: 'revoke and rotate this credential now, then read it at runtime from the environment (on ECS: task definition `secrets` from Secrets Manager or SSM Parameter Store) instead of the file{{testNote}}',
    },
  },
  check(model, report, analysis) {
    const { secretCandidates, git } = model;
    for (const candidate of secretCandidates) {
      const inTests = isTestPath(candidate.loc.file);
      const copied = analysis.scope.copiedIntoImage(candidate.loc.file);
      const image = copied ? `, and ${copied.dockerfile.path}:${copied.copy.loc.line} copies it into the image` : '';
      const exposure = !git
        ? `whoever gets the repository has it${image}`
        : candidate.tracked
          ? `it is in every clone and in git history${image}`
          : `git does not track it yet, but no .gitignore excludes it, so the next \`git add -A\` commits it${image}`;
      report(
        'found',
        candidate.loc,
        {
          kind: candidate.kind,
          redacted: candidate.redacted,
          file: candidate.loc.file,
          where: inTests ? ' (a test folder)' : '',
          exposure,
          testNote: inTests
            ? '; if it is a generated test key that grants nothing, keep it and mark the line with "shipready-ignore repo/hardcoded-secret: <why>"'
            : '',
        },
        {
          // A key in tests is nearly always a generated throwaway; a real one there is just as leaked, so it stays reported, as low.
          severity: inTests ? 'low' : 'high',
          key: `${candidate.kind}:${candidate.redacted}`,
        },
      );
    }
  },
});
