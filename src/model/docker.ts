import type { Loc, Located } from './location.js';

/** A command as written in CMD, ENTRYPOINT, HEALTHCHECK CMD or RUN. */
export interface CommandSpec {
  /** exec form (JSON array) or shell form (run through /bin/sh -c). */
  form: 'exec' | 'shell';
  /** Words: the JSON array's items for exec form, shell words for shell form. */
  argv: string[];
  /** The command as one string (shell text, or the exec items joined by spaces). */
  text: string;
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
  /** The workflow step or compose service that builds it; undefined when assumed (the Dockerfile's folder). */
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
