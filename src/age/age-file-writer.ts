/**
 * Encrypts a byte stream into an age file as it is written: the header and payload nonce
 * first, then each 64 KiB chunk as soon as a later byte proves it is not the last, so the
 * file on disk grows with the plaintext and a concurrent uploader can read it. The SHA-256
 * tree hash is over the ciphertext (what is stored).
 *
 * It presents the positioned `write` and `sync` of a file handle, so the block-gzip writer
 * can write into it unchanged; `sync` there is a no-op, since the file is complete only
 * after `finish`, which seals the last chunk and fsyncs.
 */
import { randomBytes } from 'node:crypto';
import { TreeHasher } from '../treehash/tree-hash.js';
import { encodeHeader } from './age-header.js';
import type { AgeRecipient } from './age-keys.js';
import { CHUNK, NONCE_BYTES, payloadKey, sealChunk } from './age-stream.js';

/** Where the ciphertext goes: a file handle's positioned write and fsync. */
export interface CipherFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
}

/** The finished age file. */
export interface AgeFileResult {
  /** Ciphertext bytes (the file's size). */
  size: number;
  /** SHA-256 tree hash of the ciphertext. */
  treeHash: string;
  /** The header and payload nonce: everything before the first chunk. */
  prefix: Buffer;
}

/**
 * Contract: plaintext arrives through `write` at consecutive positions from 0; `finish`
 * once, after the last write. `onFlushed` reports the ciphertext bytes written so far. The
 * caller owns the file handle. After a rejection the writer is broken.
 */
export class AgeFileWriter {
  readonly prefix: Buffer;
  private readonly key: Buffer;
  private readonly hasher = new TreeHasher();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private plain = 0;
  private counter = 0;
  private written = 0;
  private started = false;

  constructor(
    private readonly file: CipherFile,
    recipients: readonly AgeRecipient[],
    private readonly onFlushed?: (cipherBytesOnDisk: number) => void,
  ) {
    if (recipients.length === 0) throw new RangeError('AgeFileWriter: no recipients');
    const fileKey = randomBytes(16);
    const nonce = randomBytes(NONCE_BYTES);
    this.prefix = Buffer.concat([encodeHeader(fileKey, recipients), nonce]);
    this.key = payloadKey(fileKey, nonce);
  }

  /** Accepts plaintext at `position` (which must be where the previous write ended); copies it. */
  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    if (position !== this.plain) throw new Error(`AgeFileWriter: write at ${position}, expected ${this.plain}`);
    this.pending.push(Buffer.from(buffer.subarray(offset, offset + length)));
    this.pendingBytes += length;
    this.plain += length;
    if (!this.started) {
      this.started = true;
      await this.emit([this.prefix]);
    }
    // a full chunk is sealed once a later byte shows it is not the last
    if (this.pendingBytes > CHUNK) {
      const all = Buffer.concat(this.pending, this.pendingBytes);
      const out: Buffer[] = [];
      let at = 0;
      for (; all.length - at > CHUNK; at += CHUNK) out.push(sealChunk(this.key, this.counter++, all.subarray(at, at + CHUNK), false));
      this.pending = [all.subarray(at)];
      this.pendingBytes = all.length - at;
      await this.emit(out);
    }
    return { bytesWritten: length };
  }

  /** Nothing to do before `finish` (part of the file-handle shape). */
  async sync(): Promise<void> {}

  /** Seals the last chunk, writes it, fsyncs the file and returns the result. */
  async finish(): Promise<AgeFileResult> {
    const out: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      out.push(this.prefix);
    }
    out.push(sealChunk(this.key, this.counter++, Buffer.concat(this.pending, this.pendingBytes), true));
    this.pending = [];
    this.pendingBytes = 0;
    await this.emit(out);
    await this.file.sync();
    return { size: this.written, treeHash: this.hasher.digest(), prefix: this.prefix };
  }

  private async emit(parts: Buffer[]): Promise<void> {
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.file.write(data, done, data.length - done, this.written + done);
      done += bytesWritten;
    }
    this.hasher.update(data);
    this.written += data.length;
    this.onFlushed?.(this.written);
  }
}
