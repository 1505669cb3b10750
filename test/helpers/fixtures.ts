import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit, type AuditOptions, type AuditResult } from '../../src/engine/audit.js';
import type { Finding } from '../../src/engine/finding.js';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Fixtures are judged as of this date, so end-of-life and expiry findings do not shift with the calendar. */
export const FIXTURE_TODAY = new Date('2026-11-23T00:00:00Z');

/** `file:line ruleId` — the line format of expected.txt. */
export function toLine(f: Finding): string {
  return `${f.file ?? '(repository)'}${f.line ? `:${f.line}` : ''} ${f.ruleId}`;
}

export interface Expected {
  /** Compare against every finding, not only those of the fixture's rule. */
  all: boolean;
  lines: string[];
}

export function readExpected(dir: string): Expected {
  const path = join(dir, 'expected.txt');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const all = /^#\s*mode:\s*all\s*$/m.test(text);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return { all, lines: lines.sort() };
}

/**
 * Copies a fixture to a fresh temporary folder (so the project's own git repository does not leak
 * into it), makes it a git repository when it holds a `.fixture-git` marker, and audits it.
 */
export async function auditFixture(dir: string, options: AuditOptions = {}): Promise<{ result: AuditResult; root: string; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-fixture-'));
  cpSync(dir, root, { recursive: true, verbatimSymlinks: true });
  if (existsSync(join(root, '.fixture-git'))) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'add', '-A');
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'fixture');
  }
  const result = await audit(root, { now: FIXTURE_TODAY, ...options });
  return { result, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every fixture case: test/fixtures/<area>/<rule>/<case>/ with an expected.txt (empty for silent cases). */
export function ruleFixtureCases(): { ruleId: string; caseName: string; dir: string }[] {
  const cases: { ruleId: string; caseName: string; dir: string }[] = [];
  for (const area of readdirSync(FIXTURES)) {
    if (area === 'scenarios') continue;
    const areaDir = join(FIXTURES, area);
    if (!statSync(areaDir).isDirectory()) continue;
    for (const rule of readdirSync(areaDir)) {
      const ruleDir = join(areaDir, rule);
      if (!statSync(ruleDir).isDirectory()) continue;
      for (const caseName of readdirSync(ruleDir)) {
        const dir = join(ruleDir, caseName);
        if (statSync(dir).isDirectory() && existsSync(join(dir, 'expected.txt'))) {
          cases.push({ ruleId: `${area}/${rule}`, caseName, dir });
        }
      }
    }
  }
  return cases.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Audit options a fixture case sets for itself in `.fixture-options.json` (none by default). */
export function fixtureOptions(dir: string): AuditOptions {
  const path = join(dir, '.fixture-options.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as AuditOptions) : {};
}
