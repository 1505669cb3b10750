import { defineRule } from '../rule.js';
import { migrationSequence } from '../../discover/migrations/pending.js';

export default defineRule({
  id: 'migrations/applied-not-checked',
  severity: 'info',
  title: 'Migrations taken as already applied are not checked',
  messages: {
    notChecked: {
      message:
        '{{count}} migration file(s) are taken as already applied and were not checked ({{folders}}); checked: {{judged}}, the pending ones: {{basis}}',
      fix: 'nothing to do when they have run in production: history cannot be changed. To check them anyway, run `shipready migrations --all-migrations`; to compare with another base, pass --since <ref>',
    },
  },
  check({ migrationScope }, report) {
    if (!migrationScope || migrationScope.notJudged.length === 0) return;
    const byFolder = new Map<string, string[]>();
    for (const path of migrationScope.notJudged) {
      const { folder } = migrationSequence(path);
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), path]);
    }
    const folders = [...byFolder].map(([folder, paths]) => `${paths.length} in ${folder || '.'}/`);
    report('notChecked', undefined, {
      count: migrationScope.notJudged.length,
      folders: folders.slice(0, 4).join(', ') + (folders.length > 4 ? `, and ${folders.length - 4} more folders` : ''),
      judged: migrationScope.judged.length ? migrationScope.judged.join(', ') : 'none',
      basis: migrationScope.description,
    }, {
      // Each folder's newest applied migration: where the history this finding speaks of ends.
      related: [...byFolder].map(([folder, paths]) => ({ file: paths[paths.length - 1], line: 1, message: `the newest of ${paths.length} applied migration(s) in ${folder || '.'}/` })),
      key: 'applied-migrations',
    });
  },
});
