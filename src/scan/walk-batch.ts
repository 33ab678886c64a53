/**
 * The walk's findings packed for the trip from the walk worker to the main thread: entries,
 * unreadable paths and warnings, in the order the walk made them. Structured clone of a
 * TreeEntry object each would cost more than the lstat that made it, so numbers travel in
 * typed arrays whose buffers are transferred, not copied, and the strings (paths, link
 * targets, warning messages) as one string joined with NUL, which no path holds. Strings
 * keep lone surrogates, so names that are not valid UTF-8 (name-bytes.ts) arrive as they
 * left.
 *
 * Layout: one kind byte per record. An entry (kind = its type's index in TYPES) takes
 * 6 numbers (mode, size, dev, ino, uid, gid), 2 more for a file (nlink, blocks) or a device
 * (major, minor), 2 times (mtimeNs, ctimeNs), its path and, for a symlink, its target. A
 * time outside what a BigInt64Array holds (before 1677 or after 2262 in nanoseconds, which
 * file systems store and GNU tar restores) would wrap there: such an entry's kind carries
 * WIDE_TIMES and both times follow its path as decimal strings. An unreadable path takes
 * its path; a warning its path and message.
 */
import type { ScanWarning, WalkSink } from './scan-tree.js';
import type { EntryType, TreeEntry } from './tree-entry.js';

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev'];
const UNREADABLE = TYPES.length;
const WARNINGS: ReadonlyArray<ScanWarning['code']> = ['special', 'unreadable-dir', 'vanished'];
const FIRST_WARNING = UNREADABLE + 1;
const TYPE_INDEX = new Map(TYPES.map((t, i) => [t, i]));
/** Flag on an entry's kind: its times are in the strings, not in `times`. */
const WIDE_TIMES = 0x80;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const fitsInt64 = (v: bigint) => v >= INT64_MIN && v <= INT64_MAX;
const NUMS_PER_ENTRY = 8;

/** One batch as posted: typed arrays trimmed to what they hold. */
export interface WalkBatch {
  kinds: Uint8Array;
  nums: Float64Array;
  times: BigInt64Array;
  /** The strings, joined with NUL. */
  text: string;
}

/** Packs records until `full`, then `take` hands the batch over (with its buffers to transfer) and starts the next one. */
export class WalkBatchWriter implements WalkSink {
  private kinds: Uint8Array;
  private nums: Float64Array;
  private times: BigInt64Array;
  private text: string[] = [];
  private n = 0;
  private numAt = 0;
  private timeAt = 0;

  /** `capacity`: records per batch. */
  constructor(private readonly capacity: number) {
    this.kinds = new Uint8Array(capacity);
    this.nums = new Float64Array(capacity * NUMS_PER_ENTRY);
    this.times = new BigInt64Array(capacity * 2);
  }

  get full(): boolean {
    return this.n === this.capacity;
  }

  get empty(): boolean {
    return this.n === 0;
  }

  entry(e: TreeEntry): void {
    const nums = this.nums;
    let i = this.numAt;
    const wide = !fitsInt64(e.mtimeNs) || !fitsInt64(e.ctimeNs);
    this.kinds[this.n++] = TYPE_INDEX.get(e.type)! | (wide ? WIDE_TIMES : 0);
    nums[i++] = e.mode;
    nums[i++] = e.size;
    nums[i++] = e.dev;
    nums[i++] = e.ino;
    nums[i++] = e.uid;
    nums[i++] = e.gid;
    if (e.type === 'file') {
      nums[i++] = e.nlink!;
      nums[i++] = e.blocks!;
    } else if (e.type === 'chardev' || e.type === 'blockdev') {
      nums[i++] = e.devMajor!;
      nums[i++] = e.devMinor!;
    }
    this.numAt = i;
    this.times[this.timeAt++] = wide ? 0n : e.mtimeNs;
    this.times[this.timeAt++] = wide ? 0n : e.ctimeNs;
    this.text.push(e.path);
    if (wide) this.text.push(String(e.mtimeNs), String(e.ctimeNs));
    if (e.type === 'symlink') this.text.push(e.linkTarget!);
  }

  unreadable(path: string): void {
    this.kinds[this.n++] = UNREADABLE;
    this.text.push(path);
  }

  warning(w: ScanWarning): void {
    this.kinds[this.n++] = FIRST_WARNING + WARNINGS.indexOf(w.code);
    this.text.push(w.path, w.message);
  }

  /** The batch so far, and the buffers to transfer with it; the writer starts afresh. */
  take(): { batch: WalkBatch; transfer: ArrayBuffer[] } {
    const batch: WalkBatch = { kinds: this.kinds.subarray(0, this.n), nums: this.nums.subarray(0, this.numAt), times: this.times.subarray(0, this.timeAt), text: this.text.join('\0') };
    const transfer = [this.kinds.buffer, this.nums.buffer, this.times.buffer] as ArrayBuffer[];
    this.kinds = new Uint8Array(this.capacity);
    this.nums = new Float64Array(this.capacity * NUMS_PER_ENTRY);
    this.times = new BigInt64Array(this.capacity * 2);
    this.text = [];
    this.n = this.numAt = this.timeAt = 0;
    return { batch, transfer };
  }
}

/** Unpacks a batch into `sink`, record by record, in order; the entries are those the walk made, field for field. */
export function readWalkBatch(b: WalkBatch, sink: WalkSink): void {
  const { kinds, nums, times } = b;
  const text = b.text.split('\0');
  let i = 0;
  let t = 0;
  let s = 0;
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k];
    if (kind === UNREADABLE) {
      sink.unreadable(text[s++]);
      continue;
    }
    if (kind >= FIRST_WARNING && kind < WIDE_TIMES) {
      sink.warning({ path: text[s], code: WARNINGS[kind - FIRST_WARNING], message: text[s + 1] });
      s += 2;
      continue;
    }
    const type = TYPES[kind & ~WIDE_TIMES];
    const path = text[s++];
    let mtimeNs = times[t];
    let ctimeNs = times[t + 1];
    t += 2;
    if (kind & WIDE_TIMES) {
      mtimeNs = BigInt(text[s++]);
      ctimeNs = BigInt(text[s++]);
    }
    // the fields in entryFromStat's order, so every entry has the same shape
    const e: TreeEntry = { path, type, mode: nums[i], size: nums[i + 1], mtimeNs, ctimeNs, dev: nums[i + 2], ino: nums[i + 3], uid: nums[i + 4], gid: nums[i + 5] };
    i += 6;
    if (type === 'symlink') e.linkTarget = text[s++];
    else if (type === 'file') {
      e.nlink = nums[i++];
      e.blocks = nums[i++];
    } else if (type === 'chardev' || type === 'blockdev') {
      e.devMajor = nums[i++];
      e.devMinor = nums[i++];
    }
    sink.entry(e);
  }
}
