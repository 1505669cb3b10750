import { finalStage } from '../../model/docker.js';
import { defineRule } from '../rule.js';


/**
 * Images whose default user is not root, so no USER line is needed: distroless `:nonroot`, `*-nonroot`
 * tags, Docker Hardened Images (dhi.io) and Chainguard (cgr.dev) images except their `-dev` variants.
 * The analysis layer's nonRootByDefault says the same with a reason; this form matches a raw FROM.
 */
export const NON_ROOT_BASES = /(^|\/)(distroless\/.*:nonroot|.*-nonroot)$|^gcr\.io\/distroless\/.*:(nonroot|debug-nonroot)|^(dhi\.io|cgr\.dev)\/[^:]+(:(?![\w.${}-]*(^|-)dev($|-))[\w.${}-]+)?$/;

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
    // Node images only: nginx and httpd start as root to bind port 80 and drop their workers to an
    // unprivileged user, and other-language images (a Python or Go tool) are not the services this audits.
    for (const dockerfile of analysis.scope.nodeDockerfiles()) {
      const stage = finalStage(dockerfile);
      // FROM ${BASE_IMAGE} without a default: the image passed in decides the user.
      if (!stage || stage.rootImage.unresolved) continue;
      const image = stage.rootImage.tag ? `${stage.rootImage.name}:${stage.rootImage.tag}` : stage.rootImage.name;
      // The official node images ship a "node" user (uid 1000); other images need one created.
      const userFix = /(^|\/)node$/.test(stage.rootImage.name)
        ? 'add "USER node" (the official node images ship that user, uid 1000)'
        : /alpine/.test(`${stage.rootImage.name}:${stage.rootImage.tag ?? ''}`)
          ? 'create an unprivileged user (RUN addgroup -S app && adduser -S -G app app) and add "USER app"'
          : 'create an unprivileged user (RUN groupadd --system app && useradd --system --gid app app) and add "USER app"';
      if (!stage.user) {
        // A hardened base image's own user, or USER of the repository's own parent image, carries over.
        const inherited = analysis.scope.inheritedUser(dockerfile);
        if (inherited && !inherited.root) continue;
        if (NON_ROOT_BASES.test(stage.rootImage.raw)) continue;
        report('noUser', stage.from.loc, { image, userFix });
      } else if (/^(root|0)(:.*)?$/.test(stage.user.value)) {
        report('rootUser', stage.user.loc, { user: stage.user.value, userFix });
      }
    }
  },
});
