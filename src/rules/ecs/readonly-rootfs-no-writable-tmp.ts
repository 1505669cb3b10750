import { posix } from 'node:path';
import { finalStage } from '../../model/docker.js';
import { known, type ContainerDefinition } from '../../model/infra.js';
import type { Service } from '../../model/source.js';
import { defineRule, type RelatedLocation } from '../rule.js';
import { containerName, imageEnv, linkedContainers, related, linkedReport } from './_common.js';

/**
 * Packages that write files under os.tmpdir() (/tmp) whatever the app passes them, or under the
 * app folder. Packages that only write where the app tells them (multer's `dest`, sharp) are not
 * listed: the audit cannot prove they write.
 */
const WRITERS: Record<string, { what: string; path: 'tmp' | '.next/cache' }> = {
  tmp: { what: 'creates its temporary files and folders in os.tmpdir()', path: 'tmp' },
  'tmp-promise': { what: 'creates its temporary files and folders in os.tmpdir()', path: 'tmp' },
  temp: { what: 'creates its temporary files in os.tmpdir()', path: 'tmp' },
  tempy: { what: 'creates its temporary files in os.tmpdir()', path: 'tmp' },
  'temp-write': { what: 'writes its files in os.tmpdir()', path: 'tmp' },
  formidable: { what: 'stores uploaded files in os.tmpdir() unless uploadDir is set', path: 'tmp' },
  'connect-multiparty': { what: 'stores uploaded files in os.tmpdir()', path: 'tmp' },
  puppeteer: { what: 'starts Chrome with a profile folder created in os.tmpdir()', path: 'tmp' },
  'puppeteer-core': { what: 'starts Chrome with a profile folder created in os.tmpdir()', path: 'tmp' },
  playwright: { what: 'starts browsers with profile and artifact folders in os.tmpdir()', path: 'tmp' },
  'playwright-core': { what: 'starts browsers with profile and artifact folders in os.tmpdir()', path: 'tmp' },
  '@sparticuz/chromium': { what: 'unpacks Chromium into /tmp at start', path: 'tmp' },
  'libreoffice-convert': { what: 'converts through temporary files in os.tmpdir()', path: 'tmp' },
  next: { what: 'writes its image-optimisation and ISR cache to .next/cache', path: '.next/cache' },
};

/** A writable mount (volume or tmpfs) at this path or above it; undefined when the mounts are unknown. */
function writableAt(container: ContainerDefinition, path: string): boolean | undefined {
  if (container.mountPointsComplete === false) return undefined;
  const covers = (p: string) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || (path.endsWith('/.next/cache') && (p.endsWith('/.next/cache') || p.endsWith('/.next')));
  for (const m of container.mountPoints) {
    const p = known(m.containerPath);
    if (m.containerPath && p === undefined) return undefined;
    if (p === undefined) continue;
    if (known(m.readOnly) === true) continue;
    if (m.readOnly && known(m.readOnly) === undefined) return undefined;
    if (covers(posix.normalize(p))) return true;
  }
  for (const t of container.tmpfs ?? []) {
    const p = known(t.containerPath);
    if (t.containerPath && p === undefined) return undefined;
    if (p !== undefined && covers(posix.normalize(p))) return true;
  }
  return false;
}

/** The folder the app runs in: the final stage's WORKDIR. */
function workdirOf(service: Service): string | undefined {
  for (const dockerfile of service.dockerfiles) {
    const w = finalStage(dockerfile)?.workdir?.value;
    if (w) return w;
  }
  return undefined;
}

export default defineRule({
  id: 'ecs/readonly-rootfs-no-writable-tmp',
  severity: 'high',
  title: 'Read-only root filesystem while the app writes to /tmp',
  messages: {
    library: {
      message: "{{label}} has readonlyRootFilesystem true ({{roWhere}}) and mounts nothing writable at {{path}}, but the service loads '{{pkg}}' ({{chain}}), which {{what}}: the write fails with EROFS (read-only file system) at run time",
      fix: 'add a task volume and mount it writable at {{path}} (mountPoints: { sourceVolume: "tmp", containerPath: "{{path}}" }, with a matching `volume` in the task definition; on Fargate the bind mount is owned by root, so create the folder with the right owner and declare VOLUME {{path}} in the image when the container runs as a non-root user), or keep the root filesystem writable',
    },
    logFile: {
      message: "{{label}} has readonlyRootFilesystem true ({{roWhere}}), but the code writes a log file ({{library}} to '{{target}}') under {{path}}, where nothing writable is mounted: the logger fails with EROFS (read-only file system)",
      fix: 'log to stdout/stderr (the awslogs or FireLens driver ships it), or mount a writable volume at {{dir}}',
    },
  },
  check(model, reportAny) {
    for (const linked of linkedContainers(model)) {
      const { task, container, service, label } = linked;
      const report = linkedReport(reportAny, linked);
      const ro = container.readonlyRootFilesystem;
      if (known(ro) !== true) continue;
      // TMPDIR moved elsewhere: os.tmpdir() no longer means /tmp and the audit does not follow it.
      const tmpdirSet = container.environment.some((e) => e.name === 'TMPDIR') || imageEnv(service).has('TMPDIR');
      if (!container.environmentComplete && !imageEnv(service).has('TMPDIR')) continue;
      const workdir = workdirOf(service) ?? '/';
      // terraform-aws-modules/ecs: the container-definition submodule turns it on unless told otherwise.
      const roWhere = task.resourceName.startsWith('module.') && ro!.loc.line === container.loc.line ? `not set, and the terraform-aws-modules/ecs container definition defaults readonly_root_filesystem to true, ${ro!.loc.file}:${ro!.loc.line}` : `${ro!.loc.file}:${ro!.loc.line}`;
      const reported = new Set<string>();
      for (const imp of service.externalImports) {
        const writer = WRITERS[imp.packageName];
        if (!writer || reported.has(writer.path)) continue;
        if (writer.path === 'tmp' && tmpdirSet) continue;
        const path = writer.path === 'tmp' ? '/tmp' : posix.join(workdir, '.next/cache');
        const writable = writableAt(container, path);
        if (writable !== false) continue;
        reported.add(writer.path);
        const step = imp.chain[imp.chain.length - 1];
        const chainRelated: RelatedLocation[] = step ? [{ file: step.file, line: step.line, message: `imports '${step.specifier}'` }] : [];
        report('library', ro!.loc, {
          label,
          roWhere,
          path,
          pkg: imp.packageName,
          chain: step ? `imported in ${step.file}:${step.line}` : 'in its production imports',
          what: writer.what,
        }, { related: chainRelated, key: `${containerName(container)}:${imp.packageName}` });
      }
      for (const log of service.logFiles) {
        if (!log.target || /[`$]/.test(log.target)) continue;
        const path = posix.normalize(posix.isAbsolute(log.target) ? log.target : posix.join(workdir, log.target));
        if (writableAt(container, path) !== false) continue;
        report('logFile', ro!.loc, { label, roWhere, library: log.library, target: log.target, path: posix.dirname(path), dir: posix.dirname(path) }, {
          related: [related(log.loc, `${log.library} writes to '${log.target}'`)],
          key: `${containerName(container)}:log:${log.target}`,
        });
      }
    }
  },
});
