/**
 * Extracts one archive of a chain into a target directory with GNU tar's incremental
 * semantics, as `tar --listed-incremental=/dev/null -xzf` does inside the target:
 * a dumpdir member for a directory that exists removes (recursively) every entry the
 * listing does not name; directories are created, files and symlinks written (replacing
 * whatever is in the way); directory modes and mtimes are set at the end, deepest first.
 * Extracting each archive of a chain in order reproduces the data directory at its point.
 *
 * With a filter (a --path restore) only accepted files and symlinks are written (with the
 * directories leading to them), and only accepted paths are ever removed.
 * Every path goes through RestoreTarget: nothing is written outside the target.
 */
import type { Readable } from 'node:stream';
import { BackupError, throwIfAborted } from '../errors.js';
import { readArchive } from './read-archive.js';
import { RestoreTarget, type DirAttrs } from './restore-target.js';
import { checkMemberPath } from './safe-path.js';

/** How to extract. */
export interface ExtractOptions {
  /** Accepts data-relative paths to restore; without it everything is. */
  filter?: (path: string) => boolean;
  signal?: AbortSignal;
  /** Members skipped: types not restored, hard links whose target the filter left out. */
  onWarning?: (w: { path: string; message: string }) => void;
}

/** What an extraction did. */
export interface ExtractResult {
  files: number;
  /** Directories created or updated (the target itself not counted). */
  dirs: number;
  symlinks: number;
  /** Hard links, FIFOs and device nodes made. */
  others: number;
  /** Entries removed because a directory listing no longer names them. */
  deleted: number;
}

/**
 * Extracts `input` (a .tar.gz) into `target` (created if missing; a path is a target of its
 * own, closed at the end, while a RestoreTarget is shared by a chain and closed by the
 * caller). Contract: rejects with
 * ARCHIVE_UNSAFE_PATH before writing a member that would land outside the target, with
 * ARCHIVE_CORRUPT on damaged input, with ABORTED when `signal` fires; what was written
 * before stays (extracting the chain again from its full archive repairs it). The input is
 * destroyed when this settles.
 */
export async function extractArchive(input: Readable, target: RestoreTarget | string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  if (typeof target !== 'string') return extractInto(input, target, opts);
  const own = new RestoreTarget(target);
  try {
    const r = await extractInto(input, own, opts);
    for (const line of own.skipped) opts.onWarning?.({ path: '', message: line });
    return r;
  } finally {
    own.close();
  }
}

async function extractInto(input: Readable, target: RestoreTarget, opts: ExtractOptions): Promise<ExtractResult> {
  const { filter, signal } = opts;
  const result: ExtractResult = { files: 0, dirs: 0, symlinks: 0, others: 0, deleted: 0 };
  // files written from this archive: a hard link member can only name one of them (as with GNU tar)
  const written = new Set<string>();
  const dirs = new Map<string, DirAttrs>();
  // with a filter, the target is created only when something matches
  if (!filter) await target.ensureDir('');
  for await (const m of readArchive(input, { signal, onWarning: opts.onWarning })) {
    throwIfAborted(signal);
    const attrs = { mode: m.mode, mtime: m.mtime, uid: m.uid, gid: m.gid, uname: m.uname, gname: m.gname };
    const accepted = !filter || filter(m.path);
    if (m.type === 'dir') {
      dirs.set(m.path, { path: m.path, ...attrs });
      const selected = m.path === '' ? !filter : accepted;
      if (selected || (await target.isDir(m.path))) {
        await target.ensureDir(m.path);
        if (m.path !== '' && selected) result.dirs++;
      }
      if (m.listing) {
        result.deleted += await target.purgeDir(m.path, new Set(m.listing.map((e) => e.name)), filter);
      }
    } else if (!accepted) {
      continue;
    } else if (m.type === 'file') {
      await target.writeFileEntry(m.path, m.body, attrs, signal, m.sparse, m.xattrs);
      written.add(m.path);
      result.files++;
    } else if (m.type === 'symlink') {
      await target.writeSymlinkEntry(m.path, m.linkTarget ?? '', attrs);
      result.symlinks++;
    } else if (m.type === 'hardlink') {
      const to = m.linkTarget ?? '';
      checkMemberPath(to);
      if (!written.has(to)) {
        // the writer puts a file's first name whole in the same archive, before its hard links
        if (!filter) throw new BackupError('ARCHIVE_CORRUPT', `archive member "${m.path}" is a hard link to "${to}", which is not a file written earlier in the archive; the archive is damaged or malicious`, { subject: m.path });
        opts.onWarning?.({ path: m.path, message: `skipped: a hard link to ${to}, which this restore does not write; add ${to} to the restored paths` });
        continue;
      }
      await target.writeHardLink(m.path, to);
      written.add(m.path);
      result.others++;
    } else {
      const skippedBefore = target.skipped.length;
      await target.writeSpecialEntry(m.path, m.type, { major: m.devMajor ?? 0, minor: m.devMinor ?? 0 }, attrs);
      if (target.skipped.length === skippedBefore) result.others++;
    }
  }
  await target.setDirTimes(dirs.values());
  return result;
}
