import { posix } from 'node:path';
import type { EnvFile } from '../../model/repo.js';
import { defineRule } from '../rule.js';

/**
 * Set by Node, the OS, the container runtime or ECS itself: nobody configures them, so an example
 * file need not list them.
 */
const PLATFORM_VARIABLES = /^(NODE_ENV|TZ|HOME|PATH|PWD|HOSTNAME|USER|SHELL|CI|DEBUG|npm_.*|AWS_REGION|AWS_DEFAULT_REGION|AWS_EXECUTION_ENV|AWS_CONTAINER_.*|ECS_CONTAINER_METADATA_URI(_V4)?|NODE_OPTIONS|NODE_TLS_REJECT_UNAUTHORIZED|NODE_EXTRA_CA_CERTS|VITEST|JEST_WORKER_ID)$/;

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
  title: 'Variable read by the code missing from .env.example',
  messages: {
    missing: {
      message: '{{name}} is read here ({{via}}, {{required}}) but {{example}} does not list it: whoever sets up the service or its task definition from that file will not know it exists',
      fix: 'add "{{name}}=" to {{example}} with a comment saying what it is for and whether production needs it',
    },
  },
  check(model, report) {
    const examples = model.envFiles.filter((f) => f.isExample);
    if (examples.length === 0) return;
    const reported = new Set<string>();
    for (const service of model.services) {
      if (service.kind === 'frontend') continue;
      const example = exampleFor(examples, service.dir);
      if (!example) continue;
      const listed = new Set(example.keys.map((k) => k.name));
      for (const read of service.env) {
        if (listed.has(read.name) || PLATFORM_VARIABLES.test(read.name)) continue;
        const key = `${example.path}:${read.name}`;
        if (reported.has(key)) continue;
        reported.add(key);
        report(
          'missing',
          read.loc,
          { name: read.name, via: read.via, required: read.required ? 'required' : read.defaultValue !== undefined ? `optional, default ${read.defaultValue}` : 'optional', example: example.path },
          { related: [{ file: example.path, line: 1, message: `${example.path} lists ${example.keys.length} variable${example.keys.length === 1 ? '' : 's'}, not ${read.name}` }], key: `${example.path}:${read.name}`, ...(read.required ? {} : { severity: 'low' }) },
        );
      }
    }
  },
});
