import { defineRule } from '../rule.js';

export default defineRule({
  id: 'migrations/parse-error',
  severity: 'high',
  title: 'Migration SQL does not parse as PostgreSQL',
  messages: {
    parse: {
      message: 'PostgreSQL cannot parse this statement ({{error}}), so the migration would fail here at deploy time; shipready could not check it either',
      fix: 'fix the SQL at this line (run it against a local PostgreSQL of the production version to see the same error); if the file is for another database, keep it out of the PostgreSQL migrations folder',
    },
  },
  check({ migrations }, report) {
    for (const file of migrations) {
      for (const error of file.parseErrors) {
        report('parse', error.loc, { error: error.message }, {
          group: { key: `parse\u0000${file.path}` },
          ...(file.pending.basis === 'newest' ? { assumes: file.pending.why } : {}),
        });
      }
    }
  },
});
