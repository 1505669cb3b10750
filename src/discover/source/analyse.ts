import type { parseSync as ParseSync } from 'oxc-parser';
import { emptyFacts, extractFacts, type FileFacts } from './facts.js';
import { detectors } from './frameworks/index.js';

/** One file to read, as plain data (the file's text and what its package enables). */
export interface FileJob {
  file: string;
  text: string;
  /** Names of the detectors enabled by the dependencies of the file's package. */
  detectorNames: string[];
  /** devDependencies of the file's package (and its workspace root) that are not also dependencies. */
  devPackages: string[];
  /** Packages a production install gives the file's package: dependencies, optional and peer dependencies (its own and its workspace root's). */
  installedPackages?: string[];
  browser: boolean;
}

export interface FileResult {
  file: string;
  browser: boolean;
  facts: FileFacts;
  /** Why the file could not be read, for the parse-error finding. */
  problem?: string;
}

/** Parses one file (once) and reads its imports and facts. */
export function analyseFile(parseSync: typeof ParseSync, job: FileJob): FileResult {
  const { file, text, browser } = job;
  try {
    const lang = /\.tsx$/.test(file) ? 'tsx' : /\.[cm]?ts$/.test(file) ? 'ts' : browser || /\.jsx$/.test(file) ? 'jsx' : 'js';
    // The JavaScript shape of the AST (no type annotations) is all the facts need, and it is smaller to build.
    const parsed = parseSync(file, text, { lang, sourceType: 'unambiguous', astType: 'js', preserveParens: false });
    const fatal = parsed.errors.find((e) => e.severity === 'Error');
    if (fatal && parsed.program.body.length === 0) return { file, browser, facts: emptyFacts(), problem: `${file} does not parse: ${fatal.message}` };
    const enabled = detectors.filter((d) => job.detectorNames.includes(d.name));
    // Type annotations matter only for decorator metadata; the file is parsed with them on demand.
    const typedProgram = () => {
      const typed = parseSync(file, text, { lang, sourceType: 'unambiguous', astType: 'ts', preserveParens: false });
      return typed.program as never;
    };
    return {
      file,
      browser,
      facts: extractFacts({ file, text, parsed: parsed as never, detectors: enabled, browser, devPackages: job.devPackages, ...(job.installedPackages ? { installedPackages: job.installedPackages } : {}), typedProgram }),
    };
  } catch (err) {
    return { file, browser, facts: emptyFacts(), problem: `${file} could not be read as JavaScript/TypeScript: ${(err as Error).message}` };
  }
}
