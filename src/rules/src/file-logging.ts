import { defineRule } from '../rule.js';

export default defineRule({
  id: 'src/file-logging',
  severity: 'medium',
  title: 'Logs written to files inside the container',
  messages: {
    file: {
      message: '{{library}} writes logs to {{target}} inside the container: Fargate ships only stdout/stderr to CloudWatch, the file is lost when the task stops and grows on the task\'s ephemeral storage{{console}}',
      fix: 'log to stdout (winston.transports.Console, pino default destination); the awslogs or FireLens log driver collects it. Keep file transports for local development only',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      for (const log of service.logFiles) {
        const key = `${log.loc.file}:${log.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report(
          'file',
          log.loc,
          { library: log.library, target: log.target ? `"${log.target}"` : 'a file', console: log.alsoConsole ? ' (the console transport next to it still reaches CloudWatch)' : '' },
          log.alsoConsole ? { severity: 'low' } : {},
        );
      }
    }
  },
});
