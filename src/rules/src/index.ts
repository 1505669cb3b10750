import type { Rule } from '../rule.js';

export const srcRules: Rule[] = [];
