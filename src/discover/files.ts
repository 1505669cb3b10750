import { readdirSync, readFileSync, statSync, realpathSync, type Dirent } from 'node:fs';
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

export type FileProblemKind = 'too-large' | 'binary' | 'unreadable' | 'symlink-loop' | 'broken-symlink';

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
  private readonly cache = new Map<string, string | undefined>();
  private readonly ignoreStack: { prefix: string; matcher: Ignore }[] = [];
  private readonly byName = new Map<string, string[]>();

  constructor(root: string) {
    this.root = root;
    this.walk('', new Set([safeRealpath(root)]));
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
    if (p.split('/').some((seg) => SKIPPED_DIRS.has(seg))) return true;
    return this.ignored(p, false) || this.ignored(p, true);
  }

  /**
   * Text of a file, or undefined when it cannot be read as text (the reason is recorded once in
   * `problems`). Files outside the walked index (skipped folders) can be read too.
   */
  read(path: string): string | undefined {
    const p = normalize(path);
    if (this.cache.has(p)) return this.cache.get(p);
    let text: string | undefined;
    try {
      const abs = join(this.root, p);
      const st = statSync(abs);
      if (st.size > MAX_FILE_BYTES) {
        this.problem('too-large', p, `${p} is ${(st.size / 1048576).toFixed(1)} MiB, over the 1 MiB read limit; it was not analysed`);
      } else {
        const buf = readFileSync(abs);
        if (buf.subarray(0, 8000).includes(0)) {
          this.problem('binary', p, `${p} is a binary file where text was expected; it was not analysed`);
        } else {
          text = buf.toString('utf8');
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
      }
    } catch (err) {
      this.problem('unreadable', p, `${p} could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    this.cache.set(p, text);
    return text;
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

  private ignored(path: string, isDir: boolean): boolean {
    let result = false;
    for (const { prefix, matcher } of this.ignoreStack) {
      if (prefix && !path.startsWith(prefix + '/')) continue;
      const rel = prefix ? path.slice(prefix.length + 1) : path;
      const verdict = matcher.test(isDir ? rel + '/' : rel);
      if (verdict.ignored) result = true;
      else if (verdict.unignored) result = false;
    }
    return result;
  }

  private walk(dir: string, ancestors: Set<string>): void {
    const abs = join(this.root, dir);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      this.problem('unreadable', dir || '.', `folder ${dir || '.'} could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return;
    }
    const gitignore = entries.find((e) => e.name === '.gitignore' && e.isFile());
    let pushed = false;
    if (gitignore) {
      try {
        const text = readFileSync(join(abs, '.gitignore'), 'utf8');
        this.ignoreStack.push({ prefix: dir, matcher: ignore().add(text) });
        pushed = true;
      } catch {
        // An unreadable .gitignore only means nothing more is excluded.
      }
    }
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
          if (isDir) real = safeRealpath(join(abs, entry.name));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') this.problem('symlink-loop', rel, `${rel} is a symbolic link that points back to itself (a loop); it was skipped`);
          else this.problem('broken-symlink', rel, `${rel} is a symbolic link to a path that does not exist`);
          continue;
        }
      }
      if (isDir) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        if (this.ignored(rel, true)) continue;
        const realDir = real ?? safeRealpath(join(abs, entry.name));
        if (ancestors.has(realDir)) {
          this.problem('symlink-loop', rel, `${rel} links to one of its own parent folders (a loop); it was not walked again`);
          continue;
        }
        if (real !== undefined && !isInside(this.root, realDir)) continue;
        this.dirs.add(rel);
        ancestors.add(realDir);
        this.walk(rel, ancestors);
        ancestors.delete(realDir);
      } else if (isFile) {
        if (this.ignored(rel, false)) continue;
        this.paths.push(rel);
        this.pathSet.add(rel);
      }
    }
    if (pushed) this.ignoreStack.pop();
  }
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
