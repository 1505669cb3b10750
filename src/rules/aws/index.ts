import type { Rule } from '../rule.js';
import albHttpOnly from './alb-http-only.js';
import albRuleLimits from './alb-rule-limits.js';
import iamWildcard from './iam-wildcard.js';
import targetTypeNotIp from './target-type-not-ip.js';

export const awsRules: Rule[] = [albHttpOnly, albRuleLimits, iamWildcard, targetTypeNotIp];
