import type { DeploymentModel } from '../../model/index.js';

/** Database migrations: plain SQL, Drizzle, Prisma, Knex, TypeORM, node-pg-migrate. */
export async function discoverMigrations(model: DeploymentModel): Promise<void> {
  void model;
}
