import { posix } from 'node:path';
import type { Loc, Located } from './location.js';

/** A command as written in CMD, ENTRYPOINT, HEALTHCHECK CMD or RUN. */
export interface CommandSpec {
  /** exec form (JSON array) or shell form (run through /bin/sh -c). */
  form: 'exec' | 'shell';
  /** Words: the JSON array's items for exec form, shell words for shell form. */
  argv: string[];
  /** The command as one string (shell text, or the exec items joined by spaces). */
  text: string;
  /** 1-based line where `text` begins (after flags; the line after `<<EOF` for a heredoc). */
  textLine: number;
  loc: Loc;
}

/** One simple command of a RUN (or of a shell-form CMD), with the line it is written on. */
export interface DockerCommand {
  argv: string[];
  /** The operator joining it to the next command (`&&`, `||`, `;`, `|`, `&`, newline). */
  next?: '&&' | '||' | ';' | '|' | '&' | '\n';
  loc: Loc;
}

export interface CopyInstruction {
  keyword: 'COPY' | 'ADD';
  /** Sources as written (relative to the build context, or to the stage named by `from`). */
  sources: Located<string>[];
  dest: Located<string>;
  /** `--from=<stage|image>` */
  from?: Located<string>;
  /** Index of the stage `from` names, when it names a stage of this Dockerfile. */
  fromStage?: number;
  /** WORKDIR in effect at this instruction (absolute, '/' when none). */
  workdir: string;
  /** Sources given by heredoc (COPY <<EOF) rather than from the context. */
  heredoc: boolean;
  loc: Loc;
}

export interface RunInstruction {
  command: CommandSpec;
  /** The simple commands it runs, in order, each with its own line. */
  commands: DockerCommand[];
  /** Mount flags such as --mount=type=secret. */
  mounts: string[];
  workdir: string;
  /**
   * Variables the RUN sees, by name: ENV (inherited from parent stages too) and the stage's ARGs;
   * ENV wins over an ARG of the same name, as in Docker.
   */
  environment: Map<string, VariableInEffect>;
  loc: Loc;
}

/** A variable in effect at an instruction, with its value when the Dockerfile fixes it. */
export interface VariableInEffect {
  name: string;
  /**
   * The value after expanding `$X`/`${X:-d}`; undefined when it depends on a build argument without a
   * default (`ARG NODE_ENV`, `ENV NODE_ENV=$NODE_ENV`): `--build-arg` decides.
   */
  value?: string;
  source: 'ENV' | 'ARG';
  /** The ENV or ARG line that sets it. */
  loc: Loc;
}

/**
 * The C library and OpenSSL line of a base image, read from its name and tag. Native modules and
 * Prisma's query engine are built for one libc (glibc or musl) and one OpenSSL major.
 */
export interface ImageOs {
  libc: 'glibc' | 'musl';
  /** OpenSSL line the image's libssl provides; undefined when the tag does not tell. */
  openssl?: '1.0' | '1.1' | '3';
  /** Distribution family as Prisma names its engines: debian (Debian, Ubuntu, distroless), rhel (Amazon Linux), musl (Alpine); undefined for others (Wolfi). */
  family?: 'debian' | 'rhel' | 'musl';
  /** For messages: "Alpine (musl), OpenSSL 3". */
  description: string;
  /** True when the release is read from the tag (alpine3.18, bookworm); false when it is the current default of a floating tag. */
  pinned: boolean;
}

export interface EnvEntry {
  name: string;
  value: string;
  loc: Loc;
}

export interface HealthcheckInstruction {
  /** `HEALTHCHECK NONE` */
  none: boolean;
  command?: CommandSpec;
  loc: Loc;
}

export interface BaseImage {
  /** Image as written, e.g. "node:20-alpine", "${BASE}" or a stage name. */
  raw: string;
  /** Repository without registry or tag, e.g. "node", "library/node" becomes "node". */
  name: string;
  registry?: string;
  tag?: string;
  digest?: string;
  /** The FROM names an earlier stage of the same Dockerfile. */
  stageRef?: number;
  /** Contains an unresolved ${ARG}. */
  unresolved: boolean;
  platform?: Located<string>;
  loc: Loc;
}

export interface Stage {
  index: number;
  /** `AS name` */
  name?: Located<string>;
  from: BaseImage;
  /** The external image this stage ultimately starts from (following FROM <stage> chains). */
  rootImage: BaseImage;
  copies: CopyInstruction[];
  runs: RunInstruction[];
  env: EnvEntry[];
  args: EnvEntry[];
  /** Last USER of the stage. */
  user?: Located<string>;
  workdir?: Located<string>;
  cmd?: CommandSpec;
  entrypoint?: CommandSpec;
  healthcheck?: HealthcheckInstruction;
  expose: Located<string>[];
  /** libc/OpenSSL of the stage's root image; undefined for images the name does not tell (custom bases, ${ARG}). */
  os?: ImageOs;
  /** OS packages the stage installs (apk add, apt-get install, yum/dnf install), its parent stages' included. */
  osPackages: Located<string>[];
  /** ENV in effect at the end of the stage (what the container starts with), by name; ARGs do not persist. */
  runtimeEnv: Map<string, VariableInEffect>;
  /** First and last line of the stage. */
  startLine: number;
  endLine: number;
}

/** Where a Dockerfile is built from, and what says so. */
export interface BuildContextRef {
  /** Repo-relative context folder ('' for the root). */
  dir: string;
  /**
   * The workflow step or compose service that builds it; undefined when assumed: then `dir` is the
   * Dockerfile's folder, or the enclosing folder its COPY sources point at (see inferContextDir).
   */
  source?: Loc;
  /** How the context was found, for messages. */
  via: 'dockerfile-folder' | 'workflow' | 'compose' | 'script';
}

export interface Dockerfile {
  path: string;
  /** Folder holding the Dockerfile. */
  dir: string;
  stages: Stage[];
  /**
   * Build contexts that build this Dockerfile. Always at least one: its own folder by default; when
   * a workflow, compose file or script builds it, the contexts they name replace that default.
   */
  contexts: BuildContextRef[];
  /** ARGs declared before the first FROM. */
  globalArgs: EnvEntry[];
  /** Lines of instructions the parser could not make sense of. */
  syntaxErrors: { message: string; loc: Loc }[];
  /** Facts about repository files Dockerfiles use (shared by every Dockerfile of the model). */
  buildInputs: DockerBuildInputs;
}

/** What a shell script run as ENTRYPOINT/CMD does with the process it starts. */
export interface EntrypointScript {
  path: string;
  /** `exec …` commands: the script replaces itself with that process, which then receives SIGTERM. */
  execs: { argv: string[]; loc: Loc }[];
  /** The last command of the script, when it is not an `exec`. */
  lastCommand?: { argv: string[]; loc: Loc };
  /** Every simple command, in order (what runs before the server: migrations, config). */
  commands: { argv: string[]; loc: Loc }[];
}

/** The output folder a tsconfig compiles to, after following relative `extends`. */
export interface TsconfigFacts {
  path: string;
  /** Repo-relative outDir, when the tsconfig (or one it extends) sets one. */
  outDir?: string;
  /**
   * Repo-relative folder whose layout tsc mirrors into outDir: `rootDir` when set, otherwise the
   * deepest folder holding every input file (what tsc computes). Undefined when unknown.
   */
  sourceRoot?: string;
}

export interface DockerBuildInputs {
  /** Shell scripts (by repo path) whose names a CMD/ENTRYPOINT runs. */
  scripts: Map<string, EntrypointScript>;
  /** tsconfig*.json files by repo path. */
  tsconfigs: Map<string, TsconfigFacts>;
  /**
   * Cache and report folders/files present in the working tree (`.turbo`, `.next/cache`, `coverage`,
   * `.eslintcache`, …), repo-relative. The file index never walks them, so their presence is probed.
   */
  cacheDirs: string[];
  /**
   * Project `.npmrc` files by repo path, with the line that makes npm leave out devDependencies
   * (`production=true`, `omit=dev`) when the file is copied into the image before an install.
   */
  npmrcs?: Map<string, { omitDev?: Located<string>; includeDev?: Loc }>;
  /**
   * Packages (by folder) whose vite.config sets `ssr.noExternal`: the SSR build bundles those
   * dependencies into its output instead of loading them from node_modules. `all` for `true` or a
   * catch-all pattern (`[/.*\/]`, or either branch of a conditional), else the names and patterns listed.
   */
  viteSsrNoExternal?: Map<string, { all: boolean; names: string[]; patterns: string[]; loc: Loc }>;
}

/** A .dockerignore and its patterns, with Docker's matching semantics. */
export interface DockerIgnore {
  path: string;
  patterns: Located<string>[];
  /** True when the path (relative to the context) is excluded from the build context. */
  ignores(pathInContext: string): boolean;
}

export function finalStage(dockerfile: Dockerfile): Stage | undefined {
  return dockerfile.stages[dockerfile.stages.length - 1];
}

/** A context source as a repo-relative path ('' for the context root); undefined when it leaves the context. */
export function contextPath(contextDir: string, source: string): string | undefined {
  const joined = posix.normalize(posix.join(contextDir || '.', source.replace(/^\/+/, '')));
  if (joined === '..' || joined.startsWith('../')) return undefined;
  const path = joined === '.' ? '' : joined.replace(/\/$/, '');
  if (contextDir && path !== contextDir && !path.startsWith(contextDir + '/')) return undefined;
  return path;
}

/** Sources that name no file in the context: remote URLs, unresolved variables. */
export function isLiteralSource(source: string): boolean {
  return !/^(https?:\/\/|git@|git:\/\/)/.test(source) && !source.includes('$');
}

export function isGlob(source: string): boolean {
  return /[*?[]/.test(source);
}

/** Copies from the build context (not from a stage or an image, not a heredoc). */
export function contextCopies(stage: Stage): CopyInstruction[] {
  return stage.copies.filter((c) => !c.from && !c.heredoc);
}

/** Every simple command the RUN instructions of a stage execute. */
export function stageCommands(stage: Stage): DockerCommand[] {
  return stage.runs.flatMap((r) => r.commands);
}


const DEBIAN_RELEASES: Record<string, { version: number; openssl: '1.1' | '3' }> = {
  stretch: { version: 9, openssl: '1.1' },
  buster: { version: 10, openssl: '1.1' },
  bullseye: { version: 11, openssl: '1.1' },
  bookworm: { version: 12, openssl: '3' },
  trixie: { version: 13, openssl: '3' },
};
const UBUNTU_RELEASES: Record<string, '1.1' | '3'> = { bionic: '1.1', '18.04': '1.1', focal: '1.1', '20.04': '1.1', jammy: '3', '22.04': '3', noble: '3', '24.04': '3' };

/**
 * libc and OpenSSL of a base image from its name and tag: node:20-alpine3.18 (musl, OpenSSL 3),
 * node:18-bullseye-slim (glibc, OpenSSL 1.1), gcr.io/distroless/nodejs22-debian12, alpine:3.16,
 * amazonlinux:2023. Floating node tags (node:20, node:20-slim, node:20-alpine) take the release the
 * tag points at today: Debian bookworm or later for Node 18+, Alpine 3.17+ for Node 16+.
 * Undefined when the name does not tell (a company base image, an unresolved ${ARG}).
 */
export function imageOsOf(image: Pick<BaseImage, 'name' | 'tag' | 'unresolved'>): ImageOs | undefined {
  if (image.unresolved) return undefined;
  const name = image.name.toLowerCase();
  const tag = (image.tag ?? 'latest').toLowerCase();
  const isNode = /(^|\/)node$/.test(name);
  const nodeMajor = isNode ? /^(\d+)/.exec(tag)?.[1] : undefined;
  const alpine = (version: string | undefined, fallback?: '1.1' | '3'): ImageOs => {
    const [major, minor] = (version ?? '').split('.').map(Number);
    const openssl = version && !Number.isNaN(minor) ? (major > 3 || (major === 3 && minor >= 17) ? '3' : '1.1') : fallback;
    return { libc: 'musl', openssl, family: 'musl', description: `Alpine${version ? ` ${version}` : ''} (musl${openssl ? `, OpenSSL ${openssl}` : ''})`, pinned: version !== undefined };
  };
  const glibc = (distro: string, openssl: '1.0' | '1.1' | '3' | undefined, family: ImageOs['family'], pinned: boolean): ImageOs => ({
    libc: 'glibc',
    openssl,
    family,
    description: `${distro} (glibc${openssl ? `, OpenSSL ${openssl}` : ''})`,
    pinned,
  });
  const distroless = /(?:^|\/)distroless\/[\w.-]*-debian(\d+)$/.exec(name);
  if (distroless) {
    const version = Number(distroless[1]);
    return glibc(`Debian ${version} (distroless)`, version >= 12 ? '3' : '1.1', 'debian', true);
  }
  if (/(^|\/)alpine$/.test(name)) return alpine(/^(\d+\.\d+)/.exec(tag)?.[1], tag === 'latest' || tag === 'edge' ? '3' : undefined);
  if (/(^|\/)amazonlinux$/.test(name)) {
    if (tag.startsWith('2023')) return glibc('Amazon Linux 2023', '3', 'rhel', true);
    if (/^2($|[.-])/.test(tag)) return glibc('Amazon Linux 2', '1.0', 'rhel', true);
    return undefined;
  }
  if (/(^|\/)debian$/.test(name)) {
    const release = Object.entries(DEBIAN_RELEASES).find(([codename, r]) => tag.startsWith(codename) || tag.startsWith(`${r.version}`));
    return release ? glibc(`Debian ${release[0]}`, release[1].openssl, 'debian', true) : undefined;
  }
  if (/(^|\/)ubuntu$/.test(name)) {
    const release = Object.entries(UBUNTU_RELEASES).find(([codename]) => tag.startsWith(codename));
    return release ? glibc(`Ubuntu ${release[0]}`, release[1], 'debian', true) : undefined;
  }
  if (/(^|\/)(wolfi-base|chainguard\/node)$/.test(name) || name.startsWith('chainguard/')) return { libc: 'glibc', openssl: '3', description: 'Wolfi (glibc, OpenSSL 3)', pinned: false };
  // Variants written in the tag: node:20-alpine3.19, node:iron-bookworm-slim, oven/bun:1-alpine.
  const alpineTag = /(?:^|-)alpine(\d+\.\d+)?(?:$|-)/.exec(tag);
  if (alpineTag) {
    // Node 16+ alpine tags float to Alpine 3.17 or later (OpenSSL 3); older majors stopped earlier.
    const fallback = alpineTag[1] ? undefined : isNode && (nodeMajor === undefined || Number(nodeMajor) >= 16) ? '3' : undefined;
    return alpine(alpineTag[1], fallback);
  }
  for (const [codename, release] of Object.entries(DEBIAN_RELEASES)) {
    if (new RegExp(`(^|-)${codename}($|-)`).test(tag)) return glibc(`Debian ${codename}`, release.openssl, 'debian', true);
  }
  if (!isNode) return undefined;
  // node:20, node:20-slim, node:lts: the default variant is Debian; bookworm (OpenSSL 3) since mid-2023 for Node 18+.
  if (!/^(\d+(\.\d+)*|lts|current|latest|[a-z]+)(-slim)?$/.test(tag)) return undefined;
  const major = nodeMajor === undefined ? undefined : Number(nodeMajor);
  if (major !== undefined && major <= 16) return glibc('Debian bullseye (default of this tag)', '1.1', 'debian', false);
  return glibc('Debian bookworm or later (default of this tag)', '3', 'debian', false);
}

/** Prisma query-engine target for an image OS and CPU (`linux-musl-openssl-3.0.x`, `debian-openssl-1.1.x`, `linux-arm64-openssl-3.0.x`). */
export function prismaEngineFor(os: ImageOs, arch: 'x64' | 'arm64'): string | undefined {
  if (!os.openssl || !os.family) return undefined;
  const ssl = `openssl-${os.openssl}.x`.replace('openssl-3.x', 'openssl-3.0.x');
  if (os.family === 'musl') {
    if (arch === 'arm64') return `linux-musl-arm64-${ssl}`;
    // Prisma names the OpenSSL 1.1 musl engine plain "linux-musl".
    return os.openssl === '1.1' ? 'linux-musl' : `linux-musl-${ssl}`;
  }
  if (arch === 'arm64') return `linux-arm64-${ssl}`;
  return `${os.family}-${ssl}`;
}

/**
 * The .dockerignore that applies to a Dockerfile built from a context: `<Dockerfile>.dockerignore`
 * next to the Dockerfile wins (BuildKit), then `.dockerignore` at the context root.
 */
export function dockerignoreFor(model: { dockerignores: Map<string, DockerIgnore> }, dockerfile: Dockerfile, contextDir: string): DockerIgnore | undefined {
  const specific = model.dockerignores.get(`${dockerfile.path}.dockerignore`);
  if (specific) return specific;
  return model.dockerignores.get(contextDir ? `${contextDir}/.dockerignore` : '.dockerignore');
}
