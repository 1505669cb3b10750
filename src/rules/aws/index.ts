import type { Rule } from '../rule.js';
import albHttpOnly from './alb-http-only.js';
import albRuleLimits from './alb-rule-limits.js';
import iamWildcard from './iam-wildcard.js';

export const awsRules: Rule[] = [albHttpOnly, albRuleLimits, iamWildcard];
