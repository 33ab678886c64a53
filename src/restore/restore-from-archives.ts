/**
 * Restores from a directory of archive files alone, with no catalog: picks the chain by
 * the archive file names and extracts each archive in order with GNU tar's incremental
 * semantics (each directory's listing removes what it does not name), exactly as
 * `tar --listed-incremental=/dev/null -xzf` would. Encrypted archives (`.tar.gz.age`) are
 * decrypted with the identity as they are read, as `age -d | tar …` would.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '../errors.js';
import { parseArchiveName, type ArchiveName } from '../backup/archive-name.js';
import { extractArchive } from '../archive/extract-archive.js';
import { RestoreTarget } from '../archive/restore-target.js';
import { prepareTarget } from './prepare-target.js';
import type { RestorePoint } from './plan-chain.js';
import { decryptWhole, type IdentitySource } from './decrypting-source.js';

/** An archive file found in the directory. */
export interface FoundArchive extends ArchiveName {
  path: string;
  fileName: string;
}

/** Lists the archives in `dir` (by file name), oldest first; optionally only those of one set. */
export async function findArchives(dir: string, set?: string): Promise<FoundArchive[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new BackupError('NOT_FOUND', `cannot read --from-archives directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err, subject: dir });
  }
  const found: FoundArchive[] = [];
  for (const fileName of names) {
    const n = parseArchiveName(fileName);
    if (n && (!set || n.set === set)) found.push({ ...n, fileName, path: join(dir, fileName) });
  }
  // by time, then sequence: within a chain that is sequence order, and across chains whose
  // numbers overlap (a catalog was lost and numbering began again) the newer chain sorts last
  return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.seq - b.seq);
}

/**
 * The chain to a point among found archives: the target, back through consecutive levels to
 * its full archive, taking only archives with the target's chain identity (names from before
 * chain identities have none and form chains among themselves).
 */
export function chainFromNames(all: readonly FoundArchive[], point: RestorePoint): FoundArchive[] {
  if (all.length === 0) throw new BackupError('NOT_FOUND', 'no archive files (set-NNNNNN-LN-TIME.tar.gz or .tar.gz.age) found; check --from-archives');
  let target: FoundArchive | undefined;
  if ('seq' in point) {
    const same = all.filter((a) => a.seq === point.seq);
    if (same.length > 1) throw new BackupError('USAGE', `${same.length} archives of different chains have sequence ${point.seq} (${same.map((a) => a.fileName).join(', ')}); restore with --at TIME, or move one chain's files to another directory`);
    target = same[0];
  } else if ('at' in point) target = [...all].reverse().find((a) => a.createdAt.getTime() <= point.at.getTime());
  else target = all[all.length - 1];
  if (!target) throw new BackupError('NOT_FOUND', 'no archive file matches the requested point; see the file names in --from-archives');
  const found = all.filter((a) => a.chainId === target.chainId);
  const chain = [target];
  let idx = found.indexOf(target);
  while (chain[0].level > 0) {
    const want = chain[0].level - 1;
    idx--;
    while (idx >= 0 && found[idx].level !== want) {
      if (found[idx].level < want) idx = -1;
      else idx--;
    }
    if (idx < 0) throw new BackupError('NOT_FOUND', `archive ${chain[0].fileName} needs a level-${want} archive before it, and none is in the directory`);
    chain.unshift(found[idx]);
  }
  return chain;
}

/**
 * Extracts the chain into `to` in order. The target is checked first (see prepareTarget)
 * and created only when the chain is found and something in it is selected; over a
 * non-empty target (--force) the chain's deletions touch only what it restored. `warnings`
 * has one line per member left out (a type not restored, a hard link whose file the filter
 * left out, a device node as another user than root): the restore is then incomplete.
 */
export async function restoreFromArchives(opts: {
  dir: string;
  to: string;
  force: boolean;
  point: RestorePoint;
  set?: string;
  filter?: (path: string) => boolean;
  signal: AbortSignal;
  log: (line: string) => void;
  identity?: IdentitySource;
}): Promise<{ archives: number; files: number; warnings: string[] }> {
  const targetOpts = await prepareTarget(opts.to, opts.force);
  const chain = chainFromNames(await findArchives(opts.dir, opts.set), opts.point);
  const target = new RestoreTarget(opts.to, targetOpts);
  let files = 0;
  let selected = 0;
  // members left out (types not restored, hard links the filter cut off): the restore is not complete
  const warnings: string[] = [];
  try {
    for (const a of chain) {
      opts.log(`extracting ${a.fileName}`);
      const input = a.encrypted ? decryptWhole(createReadStream(a.path), a, opts.identity) : createReadStream(a.path);
      const r = await extractArchive(input, target, {
        filter: opts.filter,
        signal: opts.signal,
        onWarning: (w: { path: string; message: string }) => warnings.push(`${w.path}: ${w.message}`),
      });
      files += r.files;
      selected += r.files + r.dirs + r.symlinks;
    }
  } finally {
    target.close();
  }
  if (opts.filter && selected === 0) throw new BackupError('NOT_FOUND', `nothing in the chain up to ${chain[chain.length - 1].fileName} matches --path; list it with "tar -tzf"`);
  return { archives: chain.length, files, warnings: [...warnings, ...target.skipped] };
}
