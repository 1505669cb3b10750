import { isUnresolved } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { infraOf } from '../ecs/_common.js';

/** AWS Elastic Load Balancing quotas for listener rules. */
const MAX_VALUES_PER_RULE = 5;
const MAX_WILDCARDS_PER_RULE = 5;
const MAX_VALUES_PER_CONDITION = 3;

export default defineRule({
  id: 'aws/alb-rule-limits',
  severity: 'high',
  title: 'Listener rule exceeds ALB condition limits',
  messages: {
    valuesPerRule: {
      message: 'this listener rule has {{count}} condition values ({{values}}); an ALB rule accepts at most 5 match evaluations, so creating or updating it fails at apply time',
      fix: 'split the rule into several rules (each with at most 5 values, same target group, different priorities), or use broader patterns such as "/api/*"',
    },
    wildcardsPerRule: {
      message: 'this listener rule uses {{count}} wildcards (* and ?) across its conditions ({{values}}); an ALB rule accepts at most 5, so the apply fails',
      fix: 'split the rule into several rules, or replace several patterns by one broader pattern',
    },
    valuesPerCondition: {
      message: 'this {{field}} condition lists {{count}} values ({{values}}); AWS documents a limit of 3 match evaluations per condition',
      fix: 'keep at most 3 values per condition: split the rule, or use a broader pattern',
    },
  },
  check(model, report) {
    for (const rule of infraOf(model).listenerRules) {
      const values = rule.conditions.flatMap((c) => c.values);
      const literal = values.map((v) => v.value).filter((v): v is string => !isUnresolved(v));
      // Counts are lower bounds when some values are expressions: over the limit is still over it.
      const first = rule.conditions.find((c) => c.values.length > 0);
      if (!first) continue;
      const loc = rule.conditions.length === 1 ? first.loc : rule.loc;
      const shown = (list: string[]) => list.map((v) => JSON.stringify(v)).join(', ');
      let high = false;
      if (values.length > MAX_VALUES_PER_RULE) {
        report('valuesPerRule', loc, { count: values.length, values: shown(literal) }, { key: `${rule.resourceName}:values` });
        high = true;
      }
      const wildcards = rule.conditions
        .filter((c) => c.field === 'path-pattern' || c.field === 'host-header' || c.field === 'http-header' || c.field === 'query-string')
        .flatMap((c) => c.values)
        .map((v) => (isUnresolved(v.value) ? 0 : (v.value.match(/[*?]/g) ?? []).length))
        .reduce((a, b) => a + b, 0);
      if (wildcards > MAX_WILDCARDS_PER_RULE) {
        report('wildcardsPerRule', loc, { count: wildcards, values: shown(literal) }, { key: `${rule.resourceName}:wildcards` });
        high = true;
      }
      if (high) continue;
      for (const condition of rule.conditions) {
        if (condition.values.length <= MAX_VALUES_PER_CONDITION) continue;
        report('valuesPerCondition', condition.loc, {
          field: condition.field,
          count: condition.values.length,
          values: shown(condition.values.map((v) => v.value).filter((v): v is string => !isUnresolved(v))),
        }, { severity: 'low' });
      }
    }
  },
});
