import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, realpathSync, constants, type Dirent } from 'node:fs';
import { join, posix, sep, relative } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

/**
 * Folders that hold installed dependencies, version control data or build output. They are never
 * walked: their content is not the source of the deployment, and walking them is what makes naive
 * tools slow on real monorepos.
 */
export const SKIPPED_DIRS = new Set([
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'coverage', '.next', '.nuxt',
  '.turbo', '.cache', '.parcel-cache', '.pnpm-store', '.yarn', 'cdk.out', '.terraform', '.venv',
  '__pycache__', '.serverless', '.aws-sam', 'tmp',
]);

/** Files larger than this are not read: no deployment artifact is that large, and reading them costs time. */
export const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Text cached by whole-repository scans (`readIfText`) stops growing past this many characters: the
 * files such a scan reads first are mostly those later discoverers read again (sources, manifests),
 * but in a huge repository the rest would only hold memory.
 */
const QUIET_READ_CACHE_CHARS = 64 * 1024 * 1024;

export type FileProblemKind = 'too-large' | 'binary' | 'unreadable' | 'symlink-loop' | 'broken-symlink';

interface GitignoreMatcher {
  /** Folder of the .gitignore ('' for the root). */
  prefix: string;
  matcher: Ignore;
}

/** What reading a file gave: its text, or why there is none. */
interface ReadOutcome {
  text?: string;
  problem?: FileProblem;
}

export interface FileProblem {
  kind: FileProblemKind;
  file: string;
  message: string;
}

/**
 * The files of the audited repository, walked once. Paths are repo-relative with forward slashes.
 * Reading goes through `read`, which caches, refuses binary and oversized files, and records why.
 */
export class FileIndex {
  readonly root: string;
  /** Every file found, sorted. */
  readonly paths: string[] = [];
  /** Every folder walked (repo-relative, '' for the root). */
  readonly dirs = new Set<string>(['']);
  readonly problems: FileProblem[] = [];
  private readonly pathSet = new Set<string>();
  private readonly cache = new Map<string, ReadOutcome>();
  /** Files whose read problem is already in `problems` (each is recorded once). */
  private readonly reported = new Set<string>();
  /** The .gitignore of each walked folder that has one, by folder ('' for the root). */
  private readonly gitignores = new Map<string, Ignore>();
  private readonly byName = new Map<string, string[]>();
  /** Characters of text held in the cache. */
  private cachedChars = 0;

  constructor(root: string) {
    this.root = root;
    this.walk('', new Set([safeRealpath(root)]), []);
    this.paths.sort();
    for (const path of this.paths) {
      const name = posix.basename(path);
      const list = this.byName.get(name);
      if (list) list.push(path);
      else this.byName.set(name, [path]);
    }
  }

  has(path: string): boolean {
    return this.pathSet.has(normalize(path));
  }

  isDir(path: string): boolean {
    return this.dirs.has(normalize(path));
  }

  /** True when the path exists as a file or a walked folder. */
  exists(path: string): boolean {
    const p = normalize(path);
    return this.pathSet.has(p) || this.dirs.has(p);
  }

  /** Files with this exact base name, anywhere in the tree. */
  named(name: string): string[] {
    return this.byName.get(name) ?? [];
  }

  /** Files matching a glob (picomatch syntax, repo-relative). */
  glob(pattern: string | string[]): string[] {
    const isMatch = picomatch(pattern, { dot: true });
    return this.paths.filter((p) => isMatch(p));
  }

  /** Files directly or indirectly under a folder ('' for all). */
  under(dir: string): string[] {
    const d = normalize(dir);
    if (d === '') return this.paths;
    const prefix = d + '/';
    return this.paths.filter((p) => p.startsWith(prefix));
  }

  /** True when a path (that may not exist) would be excluded by the repository's .gitignore files. */
  isGitignored(path: string): boolean {
    const p = normalize(path);
    if (p === '' || p.startsWith('../')) return false;
    const segments = p.split('/');
    if (segments.some((seg) => SKIPPED_DIRS.has(seg))) return true;
    // As in git, nothing inside an excluded folder can be re-included.
    for (let i = 1; i < segments.length; i++) {
      if (this.ignored(segments.slice(0, i).join('/'), true)) return true;
    }
    return this.ignored(p, false) || this.ignored(p, true);
  }

  /**
   * Text of a file, or undefined when it cannot be read as text (the reason is recorded once in
   * `problems`: the caller expected this file to be text). Files outside the walked index (skipped
   * folders) can be read too; paths that leave the audited folder cannot.
   */
  read(path: string): string | undefined {
    const p = normalize(path);
    const outcome = this.load(p);
    if (outcome.problem && !this.reported.has(p)) {
      this.reported.add(p);
      this.problems.push(outcome.problem);
    }
    return outcome.text;
  }

  /**
   * Text of a file when it is a readable text file of at most 1 MiB; undefined otherwise, without
   * recording why. For scans that look at every file (secrets), where a binary or a large data file
   * is expected and not a problem.
   */
  readIfText(path: string): string | undefined {
    return this.load(normalize(path), this.cachedChars < QUIET_READ_CACHE_CHARS).text;
  }

  /**
   * Text of a file that may be larger than the 1 MiB read limit, up to `maxBytes`: lockfiles of big
   * monorepos run to several MiB and are still read by the tools that install from them. Not cached
   * (the caller reads such a file once); problems are recorded as by `read`.
   */
  readLarge(path: string, maxBytes: number): string | undefined {
    const p = normalize(path);
    if (!this.pathSet.has(p)) return undefined;
    const outcome = readText(this.root, p, maxBytes);
    if (outcome.problem && !this.reported.has(p)) {
      this.reported.add(p);
      this.problems.push(outcome.problem);
    }
    return outcome.text;
  }

  /**
   * The first bytes of a file as text, not cached and without recording problems: for the header
   * of a file that may be larger than the read limit (lockfiles).
   */
  readHead(path: string, bytes: number): string | undefined {
    const p = normalize(path);
    if (!this.pathSet.has(p)) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(join(this.root, p), constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
      if (!fstatSync(fd).isFile()) return undefined;
      const buf = Buffer.allocUnsafe(bytes);
      const n = readSync(fd, buf, 0, bytes, 0);
      const head = buf.subarray(0, n);
      return head.includes(0) ? undefined : head.toString('utf8');
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Reads once and caches; a whole-repository scan stops caching past a budget, so memory stays bounded. */
  private load(p: string, keep = true): ReadOutcome {
    const cached = this.cache.get(p);
    if (cached) return cached;
    // Paths the walk did not index (skipped folders) may be links: they must not lead out of the root.
    const outside = p === '..' || p.startsWith('../') || (!this.pathSet.has(p) && !isInside(this.root, safeRealpath(join(this.root, p))));
    const outcome = outside ? {} : readText(this.root, p);
    if (keep || outcome.text === undefined) {
      this.cache.set(p, outcome);
      this.cachedChars += outcome.text?.length ?? 0;
    }
    return outcome;
  }

  /** Entries of a folder that the walk skipped (such as cdk.out), read on demand. */
  listSkippedDir(dir: string): string[] {
    try {
      return readdirSync(join(this.root, normalize(dir)), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => posix.join(normalize(dir), e.name))
        .sort();
    } catch {
      return [];
    }
  }

  private problem(kind: FileProblemKind, file: string, message: string): void {
    this.problems.push({ kind, file, message });
  }

  /** The .gitignore matchers that apply inside a folder: its own and its ancestors', outermost first. */
  private matchersFor(dir: string): GitignoreMatcher[] {
    const matchers: GitignoreMatcher[] = [];
    const segments = dir === '' ? [] : dir.split('/');
    for (let depth = 0; depth <= segments.length; depth++) {
      const prefix = segments.slice(0, depth).join('/');
      const matcher = this.gitignores.get(prefix);
      if (matcher) matchers.push({ prefix, matcher });
    }
    return matchers;
  }

  /** The verdict of the .gitignore files of the path's folders, outermost first (deeper files win). */
  private ignored(path: string, isDir: boolean, matchers = this.matchersFor(parentOf(path))): boolean {
    let result = false;
    for (const { prefix, matcher } of matchers) {
      const rel = prefix ? path.slice(prefix.length + 1) : path;
      let verdict: { ignored: boolean; unignored: boolean };
      try {
        verdict = matcher.test(isDir ? rel + '/' : rel);
      } catch {
        // The matcher throws on what it does not take for a relative path; no .gitignore reaches such a path.
        continue;
      }
      if (verdict.ignored) result = true;
      else if (verdict.unignored) result = false;
    }
    return result;
  }

  private walk(dir: string, ancestors: Set<string>, inherited: GitignoreMatcher[]): void {
    const abs = join(this.root, dir);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      this.problem('unreadable', dir || '.', `folder ${dir || '.'} could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return;
    }
    const gitignore = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (gitignore) {
      const { text } = readText(this.root, dir ? `${dir}/.gitignore` : '.gitignore');
      // An unreadable, binary or huge .gitignore only means nothing more is excluded.
      if (text !== undefined) this.gitignores.set(dir, ignore().add(text));
    }
    const own = this.gitignores.get(dir);
    const matchers = own ? [...inherited, { prefix: dir, matcher: own }] : inherited;
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let real: string | undefined;
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(join(abs, entry.name));
          isDir = st.isDirectory();
          isFile = st.isFile();
          real = safeRealpath(join(abs, entry.name));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') this.problem('symlink-loop', rel, `${rel} is a symbolic link that points back to itself (a loop); it was skipped`);
          else this.problem('broken-symlink', rel, `${rel} is a symbolic link to a path that does not exist`);
          continue;
        }
      }
      if (isDir) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        if (this.ignored(rel, true, matchers)) continue;
        const realDir = real ?? safeRealpath(join(abs, entry.name));
        if (ancestors.has(realDir)) {
          this.problem('symlink-loop', rel, `${rel} links to one of its own parent folders (a loop); it was not walked again`);
          continue;
        }
        if (real !== undefined && !isInside(this.root, realDir)) continue;
        this.dirs.add(rel);
        ancestors.add(realDir);
        this.walk(rel, ancestors, matchers);
        ancestors.delete(realDir);
      } else if (isFile) {
        if (this.ignored(rel, false, matchers)) continue;
        // Docker does not follow a link out of the build context, and reading one would put files
        // from elsewhere on this machine into the report.
        if (real !== undefined && !isInside(this.root, real)) continue;
        this.paths.push(rel);
        this.pathSet.add(rel);
      } else if (!this.ignored(rel, false, matchers)) {
        // A FIFO, socket or device: opening a FIFO blocks until someone writes to it.
        this.problem('unreadable', rel, `${rel} is not a regular file (a named pipe, socket or device); it was skipped`);
      }
    }
  }
}

/**
 * Reads a regular file as UTF-8 text. Checks the type of what was opened before reading: a named
 * pipe would block the audit forever (hence O_NONBLOCK on open), a folder or device cannot be text.
 * Refuses files over MAX_FILE_BYTES and files with NUL bytes (binary).
 */
function readText(root: string, p: string, maxBytes = MAX_FILE_BYTES): ReadOutcome {
  const abs = join(root, p);
  const folder = (): ReadOutcome => ({ problem: { kind: 'unreadable', file: p, message: `${p} is a folder where a file was expected; it was not analysed` } });
  let fd: number | undefined;
  try {
    fd = openSync(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (st.isDirectory()) return folder();
    if (!st.isFile()) return { problem: { kind: 'unreadable', file: p, message: `${p} is not a regular file (a named pipe, socket or device); it was not read` } };
    if (st.size > maxBytes) return { problem: tooLarge(p, st.size, maxBytes) };
    const buf = Buffer.allocUnsafe(st.size);
    let length = 0;
    while (length < buf.length) {
      const n = readSync(fd, buf, length, buf.length - length, length);
      if (n === 0) break;
      length += n;
    }
    const bytes = buf.subarray(0, length);
    // Windows PowerShell's `>` writes UTF-16: Docker, npm and YAML parsers all read such a file as garbage.
    if (length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
      return { problem: { kind: 'unreadable', file: p, message: `${p} is encoded as UTF-16 (it starts with a UTF-16 byte order mark); Docker, npm and YAML tools expect UTF-8: save it as UTF-8` } };
    }
    if (bytes.subarray(0, 8000).includes(0)) {
      return { problem: { kind: 'binary', file: p, message: `${p} is a binary file where text was expected; it was not analysed` } };
    }
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return folder();
    if (code === 'ELOOP') return { problem: { kind: 'symlink-loop', file: p, message: `${p} is a symbolic link loop; it was not read` } };
    // A missing file is not a reading problem: the rules that expect it say so in their own words.
    if (code === 'ENOENT' || code === 'ENOTDIR') return {};
    return { problem: { kind: 'unreadable', file: p, message: `${p} could not be read (${code ?? String(err)})` } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooLarge(p: string, size: number, limit: number): FileProblem {
  return { kind: 'too-large', file: p, message: `${p} is ${(size / 1048576).toFixed(1)} MiB, over the ${limit / 1048576} MiB read limit; it was not analysed` };
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isInside(root: string, p: string): boolean {
  const rel = relative(safeRealpath(root), p);
  return !rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..';
}

/** Repo-relative, forward slashes, no leading './' or trailing '/'. */
export function normalize(path: string): string {
  let p = path.replace(/\\/g, '/');
  p = posix.normalize(p);
  if (p === '.' || p === './') return '';
  if (p.startsWith('./')) p = p.slice(2);
  if (p.endsWith('/')) p = p.slice(0, -1);
  if (p.startsWith('/')) p = p.slice(1);
  return p;
}
