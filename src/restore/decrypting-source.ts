/**
 * Reading encrypted archives: the file key of each archive is unwrapped with the identity
 * before anything is retrieved or written (a wrong or missing identity fails at once, exit
 * 2, naming the file), and every read of compressed bytes [start, end] becomes a read of
 * the 64 KiB age chunks that hold them, decrypted from the first one's counter and cut to
 * the range. Each chunk is authenticated before any of its bytes go on; a damaged one
 * fails the restore naming the archive (exit 1).
 */
import { Readable } from 'node:stream';
import type { ArchiveRecord } from '../catalog/archive-store.js';
import { BackupError } from '../errors.js';
import type { AgeIdentity } from '../age/age-keys.js';
import { AgeHeaderError } from '../age/age-header.js';
import { payloadLayout, sealedRangeFor, type PayloadLayout } from '../age/age-stream.js';
import { AgeDamagedError, AgeNoIdentityError, decryptAge, decryptChunks, openPrefix } from '../age/decrypt-age.js';
import { loadIdentities } from '../age/identity-file.js';
import type { ArchiveSource } from './archive-sources.js';

/** An encrypted archive opened with the identity: where its chunks are and the key to them. */
export interface SealedArchive {
  layout: PayloadLayout;
  key: Buffer;
}

/** The identity file, loaded on first use. */
export interface IdentitySource {
  file: string;
  load(): AgeIdentity[];
}

/** An identity source over a file path (loaded once, on first use). */
export function identityFile(file: string): IdentitySource {
  let ids: AgeIdentity[] | undefined;
  return { file, load: () => (ids ??= loadIdentities(file)) };
}

/** Opens an encrypted archive from its recorded age prefix; throws IDENTITY when the identity does not fit, ARCHIVE_CORRUPT when the prefix is damaged. */
export function openSealedArchive(a: ArchiveRecord, prefix: Buffer, identity: IdentitySource | undefined): SealedArchive {
  if (!identity) throw new BackupError('IDENTITY', `archive ${a.seq} (${a.fileName}) is encrypted; set "encryption.identityFile" to the age identity that can open it`);
  const layout = payloadLayout(a.size, prefix.length);
  if (!layout) throw new BackupError('ARCHIVE_CORRUPT', `archive ${a.seq} (${a.fileName}): its size does not fit an age file; the catalog or the archive is damaged`);
  let key: Buffer | null;
  try {
    key = openPrefix(prefix, identity.load());
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('ARCHIVE_CORRUPT', `archive ${a.seq} (${a.fileName}): its age header is damaged (${(err as Error).message})`, { cause: err });
  }
  if (!key) throw new BackupError('IDENTITY', `the age identity file ${identity.file} cannot open archive ${a.seq} (${a.fileName}): it is not a key the archive was encrypted to; use the right identity file`, { subject: identity.file });
  return { layout, key };
}

/** A source of the archive's compressed (plaintext) bytes over a source of its stored (encrypted) bytes. */
export function decryptingSource(stored: ArchiveSource, a: ArchiveRecord, sealed: SealedArchive): ArchiveSource {
  const { layout, key } = sealed;
  return {
    from: stored.from,
    read: (r) => {
      const s = sealedRangeFor(layout, r.start, r.end);
      const skip = r.start - s.first * (64 * 1024);
      const want = r.end - r.start + 1;
      const chunks = decryptChunks(stored.read({ start: s.cipherStart, end: s.cipherEnd }), key, { counter: s.first, lastCounter: layout.chunks - 1 });
      return Readable.from(slice(mapAgeErrors(chunks, a), skip, want), { objectMode: false });
    },
  };
}

/** The plaintext of a whole encrypted archive read from the start (for archives the catalog has no age prefix of). */
export function decryptWhole(input: Readable, what: { seq?: number; fileName: string }, identity: IdentitySource | undefined): Readable {
  if (!identity) throw new BackupError('IDENTITY', `${what.fileName} is encrypted; set "encryption.identityFile" to the age identity that can open it`);
  const ids = identity.load();
  async function* plain(): AsyncGenerator<Buffer> {
    try {
      yield* decryptAge(input, ids);
    } catch (err) {
      if (err instanceof AgeNoIdentityError) throw new BackupError('IDENTITY', `the age identity file ${identity!.file} cannot open ${what.fileName}: it is not a key the archive was encrypted to; use the right identity file`, { subject: identity!.file });
      if (err instanceof AgeHeaderError) throw new BackupError('ARCHIVE_CORRUPT', `${what.fileName} is not a valid age file (${err.message}); use another copy of it`, { cause: err });
      throw err;
    }
  }
  return Readable.from(mapAgeErrors(plain(), what), { objectMode: false });
}

async function* mapAgeErrors(chunks: AsyncGenerator<Buffer>, a: { seq?: number; fileName: string }): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    if (err instanceof AgeDamagedError) {
      throw new BackupError('ARCHIVE_CORRUPT', `${a.seq === undefined ? '' : `archive ${a.seq} `}(${a.fileName}) is damaged: ${err.message}; nothing from the damaged part was written; use another copy of it`, { cause: err });
    }
    throw err;
  }
}

async function* slice(chunks: AsyncIterable<Buffer>, skip: number, want: number): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    if (want <= 0) return;
    let b = c;
    if (skip > 0) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      b = b.subarray(skip);
      skip = 0;
    }
    if (b.length > want) b = b.subarray(0, want);
    want -= b.length;
    yield b;
  }
}
