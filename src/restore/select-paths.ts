/**
 * Which entries of a tree a restore writes: everything, or the non-directories matching
 * `--path` globs (a glob naming a directory takes everything below it) plus the
 * directories that lead to them. Pure.
 */
import picomatch from 'picomatch';
import { BackupError } from '../errors.js';
import type { TreeNode } from './tree-at.js';

/** Builds a path filter from --path globs; undefined when there are none. */
export function pathFilter(globs: readonly string[]): ((path: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const matchers = globs.map((g) => {
    const glob = g.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (!glob) throw new BackupError('USAGE', `--path "${g}" matches nothing; give a path or glob relative to the data directory`);
    const m = picomatch(glob, { dot: true });
    return (p: string) => m(p);
  });
  return (path: string) => {
    // a match on the path or any ancestor selects it
    let p = path;
    for (;;) {
      if (matchers.some((m) => m(p))) return true;
      const slash = p.lastIndexOf('/');
      if (slash < 0) return false;
      p = p.slice(0, slash);
    }
  };
}

/** The nodes to restore: matching non-directories and every directory on the way to them (or all, without a filter). */
export function selectNodes(tree: ReadonlyMap<string, TreeNode>, filter: ((path: string) => boolean) | undefined): TreeNode[] {
  if (!filter) return [...tree.values()];
  const chosen = new Map<string, TreeNode>();
  for (const n of tree.values()) {
    if (n.path === '' || !filter(n.path)) continue;
    chosen.set(n.path, n);
    let p = n.path;
    while (p.includes('/')) {
      p = p.slice(0, p.lastIndexOf('/'));
      const d = tree.get(p);
      if (d) chosen.set(p, d);
    }
  }
  if (chosen.size > 0) {
    const root = tree.get('');
    if (root) chosen.set('', root);
  }
  return [...chosen.values()];
}
