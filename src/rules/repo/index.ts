import type { Rule } from '../rule.js';
import parseError from './parse-error.js';

export const repoRules: Rule[] = [parseError];
