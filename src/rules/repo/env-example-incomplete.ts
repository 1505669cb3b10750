import { posix } from 'node:path';
import type { EnvFile } from '../../model/repo.js';
import { defineRule } from '../rule.js';

/**
 * Set by Node, the OS, the container runtime, ECS, the AWS SDK's credential chain or a hosting
 * platform: nobody configures them for the service, so an example file need not list them.
 */
const PLATFORM_VARIABLES = /^(NODE_ENV|TZ|HOME|PATH|PWD|HOSTNAME|USER|SHELL|TERM|LANG|CI|DEBUG|npm_.*|AWS_REGION|AWS_DEFAULT_REGION|AWS_EXECUTION_ENV|AWS_CONTAINER_.*|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE|AWS_ROLE_ARN|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_LAMBDA_.*|LAMBDA_TASK_ROOT|ECS_CONTAINER_METADATA_URI(_V4)?|NODE_OPTIONS|NODE_TLS_REJECT_UNAUTHORIZED|NODE_EXTRA_CA_CERTS|NODE_DEBUG|UV_THREADPOOL_SIZE|VITEST|JEST_WORKER_ID|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|GITHUB_.*|RUNNER_.*|HEROKU_.*|DYNO|VERCEL(_.*)?|NETLIFY|RENDER(_.*)?|FLY_.*|RAILWAY_.*|K_SERVICE|K_REVISION|KUBERNETES_.*)$/i;

/** The example file that documents a service's variables: the nearest one in its folder or above. */
function exampleFor(examples: EnvFile[], dir: string): EnvFile | undefined {
  let d = dir;
  for (;;) {
    const here = examples.filter((e) => (posix.dirname(e.path) === '.' ? '' : posix.dirname(e.path)) === d);
    if (here.length) return here.sort((a, b) => a.path.length - b.path.length)[0];
    if (d === '') return undefined;
    d = posix.dirname(d) === '.' ? '' : posix.dirname(d);
  }
}

export default defineRule({
  id: 'repo/env-example-incomplete',
  severity: 'medium',
  title: 'Variable the code requires missing from .env.example',
  messages: {
    missing: {
      message: '{{name}} is {{required}} ({{via}}) but {{example}} does not list it, nor does any other example env file of the repository: whoever sets up the service or its task definition from that file will not know it exists',
      fix: 'add "{{name}}=" to {{example}} with a comment saying what it is for (a commented "# {{name}}=" line documents an optional one)',
    },
  },
  check(model, report, analysis) {
    const examples = model.envFiles.filter((f) => f.isExample);
    if (examples.length === 0) return;
    // Documented anywhere counts: a library's variables are often listed in the example of the app that sets them.
    const documented = new Set(examples.flatMap((e) => e.keys.map((k) => k.name)));
    const reported = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend' || analysis.scope.serviceOutside(service)) continue;
      const example = exampleFor(examples, service.dir);
      if (!example) continue;
      for (const read of service.env) {
        // Only a variable the code cannot run without belongs on the list: an optional one has a default or a check.
        if (!read.required || documented.has(read.name) || PLATFORM_VARIABLES.test(read.name)) continue;
        if (analysis.scope.nonProductionPath(read.loc.file)) continue;
        const key = `${example.path}:${read.name}`;
        if (reported.has(key)) continue;
        reported.add(key);
        report(
          'missing',
          read.loc,
          { name: read.name, via: read.via, required: read.enforced ? 'required: the code stops without it' : 'read with no default', example: example.path },
          {
            related: [{ file: example.path, line: 1, message: `${example.path} lists ${example.keys.length} variable${example.keys.length === 1 ? '' : 's'}, not ${read.name}` }],
            key,
            group: { key: example.path, label: read.name },
            // A plain read with no default may still be optional (an SDK that accepts undefined): only a stop proves it is needed.
            ...(read.enforced ? {} : { severity: 'low' as const }),
          },
        );
      }
    }
  },
});
