import { finalStage } from '../../model/docker.js';
import { defineRule } from '../rule.js';


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
      fix: '{{userFix}} before CMD in the final stage',
    },
    rootUser: {
      message: 'the final stage sets USER {{user}}: the service runs as root',
      fix: 'switch to an unprivileged user ({{userFix}}); do root-only setup before it',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const stage = finalStage(dockerfile);
      if (!stage || stage.from.unresolved) continue;
      const image = stage.rootImage.tag ? `${stage.rootImage.name}:${stage.rootImage.tag}` : stage.rootImage.name;
      // The official node images ship a "node" user (uid 1000); other images need one created.
      const userFix = /(^|\/)node$/.test(stage.rootImage.name)
        ? 'add "USER node" (the official node images ship that user, uid 1000)'
        : /alpine/.test(`${stage.rootImage.name}:${stage.rootImage.tag ?? ''}`)
          ? 'create an unprivileged user (RUN addgroup -S app && adduser -S -G app app) and add "USER app"'
          : 'create an unprivileged user (RUN groupadd --system app && useradd --system --gid app app) and add "USER app"';
      if (!stage.user) {
        if (NON_ROOT_BASES.test(stage.rootImage.raw)) continue;
        report('noUser', stage.from.loc, { image, userFix });
      } else if (/^(root|0)(:.*)?$/.test(stage.user.value)) {
        report('rootUser', stage.user.loc, { user: stage.user.value, userFix });
      }
    }
  },
});
