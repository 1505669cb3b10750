/** A place in the audited repository. `file` is repo-relative with forward slashes; `line` is 1-based. */
export interface Loc {
  file: string;
  line: number;
  column?: number;
}

/** A value together with the place it was written, so a message can quote it and point at it. */
export interface Located<T> {
  value: T;
  loc: Loc;
}

export function located<T>(value: T, file: string, line: number, column?: number): Located<T> {
  return { value, loc: column === undefined ? { file, line } : { file, line, column } };
}

export function formatLoc(loc: Loc): string {
  return loc.column ? `${loc.file}:${loc.line}:${loc.column}` : `${loc.file}:${loc.line}`;
}

/**
 * Line starts of a text, for turning character offsets into 1-based lines and columns.
 * Offsets are UTF-16 indexes into the JavaScript string.
 */
export class LineMap {
  private readonly starts: number[];
  constructor(text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.starts = starts;
  }
  /** 1-based line of a 0-based character offset. */
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /** 1-based column of a 0-based character offset. */
  column(offset: number): number {
    return offset - this.starts[this.line(offset) - 1] + 1;
  }
  get lineCount(): number {
    return this.starts.length;
  }
}
