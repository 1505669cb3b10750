/** docker-compose files and Dependabot/Renovate configuration. Filled by discover/compose.ts and discover/dependency-updates.ts. */
export interface ComposeFile {
  path: string;
}

export interface DependencyUpdateConfig {
  path: string;
}
