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
  loc: Loc;
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

