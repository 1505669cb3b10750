import { resolve } from 'node:path';
import type { DeploymentModel } from '../model/index.js';
import { FileIndex } from './files.js';
import { discoverPackages } from './packages.js';
import { discoverDockerfiles } from './dockerfiles.js';
import { discoverPrisma } from './prisma.js';
import { discoverEnvFiles, discoverGit, discoverSecrets } from './repo.js';
import { discoverWorkflows } from './workflows.js';
import { discoverCompose } from './compose.js';
import { discoverDependencyUpdates } from './dependency-updates.js';
import { discoverSources } from './source/index.js';
import { discoverInfra } from './infra/index.js';
import { emptyInfraModel } from '../model/infra.js';
import { discoverMigrations, type MigrationSelection } from './migrations/index.js';

/**
 * A discoverer turns files into model objects. It never judges: rules do. Discoverers run in this
 * order; later ones may refine what earlier ones found (a workflow names the build context of a
 * Dockerfile, a task definition names the service it runs).
 */
export type Discoverer = (model: DeploymentModel, options: DiscoverOptions) => void | Promise<void>;

export interface DiscoverOptions {
  /** The date time-dependent rules judge against; SHIPREADY_TODAY or now by default. */
  today?: Date;
  /** Which migrations to read and judge (`shipready migrations` paths, --since, --all-migrations). */
  migrations?: MigrationSelection;
}

export const discoverers: { name: string; run: Discoverer }[] = [
  { name: 'packages', run: discoverPackages },
  { name: 'dockerfiles', run: discoverDockerfiles },
  { name: 'prisma', run: discoverPrisma },
  { name: 'env-files', run: discoverEnvFiles },
  { name: 'git', run: discoverGit },
  { name: 'secrets', run: discoverSecrets },
  { name: 'workflows', run: discoverWorkflows },
  { name: 'compose', run: discoverCompose },
  { name: 'dependency-updates', run: discoverDependencyUpdates },
  { name: 'source', run: discoverSources },
  { name: 'infra', run: discoverInfra },
  { name: 'migrations', run: discoverMigrations },
];

export function emptyModel(root: string, files: FileIndex, today: Date = new Date()): DeploymentModel {
  return {
    root,
    today,
    files,
    packages: [],
    projects: [],
    nodeVersionFiles: [],
    dockerfiles: [],
    dockerignores: new Map(),
    envFiles: [],
    secretCandidates: [],
    workflows: [],
    compose: [],
    dependencyUpdates: [],
    services: [],
    infra: emptyInfraModel(),
    migrations: [],
    prismaSchemas: [],
    problems: [],
  };
}

export interface DiscoverTiming {
  name: string;
  ms: number;
}

/** Walks the folder once and builds the deployment model. Never executes or writes anything in it. */
export async function discover(rootDir: string, options: DiscoverOptions = {}): Promise<{ model: DeploymentModel; timings: DiscoverTiming[] }> {
  const root = resolve(rootDir);
  const timings: DiscoverTiming[] = [];
  let t = performance.now();
  const files = new FileIndex(root);
  timings.push({ name: 'files', ms: performance.now() - t });
  const model = emptyModel(root, files, options.today ?? todayFromEnvironment() ?? new Date());
  for (const d of discoverers) {
    t = performance.now();
    try {
      await d.run(model, options);
    } catch (err) {
      // A discoverer bug must not cost the user the rest of the audit; it is reported as a problem.
      model.problems.push({
        kind: 'parse-error',
        artifact: d.name,
        message: `internal error while reading ${d.name}: ${err instanceof Error ? err.message : String(err)}`,
        loc: { file: '.', line: 1 },
      });
    }
    timings.push({ name: d.name, ms: performance.now() - t });
  }
  for (const p of files.problems) {
    if (model.problems.some((q) => q.loc.file === p.file && q.kind === p.kind)) continue;
    model.problems.push({ kind: p.kind, artifact: 'file', message: p.message, loc: { file: p.file, line: 1 } });
  }
  return { model, timings };
}

/** SHIPREADY_TODAY=YYYY-MM-DD pins the date time-dependent rules use (reproducible reports and tests). */
export function todayFromEnvironment(): Date | undefined {
  const value = process.env.SHIPREADY_TODAY;
  if (!value) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
