import type { FileIndex } from '../discover/files.js';
import type { ComposeFile, DependencyUpdateConfig } from './compose.js';
import type { Dockerfile, DockerIgnore } from './docker.js';
import type { InfraModel } from './infra.js';
import type { MigrationFile, MigrationScope } from './migrations.js';
import type { PrismaSchema } from './prisma.js';
import type { NodeVersionFile, PackageJson, Project } from './packages.js';
import type { ArtifactProblem } from './problems.js';
import type { EnvFile, GitFacts, SecretCandidate } from './repo.js';
import type { Service } from './source.js';
import type { Workflow } from './workflow.js';

export type { Loc, Located } from './location.js';

/**
 * One model of the deployment, built once by the discoverers. Rules read this and nothing else.
 */
export interface DeploymentModel {
  /** Absolute path of the audited folder. */
  root: string;
  /**
   * The date time-dependent rules judge against (Node end-of-life, waiver expiry): today, or the
   * date given with SHIPREADY_TODAY / the audit options, so that reports can be reproduced.
   */
  today: Date;
  files: FileIndex;
  /** Undefined when the folder is not in a git work tree. */
  git?: GitFacts;
  packages: PackageJson[];
  projects: Project[];
  nodeVersionFiles: NodeVersionFile[];
  dockerfiles: Dockerfile[];
  /** .dockerignore files by repo-relative path. */
  dockerignores: Map<string, DockerIgnore>;
  envFiles: EnvFile[];
  secretCandidates: SecretCandidate[];
  workflows: Workflow[];
  compose: ComposeFile[];
  dependencyUpdates: DependencyUpdateConfig[];
  services: Service[];
  infra: InfraModel;
  /** The pending migrations (those the next deploy runs), parsed; applied ones are only counted in migrationScope. */
  migrations: MigrationFile[];
  /** How pending migrations were chosen; undefined when the repository has none. */
  migrationScope?: MigrationScope;
  /** Prisma schemas with their generator blocks (binaryTargets, output). */
  prismaSchemas: PrismaSchema[];
  /** Files that were needed and could not be used. */
  problems: ArtifactProblem[];
}
