/**
 * Rebuilds a lost catalog from a directory of archive files (the local copies): each file
 * of the set is recorded from its name (sequence, level, time, chain identity) with its size
 * and tree hash, its parent the previous archive of its chain one level down. Members are
 * unknown (restores read such archives whole, in chain order, as after a rebuild from
 * descriptions) and there is no snapshot, so the next run starts a new full chain, numbered
 * after the newest adopted archive.
 */
import { open } from 'node:fs/promises';
import type { Db } from '../catalog/open-catalog.js';
import { commitArchive, listArchives } from '../catalog/archive-store.js';
import { BackupError, throwIfAborted } from '../errors.js';
import { findArchives, type FoundArchive } from '../restore/restore-from-archives.js';
import { TreeHasher } from '../treehash/tree-hash.js';

/** Records the archives of `set` found in `dir` in the (empty) catalog; returns how many. */
export async function adoptArchives(db: Db, dir: string, set: string, signal: AbortSignal): Promise<number> {
  if (listArchives(db).length > 0) throw new BackupError('USAGE', 'the catalog already lists archives; adopting archive files is only for an empty (lost) catalog');
  const found = await findArchives(dir, set);
  if (found.length === 0) throw new BackupError('NOT_FOUND', `no archive files of set "${set}" in ${dir}; check the directory and "set" in the config`);
  const seqs = new Set<number>();
  const recorded: Array<FoundArchive & { chainSeq: number }> = [];
  for (const a of found) {
    throwIfAborted(signal);
    if (seqs.has(a.seq)) throw new BackupError('USAGE', `two archive files in ${dir} have sequence ${a.seq}; move one chain's files to another directory and adopt the other`);
    seqs.add(a.seq);
    let parent: (typeof recorded)[number] | undefined;
    if (a.level > 0) {
      parent = recorded.filter((p) => p.chainId === a.chainId && p.seq < a.seq).at(-1);
      if (!parent || parent.level !== a.level - 1) throw new BackupError('USAGE', `archive file ${a.fileName} has no level-${a.level - 1} archive of its chain before it in ${dir}; its chain cannot be adopted whole`);
    }
    const { size, treeHash } = await hashFile(a.path);
    const chainSeq = parent ? parent.chainSeq : a.seq;
    commitArchive(db, {
      record: {
        seq: a.seq, level: a.level, parentSeq: parent?.seq ?? null, chainSeq, chainId: a.chainId ?? null, createdAt: a.createdAt.toISOString(), fileName: a.fileName,
        size, rawSize: 0, treeHash, blockSize: 0,
        // -1: members unknown; restores read such archives whole, in chain order
        fileCount: -1,
        stagedPath: null, localPath: a.path, uploadState: 'none', description: null, runId: null,
      },
      members: [], blocks: [], deleted: [],
    });
    recorded.push({ ...a, chainSeq });
  }
  return recorded.length;
}

async function hashFile(path: string): Promise<{ size: number; treeHash: string }> {
  const fh = await open(path, 'r');
  try {
    const hasher = new TreeHasher();
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, size);
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, treeHash: hasher.digest() };
  } finally {
    await fh.close();
  }
}
