import { isUnresolved, known } from '../../model/infra.js';
import { defineRule } from '../rule.js';
import { containerName, imageEnv, linkedContainers, related, linkedReport } from './_common.js';

/** ECS waits this long after SIGTERM before SIGKILL when stopTimeout is not set. */
const DEFAULT_STOP_TIMEOUT_S = 30;
/** Fargate accepts at most 120 seconds. */
const FARGATE_MAX_STOP_TIMEOUT_S = 120;
/** Headroom between the app's own deadline and SIGKILL: process exit, flushing logs, the last close(). */
const MARGIN_S = 5;

export default defineRule({
  id: 'ecs/stop-timeout',
  severity: 'high',
  title: 'Shutdown timeout not below the ECS stop timeout',
  messages: {
    tooShort: {
      message:
        'service \'{{service}}\' gives itself {{appSeconds}} s to shut down ({{appText}}), but {{container}} is killed {{stopSeconds}} s after SIGTERM ({{stopSource}}): in-flight requests and connection cleanup are cut off by SIGKILL',
      fix: 'set "stopTimeout" to at least {{suggested}} seconds (Fargate allows up to 120), or make the app\'s shutdown deadline shorter than {{limit}} s',
    },
    aboveFargateMax: {
      message: 'stopTimeout {{stopSeconds}} s of container \'{{name}}\' is above the Fargate maximum of 120 s; ECS rejects or caps it',
      fix: 'use a stopTimeout of at most 120 seconds and keep the app\'s shutdown deadline a few seconds below it',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const stop = container.stopTimeoutSeconds;
      if (stop && isUnresolved(stop.value)) continue;
      const stopSeconds = known(stop) ?? DEFAULT_STOP_TIMEOUT_S;
      if (task.fargate && stopSeconds > FARGATE_MAX_STOP_TIMEOUT_S) {
        report('aboveFargateMax', stop!.loc, { stopSeconds, name: containerName(container) });
        continue;
      }
      // The longest deadline the code sets, with an environment override read from the task or image.
      let longest: { ms: number; text: string; loc: typeof service.shutdownTimeouts[number]['loc'] } | undefined;
      let unknownDeadline = false;
      for (const t of service.shutdownTimeouts) {
        let ms = t.value;
        let text = t.text;
        if (t.env) {
          const set = container.environment.find((e) => e.name === t.env);
          const fromImage = imageEnv(service).get(t.env);
          const raw = set ? known(set.value) : fromImage;
          if (set && raw === undefined) unknownDeadline = true;
          else if (raw !== undefined && /^\d+$/.test(raw.trim())) {
            ms = Number(raw);
            text = `${t.text} with ${t.env}=${raw}`;
          } else if (!container.environmentComplete) unknownDeadline = true;
        }
        if (ms === undefined) continue;
        if (!longest || ms > longest.ms) longest = { ms, text, loc: t.loc };
      }
      if (!longest || unknownDeadline) continue;
      const appSeconds = longest.ms / 1000;
      if (appSeconds <= stopSeconds - MARGIN_S) continue;
      const suggested = Math.min(FARGATE_MAX_STOP_TIMEOUT_S, Math.ceil(appSeconds + 10));
      report(
        'tooShort',
        stop?.loc ?? container.loc,
        {
          service: service.name,
          appSeconds: Number(appSeconds.toFixed(1)),
          appText: `${longest.text} at ${longest.loc.file}:${longest.loc.line}`,
          container: label,
          stopSeconds,
          stopSource: stop ? 'its stopTimeout' : 'the ECS default, no stopTimeout set',
          suggested,
          limit: stopSeconds - MARGIN_S,
        },
        { related: [related(longest.loc, `the app's shutdown deadline: ${longest.text}`)] },
      );
    }
  },
});
