import type { Loc, Located } from './location.js';

/**
 * GitHub Actions workflows. Filled by discover/workflows.ts. The fields below are the stable core
 * other areas rely on; the workflow discoverer adds what the ci/* rules need.
 */
export interface Workflow {
  path: string;
  name?: Located<string>;
  jobs: WorkflowJob[];
}

export interface WorkflowJob {
  id: Located<string>;
  steps: WorkflowStep[];
  loc: Loc;
}

export interface WorkflowStep {
  /** `uses: owner/action@ref` */
  uses?: Located<string>;
  /** `with:` inputs, by key, each at its own line. */
  with: Map<string, Located<string>>;
  /** `run:` script; its loc is the line of the `run:` key (the script starts on the next line for block scalars). */
  run?: Located<string>;
  loc: Loc;
}
