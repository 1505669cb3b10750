import type { Rule } from '../rule.js';
import productionReadiness from './production-readiness.js';

export const composeRules: Rule[] = [productionReadiness];
