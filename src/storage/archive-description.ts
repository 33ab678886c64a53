/**
 * The archive description: what a vault inventory alone tells about each archive, enough to
 * rebuild the catalog's archive list after the machine is lost. Pure.
 *
 * Format (version 1), documented for users in docs/archive-description.md:
 *
 *     backup/1 {"kind":"data","host":"nas","set":"photos","seq":12,"level":1,"parent":11,
 *               "created":"2026-11-23T02:30:00.000Z","file":"photos-000012-L1.tar.gz"}
 *
 * - The prefix `backup/1 ` names the tool and the format version; anything else is foreign.
 * - The rest is one line of JSON with the keys in that order; `parent` is null for a full
 *   backup; `treeHash` and `size` (bytes) may be absent (a pipelined upload fixes the
 *   description before the archive is complete; the inventory lists both for every archive). Non-ASCII characters are escaped as \uXXXX, so the
 *   whole description is printable ASCII (0x20–0x7E) as Glacier requires.
 * - At most 1024 characters. When host and file name would make it longer, `host` and then
 *   `file` are shortened, end in "~", and `"cut":true` is appended (decoders report
 *   `truncated: true`); the other fields are never shortened, and a set name too long to fit
 *   is refused.
 * - `chain` (8 hex digits, after `size`) is the identity of the archive's chain; absent on
 *   archives from before chain identities.
 * - kind "catalog" marks a snapshot of the catalog itself; seq is the newest data archive it covers.
 */
import { BackupError } from '../errors.js';

/** Glacier's limit on x-amz-archive-description. */
export const MAX_DESCRIPTION_LENGTH = 1024;
/** Tool name and format version, followed by one space. */
export const DESCRIPTION_PREFIX = 'backup/1 ';

/** What a description carries. */
export interface ArchiveDescription {
  kind: 'data' | 'catalog';
  host: string;
  set: string;
  seq: number;
  level: number;
  parentSeq: number | null;
  createdAt: Date;
  fileName: string;
  /**
   * Tree hash of the archive, when known before the upload starts. A pipelined upload fixes
   * its description before the file is complete, so data archives usually omit it; the
   * inventory lists every archive's tree hash and size anyway.
   */
  treeHash?: string;
  size?: number;
  /** The identity of the archive's chain (8 hex digits), so archives of different chains are never mixed; absent on older archives. */
  chainId?: string;
}

/** A decoded description; `truncated` when host or fileName were shortened to fit. */
export interface DecodedDescription extends ArchiveDescription {
  version: 1;
  truncated: boolean;
}

const MIN_KEPT = 8;

/** Encodes `d` as a printable-ASCII description of at most 1024 characters (see the format above). */
export function encodeDescription(d: ArchiveDescription): string {
  if (d.treeHash !== undefined && !/^[0-9a-f]{64}$/.test(d.treeHash)) throw new BackupError('INTERNAL', `archive description: tree hash must be 64 lowercase hex digits, got "${d.treeHash}"`);
  if (Number.isNaN(d.createdAt.getTime())) throw new BackupError('INTERNAL', 'archive description: invalid creation time');
  let host = d.host;
  let file = d.fileName;
  let out = render(d, host, file);
  if (out.length > MAX_DESCRIPTION_LENGTH) {
    out = render(d, host, file, true);
    host = shorten(host, Math.max(MIN_KEPT, host.length - (out.length - MAX_DESCRIPTION_LENGTH)));
    out = render(d, host, file, true);
  }
  if (out.length > MAX_DESCRIPTION_LENGTH) {
    file = shorten(file, Math.max(MIN_KEPT, file.length - (out.length - MAX_DESCRIPTION_LENGTH)));
    out = render(d, host, file, true);
  }
  // escaping can make each removed character worth up to 6; trim until it fits
  while (out.length > MAX_DESCRIPTION_LENGTH && (host.length > MIN_KEPT || file.length > MIN_KEPT)) {
    if (host.length > MIN_KEPT) host = shorten(host, host.length - 1);
    else file = shorten(file, file.length - 1);
    out = render(d, host, file, true);
  }
  if (out.length > MAX_DESCRIPTION_LENGTH) {
    throw new BackupError('CONFIG_INVALID', `backup set name "${d.set.slice(0, 40)}…" is too long for a Glacier archive description; choose a shorter \`set\``);
  }
  return out;
}

/** Parses a description written by encodeDescription; null for foreign or malformed ones. */
export function decodeDescription(s: string | null | undefined): DecodedDescription | null {
  if (typeof s !== 'string' || !s.startsWith(DESCRIPTION_PREFIX)) return null;
  let j: unknown;
  try {
    j = JSON.parse(s.slice(DESCRIPTION_PREFIX.length));
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object') return null;
  const o = j as Record<string, unknown>;
  const created = typeof o.created === 'string' ? new Date(o.created) : null;
  const ok =
    (o.kind === 'data' || o.kind === 'catalog') &&
    typeof o.host === 'string' &&
    typeof o.set === 'string' &&
    isCount(o.seq) &&
    isCount(o.level) &&
    (o.parent === null || isCount(o.parent)) &&
    created !== null && !Number.isNaN(created.getTime()) &&
    typeof o.file === 'string' &&
    (o.treeHash === undefined || (typeof o.treeHash === 'string' && /^[0-9a-f]{64}$/.test(o.treeHash))) &&
    (o.size === undefined || isCount(o.size)) &&
    (o.chain === undefined || (typeof o.chain === 'string' && /^[0-9a-f]{8}$/.test(o.chain)));
  if (!ok) return null;
  const host = o.host as string;
  const file = o.file as string;
  const out: DecodedDescription = {
    version: 1,
    kind: o.kind as 'data' | 'catalog',
    host,
    set: o.set as string,
    seq: o.seq as number,
    level: o.level as number,
    parentSeq: o.parent as number | null,
    createdAt: created,
    fileName: file,
    truncated: o.cut === true,
  };
  if (o.treeHash !== undefined) out.treeHash = o.treeHash as string;
  if (o.size !== undefined) out.size = o.size as number;
  if (o.chain !== undefined) out.chainId = o.chain as string;
  return out;
}

function render(d: ArchiveDescription, host: string, file: string, truncated = false): string {
  const body: Record<string, unknown> = {
    kind: d.kind,
    host,
    set: d.set,
    seq: d.seq,
    level: d.level,
    parent: d.parentSeq,
    created: d.createdAt.toISOString(),
    file,
  };
  if (d.treeHash !== undefined) body.treeHash = d.treeHash;
  if (d.size !== undefined) body.size = d.size;
  if (d.chainId !== undefined) body.chain = d.chainId;
  if (truncated) body.cut = true;
  return DESCRIPTION_PREFIX + asciiJson(body);
}

/** JSON with every character outside 0x20–0x7E escaped as \uXXXX (JSON.stringify already escapes controls). */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Cuts `s` to `n` characters, the last being "~"; never splits a surrogate pair. */
function shorten(s: string, n: number): string {
  if (s.length <= n) return s;
  let cut = s.slice(0, Math.max(0, n - 1));
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}~`;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
