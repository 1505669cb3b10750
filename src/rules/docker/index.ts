import type { Rule } from '../rule.js';
import runsAsRoot from './runs-as-root.js';

export const dockerRules: Rule[] = [runsAsRoot];
