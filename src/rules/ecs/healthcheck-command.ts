import type { Stage } from '../../model/docker.js';
import { isUnresolved } from '../../model/infra.js';
import { splitShell } from '../../model/shell.js';
import { defineRule } from '../rule.js';
import { healthCheckUrls, linkedContainers, related, linkedReport } from './_common.js';

type ImageKind = 'alpine' | 'slim' | 'distroless' | 'full';

/** What the final image ships, from its base image name and tag; undefined for images the name does not tell. */
function imageKind(stage: Stage): ImageKind | undefined {
  const root = stage.rootImage;
  if (root.unresolved) return undefined;
  const name = root.name.toLowerCase();
  const tag = (root.tag ?? 'latest').toLowerCase();
  const registry = (root.registry ?? '').toLowerCase();
  if (name.includes('distroless') || registry === 'cgr.dev' || name.startsWith('chainguard/')) return 'distroless';
  if (name === 'alpine' || tag.includes('alpine')) return 'alpine';
  if (name === 'node' || name === 'debian' || name === 'ubuntu') return tag.includes('slim') ? 'slim' : name === 'ubuntu' ? 'slim' : 'full';
  return undefined;
}

/** Does the image have this program? BusyBox in Alpine has wget but not curl; slim and distroless have neither. */
function hasProgram(kind: ImageKind, stage: Stage, program: string): boolean {
  if (stage.osPackages.some((p) => p.value.split('=')[0] === program)) return true;
  if (kind === 'full') return true;
  if (kind === 'alpine') return program === 'wget' || program === 'nc';
  return false;
}

const KIND_TEXT: Record<ImageKind, string> = {
  alpine: 'an Alpine image (BusyBox: wget, no curl)',
  slim: 'a slim image (neither curl nor wget)',
  distroless: 'a distroless image (no shell, no curl, no wget)',
  full: 'a full Debian image',
};

export default defineRule({
  id: 'ecs/healthcheck-command',
  severity: 'high',
  title: 'Container health check can never pass',
  messages: {
    noPrefix: {
      message: 'container \'{{container}}\' health check command {{command}} does not start with "CMD" or "CMD-SHELL": ECS requires one of them as the first element, so the check never runs as written and the container is never reported HEALTHY',
      fix: 'write ["CMD-SHELL", "{{joined}}"] (one shell string) or ["CMD", "program", "arg", …] (one element per argument)',
    },
    shellSplit: {
      message: 'container \'{{container}}\' health check is CMD-SHELL followed by {{count}} elements {{command}}: the shell runs only the first one ("{{first}}") as its script and passes the rest as $0, $1…, so the probe runs without its arguments and fails',
      fix: 'join the command into one string: ["CMD-SHELL", "{{joined}}"]',
    },
    execOneString: {
      message: 'container \'{{container}}\' health check is CMD with the single string "{{first}}": CMD executes it as one program name (spaces and || included), which does not exist, so the check always fails',
      fix: 'use ["CMD-SHELL", "{{first}}"], or split it into ["CMD", "program", "arg", …] without shell operators',
    },
    missingBinary: {
      message: 'container \'{{container}}\' health check runs {{program}}, but the image is built FROM {{image}} ({{dockerfile}}:{{line}}), {{kind}}, and no stage installs {{program}}: the probe fails with "{{program}}: not found" and ECS replaces the task again and again while the app works',
      fix: '{{fixText}}',
    },
    noShell: {
      message: 'container \'{{container}}\' health check uses CMD-SHELL, but the image is built FROM {{image}} ({{dockerfile}}:{{line}}), {{kind}}: there is no /bin/sh to run it, so the check always fails',
      fix: 'use an exec-form check with the node binary: ["CMD", "/nodejs/bin/node", "-e", "require(\'http\').get(\'http://127.0.0.1:PORT/health\', r => process.exit(r.statusCode === 200 ? 0 : 1)).on(\'error\', () => process.exit(1))"] (the node path of your image)',
    },
    busyboxLocalhost: {
      message: 'container \'{{container}}\' health check calls BusyBox wget on {{url}} in an Alpine image ({{dockerfile}}:{{line}}), while the app listens on {{host}} only ({{listenAt}}): musl resolves localhost to ::1 first and BusyBox wget does not fall back to 127.0.0.1, so the probe gets "Connection refused"',
      fix: 'probe http://127.0.0.1 instead of localhost, or listen on :: (all addresses, IPv4 and IPv6)',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { task, container, service } = linked;
      const report = linkedReport(reportAny, linked);
      const hc = container.healthCheck;
      if (!hc || isUnresolved(hc.command.value)) continue;
      const cmd = hc.command.value;
      if (cmd.length === 0) continue;
      const name = container.name && !isUnresolved(container.name.value) ? container.name.value : 'unnamed';
      const key = `${task.file}:${task.resourceName}:${name}:healthcheck-command`;
      const quoted = JSON.stringify(cmd);
      const head = cmd[0].toUpperCase();
      if (head === 'NONE') continue;
      if (head !== 'CMD' && head !== 'CMD-SHELL') {
        report('noPrefix', hc.command.loc, { container: name, command: quoted, joined: cmd.join(' ').replace(/"/g, '\\"') }, { key });
        continue;
      }
      const rest = cmd.slice(1);
      if (rest.length === 0) continue;
      if (head === 'CMD-SHELL' && rest.length > 1) {
        report('shellSplit', hc.command.loc, { container: name, count: rest.length, command: quoted, first: rest[0], joined: rest.join(' ').replace(/"/g, '\\"') }, { key });
        continue;
      }
      if (head === 'CMD' && rest.length === 1 && /\s/.test(rest[0].trim())) {
        report('execOneString', hc.command.loc, { container: name, first: rest[0] }, { key });
        continue;
      }
      // The image: only when the service is built by exactly one Dockerfile.
      if (service.dockerfiles.length !== 1) continue;
      const dockerfile = service.dockerfiles[0];
      const stage = dockerfile.stages[dockerfile.stages.length - 1];
      if (!stage) continue;
      const kind = imageKind(stage);
      if (!kind) continue;
      const image = stage.rootImage.raw;
      const fromLoc = stage.from.loc;
      const imageData = { container: name, image, dockerfile: dockerfile.path, line: fromLoc.line, kind: KIND_TEXT[kind] };
      const imageRelated = [related(fromLoc, `final stage of the image: ${image}`)];
      if (head === 'CMD-SHELL' && kind === 'distroless') {
        report('noShell', hc.command.loc, imageData, { related: imageRelated, key });
        continue;
      }
      const programs = head === 'CMD' ? [rest[0].split('/').pop()!] : splitShell(rest[0]).map((c) => (c.argv[0] ?? '').split('/').pop()!);
      const probe = programs.find((p) => p === 'curl' || p === 'wget');
      if (!probe) continue;
      // A worker should not be probed over HTTP at all (ecs/healthcheck says so): installing curl is not the fix.
      if (service.kind === 'worker') continue;
      if (!hasProgram(kind, stage, probe)) {
        const fixText =
          kind === 'alpine' && probe === 'curl'
            ? 'use BusyBox wget, which Alpine has: ["CMD-SHELL", "wget -qO- http://127.0.0.1:PORT/health || exit 1"], or add RUN apk add --no-cache curl to the final stage'
            : `add ${probe} to the final stage (RUN apt-get update && apt-get install -y --no-install-recommends ${probe}), or probe with node: ["CMD", "node", "-e", "require('http').get('http://127.0.0.1:PORT/health', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]`;
        report('missingBinary', hc.command.loc, { ...imageData, program: probe, fixText }, { related: imageRelated, key });
        continue;
      }
      // BusyBox wget (not GNU wget from apk) against localhost, with an IPv4-only listener.
      if (kind === 'alpine' && probe === 'wget' && !stage.osPackages.some((p) => p.value === 'wget')) {
        const url = healthCheckUrls(rest).find((u) => u.host === 'localhost');
        const ipv4Only = service.servers.find((s) => s.host && s.host.value === '0.0.0.0' && !s.hostEnv);
        if (url && ipv4Only && service.servers.every((s) => s.host?.value === '0.0.0.0')) {
          report(
            'busyboxLocalhost',
            hc.command.loc,
            { ...imageData, url: `http://localhost${url.port ? ':' + url.port : ''}${url.path}`, host: '0.0.0.0', listenAt: `${ipv4Only.host!.loc.file}:${ipv4Only.host!.loc.line}` },
            { related: [...imageRelated, related(ipv4Only.host!.loc, 'the server listens on 0.0.0.0 (IPv4 only)')], key },
          );
        }
      }
    }
  },
});
