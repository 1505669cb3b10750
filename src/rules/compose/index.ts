import type { Rule } from '../rule.js';

export const composeRules: Rule[] = [];
