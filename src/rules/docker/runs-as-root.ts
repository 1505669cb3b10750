import { finalStage } from '../../model/docker.js';
import { defineRule } from '../rule.js';
import { productionDockerfiles } from './_build.js';

/** Images whose default user is not root, so no USER line is needed. */
export const NON_ROOT_BASES = /(^|\/)(distroless\/.*:nonroot|.*-nonroot)$|^gcr\.io\/distroless\/.*:(nonroot|debug-nonroot)/;

export default defineRule({
  id: 'docker/runs-as-root',
  severity: 'high',
  title: 'Container runs as root',
  security: true,
  messages: {
    noUser: {
      message: 'the final stage (FROM {{image}}) never sets USER, so the service runs as root',
      fix: 'add "USER node" (official node images ship that user) or create one (addgroup/adduser) before CMD in the final stage',
    },
    rootUser: {
      message: 'the final stage sets USER {{user}}: the service runs as root',
      fix: 'switch to an unprivileged user, e.g. "USER node"; do root-only setup before it',
    },
  },
  check(model, report) {
    for (const dockerfile of productionDockerfiles(model)) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved) continue;
      const image = stage.rootImage.tag ? `${stage.rootImage.name}:${stage.rootImage.tag}` : stage.rootImage.name;
      if (!stage.user) {
        if (NON_ROOT_BASES.test(stage.rootImage.raw)) continue;
        report('noUser', stage.from.loc, { image });
      } else if (/^(root|0)(:.*)?$/.test(stage.user.value)) {
        report('rootUser', stage.user.loc, { user: stage.user.value });
      }
    }
  },
});
