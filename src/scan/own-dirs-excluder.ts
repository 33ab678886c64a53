/**
 * The tool's own directories (stateDir, archive.localDir and, through stateDir, the embedded
 * vault) are never archived, even when they sit inside the data directory: archiving them
 * would store each archive inside the next one and the catalog inside itself. Paths are
 * compared after resolving symlinks, so a data directory reached through a symlink (or a
 * state directory named through one) is still recognised.
 */
import { realpathSync } from 'node:fs';
import { dirname, basename, join, relative, resolve, sep } from 'node:path';
import type { ExcludeMatcher } from './exclude-matcher.js';

/** One of the tool's own directories found inside the data directory. */
export interface OwnDir {
  /** The config key that names it. */
  key: string;
  /** Its path relative to the data directory, POSIX separators. */
  rel: string;
}

/** Which of `dirs` (config key → absolute path) lie inside `data` (the data directory itself counts). */
export function ownDirsInside(data: string, dirs: Record<string, string>): OwnDir[] {
  const root = canonical(data);
  const found: OwnDir[] = [];
  for (const [key, dir] of Object.entries(dirs)) {
    const rel = relative(root, canonical(dir));
    if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep))) found.push({ key, rel: rel.split(sep).join('/') });
  }
  return found;
}

/** `exclude`, plus every path at or below one of `own`. */
export function excludingOwnDirs(exclude: ExcludeMatcher, own: readonly OwnDir[]): ExcludeMatcher {
  if (own.length === 0) return exclude;
  return (relPath, isDir) => own.some((o) => relPath === o.rel || relPath.startsWith(`${o.rel}/`)) || exclude(relPath, isDir);
}

/** The real path of `p`, resolving the longest existing prefix (the rest may not exist yet). */
function canonical(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonical(parent), basename(abs));
  }
}
