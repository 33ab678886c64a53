/**
 * Exclude patterns, with the meaning users know from .gitignore and tar's --exclude:
 *
 * - A pattern without a slash (`*.log`, `node_modules`, `.cache`) matches a name at any depth.
 * - A pattern with a slash is anchored at the data directory (`build/out`, `/tmp`, `docs/*.pdf`);
 *   a leading `/` or `./` only anchors.
 * - A trailing `/` (`cache/`) makes the pattern match directories only.
 * - A path is excluded when it or any directory above it matches, so excluding a directory
 *   excludes everything below it.
 * - Globs are picomatch's, with `dot: true`: `*` also matches names starting with a dot.
 *
 * Patterns are validated when the matcher is built; an invalid one is a CONFIG_INVALID error.
 */
import picomatch from 'picomatch';
import { BackupError } from '../errors.js';

/** Decides whether a path (relative to the data directory, POSIX separators) is excluded. */
export type ExcludeMatcher = (relPath: string, isDir: boolean) => boolean;

interface Rule {
  test: (s: string) => boolean;
  /** Match against each path component's name rather than the whole path. */
  base: boolean;
  dirOnly: boolean;
}

/** Builds a matcher from config patterns; throws CONFIG_INVALID naming the first bad pattern. */
export function createExcludeMatcher(patterns: readonly string[]): ExcludeMatcher {
  const rules = patterns.map(compileRule);
  if (rules.length === 0) return () => false;
  return (relPath, isDir) => {
    if (relPath === '') return false;
    let start = 0;
    for (;;) {
      const slash = relPath.indexOf('/', start);
      const last = slash === -1;
      const prefix = last ? relPath : relPath.slice(0, slash);
      const name = last ? relPath.slice(start) : relPath.slice(start, slash);
      const dir = last ? isDir : true;
      for (const r of rules) {
        if (r.dirOnly && !dir) continue;
        if (r.test(r.base ? name : prefix)) return true;
      }
      if (last) return false;
      start = slash + 1;
    }
  };
}

function compileRule(pattern: string): Rule {
  const invalid = (why: string) =>
    new BackupError('CONFIG_INVALID', `exclude pattern ${JSON.stringify(pattern)} is invalid: ${why}; fix it in the config`, { subject: 'exclude' });
  let p = pattern;
  const dirOnly = p.endsWith('/');
  while (p.endsWith('/')) p = p.slice(0, -1);
  let anchored = false;
  while (p.startsWith('/') || p.startsWith('./')) {
    p = p.startsWith('/') ? p.slice(1) : p.slice(2);
    anchored = true;
  }
  if (p === '') throw invalid('it matches no name');
  if (p.includes('\0')) throw invalid('it contains a NUL character');
  if (p.startsWith('!')) throw invalid('negated patterns ("!…") are not supported; list only what to exclude');
  if (p.split('/').some((s) => s === '..' || s === '.')) throw invalid('"." and ".." segments never match a path inside the data directory');
  if (p.includes('//')) throw invalid('it contains an empty path segment ("//")');
  let test: (s: string) => boolean;
  try {
    // strictBrackets and debug make picomatch throw instead of quietly matching nothing
    test = picomatch(p, { dot: true, strictBrackets: true, debug: true });
  } catch (err) {
    throw invalid((err as Error).message);
  }
  return { test, base: !anchored && !p.includes('/'), dirOnly };
}
