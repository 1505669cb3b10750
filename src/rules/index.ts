import type { Rule } from './rule.js';
import { repoRules } from './repo/index.js';
import { dockerRules } from './docker/index.js';
import { ciRules } from './ci/index.js';
import { composeRules } from './compose/index.js';
import { srcRules } from './src/index.js';
import { ecsRules } from './ecs/index.js';
import { awsRules } from './aws/index.js';
import { migrationRules } from './migrations/index.js';

/** Every rule, in catalog order. Each area keeps its own list in rules/<area>/index.ts. */
export const allRules: Rule[] = [
  ...repoRules,
  ...dockerRules,
  ...ciRules,
  ...composeRules,
  ...srcRules,
  ...ecsRules,
  ...awsRules,
  ...migrationRules,
];

export function findRule(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
