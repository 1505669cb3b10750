/** GitHub Actions workflows. Filled by discover/workflows.ts. */
export interface Workflow {
  path: string;
}
