import type { Rule } from '../rule.js';

export const migrationRules: Rule[] = [];
