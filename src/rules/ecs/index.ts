import type { Rule } from '../rule.js';

export const ecsRules: Rule[] = [];
