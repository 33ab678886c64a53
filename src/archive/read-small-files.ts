/**
 * Reads a batch of small regular files as finished tar members (GNU header, body, padding),
 * back to back in plan order: what the archive writer does for most files of a tree, here
 * in one function that runs on a reader thread (read-worker.ts) or, for a short run, on
 * the writer's own thread, so both write the same bytes.
 *
 * Four system calls a file: open (O_NOFOLLOW|O_NONBLOCK), read, fstat, close. There is no
 * fstat before the read: the one after it is compared with what the scan saw (device,
 * inode, size, mtime and ctime to the nanosecond), so a file changed since the scan, or
 * while it was read, does not match, and the header carries the values of that fstat,
 * which are the ones read. A file that does not match, is no longer a regular file, gained
 * a second name, may be sparse (fewer blocks than its size needs), or fails after opening
 * is not written here: its outcome sends it to the writer's general path, which reads it
 * again and reports what it finds. One that cannot be opened is reported by its error code.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { gnuHeaderRoom, paddingFor, secondsOf, writeGnuHeader } from './gnu-header.js';
import { memberName } from './member-name.js';
import { ownerNames } from './owner-names.js';
import { fsPath } from '../scan/name-bytes.js';
import { errorCode } from '../errors.js';

/** The largest file read in one go (here and on the writer's short path); larger ones are streamed in chunks of this size. */
export const SMALL_FILE_MAX = 256 * 1024;

// O_NOFOLLOW: a path that became a symlink since the scan is not followed;
// O_NONBLOCK: one that became a FIFO does not hang the run (no effect on regular files)
export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Files to read, in archive order, as sent to a reader thread (typed arrays travel without per-file objects). */
export interface SmallFileBatch {
  /** Data-relative paths (names that are not UTF-8 hold escaped bytes, see scan/name-bytes.ts). */
  paths: string[];
  /** Per file, as scanned: size, device, inode. */
  sizes: Float64Array;
  devs: Float64Array;
  inos: Float64Array;
  /** Per file, as scanned: mtime and ctime in nanoseconds. */
  mtimes: BigInt64Array;
  ctimes: BigInt64Array;
}

/** A file's outcome: its member is in `bytes`. */
export const READ_OK = 0;
/** It could not be opened: `codes` has the error code (no member). */
export const READ_OPEN_FAILED = 1;
/** Not written here (changed, not a plain small file, or an error after opening): the writer's general path takes it. */
export const READ_ELSEWHERE = 2;

/** Numbers per file in `results`: outcome, end offset in `bytes`, size, mode, uid, gid, mtime (whole seconds). */
export const RESULT_FIELDS = 7;

/** What a batch read gives back. */
export interface SmallFilesRead {
  /** The members written, in batch order, back to back. */
  bytes: Uint8Array;
  /** RESULT_FIELDS numbers per file; a file without a member ends where the previous one did. */
  results: Float64Array;
  /** The error code of each file that could not be opened, by index in the batch. */
  codes: Record<number, string>;
}

type Scanned = { path: string; size: number; dev: number; ino: number; mtimeNs: bigint; ctimeNs: bigint };

/** Collects the entries of one batch. */
export class SmallFileBatchBuilder<T extends Scanned> {
  private entries: T[] = [];
  /** Body bytes in the batch. */
  bytes = 0;

  get length(): number {
    return this.entries.length;
  }

  add(e: T): void {
    this.entries.push(e);
    this.bytes += e.size;
  }

  /** The entries so far and their batch; the builder starts empty again. */
  take(): { entries: T[]; batch: SmallFileBatch } {
    const entries = this.entries;
    const n = entries.length;
    const batch: SmallFileBatch = {
      paths: entries.map((e) => e.path),
      sizes: new Float64Array(n),
      devs: new Float64Array(n),
      inos: new Float64Array(n),
      mtimes: new BigInt64Array(n),
      ctimes: new BigInt64Array(n),
    };
    entries.forEach((e, i) => {
      batch.sizes[i] = e.size;
      batch.devs[i] = e.dev;
      batch.inos[i] = e.ino;
      batch.mtimes[i] = e.mtimeNs;
      batch.ctimes[i] = e.ctimeNs;
    });
    this.entries = [];
    this.bytes = 0;
    return { entries, batch };
  }
}

let scratch: Buffer | undefined;

/** Reads `batch` (paths relative to `root`); throws only if closing a descriptor fails. */
export function readSmallFiles(root: string, batch: SmallFileBatch): SmallFilesRead {
  const n = batch.paths.length;
  const results = new Float64Array(n * RESULT_FIELDS);
  const codes: Record<number, string> = {};
  const names = ownerNames();
  const body = (scratch ??= Buffer.allocUnsafe(SMALL_FILE_MAX));
  // every body and a header block each; long names grow it. Not from Node's shared pool: a reader thread transfers it
  let out = Buffer.allocUnsafeSlow(batch.sizes.reduce((sum, s) => sum + s + paddingFor(s) + 512, 0));
  let end = 0;
  // scanned paths are relative and normalised: joined by hand, not by path.join for each file
  const dir = root.endsWith('/') ? root : `${root}/`;
  for (let i = 0; i < n; i++) {
    const r = i * RESULT_FIELDS;
    results[r + 1] = end;
    const size = batch.sizes[i];
    let fd: number;
    try {
      fd = openSync(fsPath(`${dir}${batch.paths[i]}`), OPEN_FLAGS);
    } catch (err) {
      results[r] = READ_OPEN_FAILED;
      codes[i] = errorCode(err);
      continue;
    }
    let st: BigIntStats | undefined;
    let got = 0;
    try {
      while (got < size) {
        const k = readSync(fd, body, got, size - got, got);
        if (k === 0) break;
        got += k;
      }
      st = fstatSync(fd, { bigint: true });
    } catch {
      st = undefined;
    } finally {
      closeSync(fd);
    }
    if (!st || got !== size || !asScanned(st, batch, i)) {
      results[r] = READ_ELSEWHERE;
      continue;
    }
    const mode = Number(st.mode) & 0o7777;
    const uid = Number(st.uid);
    const gid = Number(st.gid);
    // whole seconds of an int64 of nanoseconds: exact as a number
    const mtime = Number(secondsOf(st.mtimeNs));
    const name = memberName(batch.paths[i], false);
    const pad = paddingFor(size);
    const need = end + gnuHeaderRoom(name) + size + pad;
    if (need > out.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * out.length));
      out.copy(grown, 0, 0, end);
      out = grown;
    }
    end = writeGnuHeader(out, end, { name, mode, uid, gid, size, mtime, typeflag: '0', uname: names.userName(uid), gname: names.groupName(gid) });
    end += body.copy(out, end, 0, size);
    out.fill(0, end, end + pad);
    end += pad;
    results[r] = READ_OK;
    results[r + 1] = end;
    results[r + 2] = size;
    results[r + 3] = mode;
    results[r + 4] = uid;
    results[r + 5] = gid;
    results[r + 6] = mtime;
  }
  return { bytes: out.subarray(0, end), results, codes };
}

/** Whether the fstat after reading shows the file the scan saw, plain, whole and with one name. */
function asScanned(st: BigIntStats, b: SmallFileBatch, i: number): boolean {
  const size = b.sizes[i];
  return (
    st.isFile() &&
    Number(st.size) === size &&
    st.mtimeNs === b.mtimes[i] &&
    st.ctimeNs === b.ctimes[i] &&
    Number(st.ino) === b.inos[i] &&
    Number(st.dev) === b.devs[i] &&
    st.nlink <= 1n &&
    !(size > 0 && Number(st.blocks) * 512 < size)
  );
}
