import semver from 'semver';
import type { BaseImage } from '../../model/docker.js';
import type { Located } from '../../model/location.js';
import { defineRule } from '../rule.js';
import {buildFacts } from './_build.js';

/** The Node version a base image runs: "16", "18.19", "20.11.1"; undefined for lts/current/unknown tags. */
export function nodeVersionOfImage(image: BaseImage): string | undefined {
  const name = image.name.toLowerCase();
  const distroless = /distroless\/nodejs(\d+)/.exec(name);
  if (distroless) return distroless[1];
  const isNode = name === 'node' || name.endsWith('/node') || /(^|\/)nodejs-?\d*$/.test(name);
  if (!isNode) return undefined;
  const inName = /nodejs-?(\d+)$/.exec(name);
  if (inName) return inName[1];
  const tag = /^v?(\d+(?:\.\d+){0,2})(?:$|-)/.exec(image.tag ?? '');
  return tag?.[1];
}

/** The versions of the image's Node line as a semver range ("18" is any 18.x.y). */
function imageRange(version: string): string {
  const parts = version.split('.');
  if (parts.length === 3) return version;
  if (parts.length === 2) return `>=${version}.0 <${parts[0]}.${Number(parts[1]) + 1}.0`;
  return `>=${version}.0.0 <${Number(version) + 1}.0.0`;
}

/** Same range and image line in many Dockerfiles of a monorepo: answer once. */
const fitsCache = new Map<string, boolean>();

function fitsRange(version: string, range: string): boolean {
  const key = `${version} ${range}`;
  let fits = fitsCache.get(key);
  if (fits === undefined) {
    fits = version.split('.').length === 3 ? semver.satisfies(version, range) : semver.intersects(range, imageRange(version));
    fitsCache.set(key, fits);
  }
  return fits;
}

export default defineRule({
  id: 'docker/base-image-unpinned',
  severity: 'medium',
  title: 'Base image tag is floating, or its Node version is outside engines',
  messages: {
    floating: {
      message: 'FROM {{image}} {{why}}: every build may pull a different image, and a new major can break the service without a commit',
      fix: 'pin a version tag (e.g. node:20.18-alpine3.20, or at least node:20-alpine); add @sha256:… for fully reproducible builds',
    },
    outsideEngines: {
      message: 'FROM {{image}} runs Node {{version}}, outside engines.node "{{range}}" of {{package}}{{stageNote}}',
      fix: 'use a node:{{suggested}} image (inside the declared range), or change engines.node if the package really supports Node {{version}}',
    },
  },
  check(model, report, analysis) {
    for (const dockerfile of analysis.scope.productionDockerfiles()) {
      const facts = buildFacts(model, dockerfile);
      const final = dockerfile.stages[dockerfile.stages.length - 1];
      // engines of the package the image builds, else of its workspace root.
      const engines: { range: Located<string>; pkg: string } | undefined = (() => {
        for (const pkg of [...facts.packages, ...(facts.project ? [facts.project.rootPackage] : [])]) {
          if (pkg.engines.node) return { range: pkg.engines.node, pkg: pkg.path };
        }
        return undefined;
      })();
      const ciArgs = analysis.scope.ciBuildArgs(dockerfile);
      const parent = analysis.scope.parentDockerfile(dockerfile);
      for (const stage of facts.reachable) {
        const image = stage.from;
        // FROM ${BASE_IMAGE} with BASE_IMAGE passed by CI (often name@digest): the ARG default is only what a local build gets.
        const passed = [...image.raw.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]).find((name) => ciArgs.has(name));
        if (passed) continue;
        // FROM node:${NODE_VERSION}: show what the ARG default makes of it.
        const resolved = `${image.registry ? `${image.registry}/` : ''}${image.name}${image.tag ? `:${image.tag}` : ''}`;
        const shown = image.raw.includes('$') ? `${image.raw} (${resolved} with the ARG defaults)` : image.raw;
        if (image.stageRef !== undefined || image.unresolved || image.name === 'scratch') continue;
        // FROM acme/app:${TAG} of the image another Dockerfile of the repository builds: the tag follows its own releases.
        const own = parent !== undefined && stage === final && stage.from.raw === stage.rootImage.raw;
        if (!image.digest && (!image.tag || image.tag === 'latest')) {
          report('floating', image.loc, { image: shown, why: image.tag ? 'uses the "latest" tag' : 'has no tag, so it means "latest"' }, own
            ? { severity: 'low', related: [{ file: parent.path, line: 1, message: 'builds that image in this repository' }] }
            : undefined);
          continue;
        }
        // node:alpine, node:lts-slim, node:current: no version in the tag, so each new Node major arrives unannounced.
        if (!image.digest && image.tag && !/\d/.test(image.tag) && (image.name === 'node' || image.name.endsWith('/node'))) {
          report('floating', image.loc, { image: shown, why: `uses "${image.tag}", a tag that moves to each new Node major` });
          continue;
        }
        if (!engines) continue;
        const version = nodeVersionOfImage(image);
        if (!version) continue;
        const range = semver.validRange(engines.range.value);
        if (!range || fitsRange(version, range)) continue;
        const suggested = [24, 22, 20, 18, 16].find((major) => semver.intersects(range, imageRange(String(major))));
        report('outsideEngines', image.loc, {
          image: shown,
          version,
          range: engines.range.value,
          package: engines.pkg,
          stageNote: stage === final ? ' (this is the stage that runs in production)' : ' (the build stage compiles with it)',
          suggested: suggested ? String(suggested) : engines.range.value,
        }, {
          severity: stage === final ? 'high' : 'medium',
          related: [{ ...engines.range.loc, message: `engines.node "${engines.range.value}"` }],
        });
      }
    }
  },
});
