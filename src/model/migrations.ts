/** Database migrations. Filled by discover/migrations/. */
export interface MigrationFile {
  path: string;
}
