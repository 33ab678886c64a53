/**
 * The one mapping from an lstat result to what change detection compares (a TreeEntry):
 * the scanner uses it, and so do the archive tests' fixture scans, so the two cannot drift.
 */
import type { BigIntStats } from 'node:fs';
import type { EntryType, TreeEntry } from './tree-entry.js';

/** The entry type of an lstat result; null for a socket or anything else tar cannot store. */
export function entryTypeOf(st: BigIntStats): EntryType | null {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return null;
}

/** The entry for `path` of `type` from its lstat result (and, for a symlink, its target). */
export function entryFromStat(path: string, type: EntryType, st: BigIntStats, linkTarget?: string): TreeEntry {
  const e: TreeEntry = {
    path,
    type,
    mode: Number(st.mode & 0o7777n),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    dev: Number(st.dev),
    ino: Number(st.ino),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
  if (linkTarget !== undefined) e.linkTarget = linkTarget;
  if (type === 'file') {
    e.nlink = Number(st.nlink);
    e.blocks = Number(st.blocks);
  } else if (type === 'chardev' || type === 'blockdev') {
    Object.assign(e, deviceNumbers(st.rdev));
  }
  return e;
}

/** Linux's split of a dev_t into major and minor numbers (glibc's gnu_dev_major/gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { devMajor: number; devMinor: number } {
  return {
    devMajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devMinor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}
