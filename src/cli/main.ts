import { Command, CommanderError, Option } from 'commander';
import { runAuditCommand } from '../commands/audit.js';
import { runRulesCommand } from '../commands/rules.js';
import { runExplainCommand } from '../commands/explain.js';
import { runMigrationsCommand } from '../commands/migrations.js';
import { formatters } from '../report/index.js';
import { VERSION } from '../version.js';
import { UsageError } from './errors.js';

/** Exit codes: 0 below the threshold, 1 at or above it, 2 for a usage error. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('shipready')
    .description('Finds every reason a Node.js/TypeScript service will fail on AWS ECS Fargate, before you deploy.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('audit')
    .description('audit a repository (static: never runs or writes its code)')
    .argument('[dir]', 'repository folder', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(formatters)).default('text'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when an unwaived finding is at or above this severity (default: the config file\'s failOn, else high)').choices([
        'critical',
        'high',
        'medium',
        'low',
        'info',
      ]),
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--report <format=file>', 'also write a report in another format, e.g. sarif=shipready.sarif (repeatable)', (spec: string, all: string[] = []) => [...all, spec])
    .option('--markdown-summary <file>', 'append the Markdown report to a file, e.g. $GITHUB_STEP_SUMMARY')
    .option('--config <file>', 'config file (default: shipready.config.json or .shipready.yml in the audited folder)')
    .option('--no-config', 'ignore any config file: no waivers, overrides or disabled rules')
    .option('--baseline <report.json>', 'an earlier JSON report: mark findings new or still open, and list the fixed ones')
    .option('--write-baseline <file>', 'write this run\'s JSON report to a file, for a later --baseline')
    .option('--since <ref>', 'migrations added or changed since this git ref are the pending ones (default: found from git, see docs/migrations.md)')
    .option('--all-migrations', 'check every migration, including those taken as already applied')
    .option('--no-group', 'list every place of a root cause as a finding of its own (default: one finding per cause, the other places under related)')
    .option('-v, --verbose', 'print timings')
    .action(async (dir: string, opts) => {
      exitCode = await runAuditCommand(dir, opts);
    });

  program
    .command('rules')
    .description('list every rule with its id, severity and title')
    .addOption(new Option('-f, --format <format>').choices(['text', 'json']).default('text'))
    .action((opts) => {
      exitCode = runRulesCommand(opts);
    });

  program
    .command('explain')
    .description("print a rule's documentation")
    .argument('<ruleId>', 'rule id, e.g. docker/runs-as-root')
    .action((ruleId: string) => {
      exitCode = runExplainCommand(ruleId);
    });

  program
    .command('migrations')
    .description('check PostgreSQL migrations for destructive and locking operations (run from the repository root)')
    .argument('[paths...]', 'migration files or folders (default: every migration found)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--pg-version <version>', 'PostgreSQL version the database runs, e.g. 13 (default: a postgres image in a compose file, else 15)')
    .option('--labels <labels>', `comma-separated pull-request labels (default: the GitHub event's); migration-destructive-approved approves destructive operations`)
    .option('--since <ref>', 'check the migrations added or changed since this git ref (default: since the pull request\'s base, the push\'s previous commit or the merge base with origin\'s default branch; without git, the newest of each folder)')
    .option('--all-migrations', 'check every migration, including those taken as already applied')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when an unapproved finding is at or above this severity (default high)').choices(['critical', 'high', 'medium', 'low', 'info']))
    .option('--config <file>', 'config file with waivers (default: the one in the current folder)')
    .option('--no-config', 'ignore any config file')
    .action(async (paths: string[], opts) => {
      exitCode = await runMigrationsCommand(paths, opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`shipready: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return exitCode;
}
