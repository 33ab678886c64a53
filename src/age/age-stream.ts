/**
 * age's payload (https://age-encryption.org/v1, "Payload"): a 16-byte nonce after the
 * header, then the plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
 * HKDF(file key, nonce, "payload") with nonce = 11-byte big-endian chunk counter ‖ last
 * flag. Only the last chunk may be shorter than 64 KiB, and it is empty only when the
 * whole plaintext is. Chunk i thus covers plaintext [i·64 KiB, (i+1)·64 KiB) and sits at
 * ciphertext offset prefix + i·(64 KiB + 16), where prefix = header + nonce: any chunk
 * can be decrypted on its own, which is what ranged restores use. Pure.
 */
import { createCipheriv } from 'node:crypto';
import { hkdf32, openChaCha } from './age-primitives.js';

/** Plaintext bytes per chunk. */
export const CHUNK = 64 * 1024;
/** Ciphertext bytes per full chunk. */
export const SEALED_CHUNK = CHUNK + 16;
/** Bytes of the payload nonce. */
export const NONCE_BYTES = 16;

/** The payload key from the file key and the payload nonce. */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf32(fileKey, nonce, 'payload');
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6);
  n[11] = last ? 1 : 0;
  return n;
}

/**
 * Seals chunk number `counter` (ChaCha20-Poly1305): its ciphertext, then its 16-byte tag,
 * as two pieces a writev takes without joining them.
 */
export function sealChunk(key: Uint8Array, counter: number, plaintext: Uint8Array, last: boolean): [Buffer, Buffer] {
  const c = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: 16 });
  const body = c.update(plaintext);
  // chacha20-poly1305 has nothing left to give at final; it computes the tag
  c.final();
  return [body, c.getAuthTag()];
}

/** Opens chunk number `counter`; null when it does not authenticate (damaged, reordered, or the last flag is wrong). */
export function openChunk(key: Uint8Array, counter: number, sealed: Uint8Array, last: boolean): Buffer | null {
  return openChaCha(key, chunkNonce(counter, last), sealed);
}

/** Where the payload's chunks are, for an age file of `fileSize` bytes whose header and nonce take `prefix` bytes. */
export interface PayloadLayout {
  prefix: number;
  chunks: number;
  plainSize: number;
}

/** The layout of an age file from its size and prefix length; null when the size cannot be a valid payload. */
export function payloadLayout(fileSize: number, prefix: number): PayloadLayout | null {
  const sealed = fileSize - prefix;
  if (sealed < 16) return null;
  const chunks = Math.ceil(sealed / SEALED_CHUNK);
  const tail = sealed - (chunks - 1) * SEALED_CHUNK;
  if (tail < 16 || (tail === 16 && chunks > 1)) return null;
  return { prefix, chunks, plainSize: sealed - chunks * 16 };
}

/** The ciphertext range (inclusive) holding plaintext [start, end], and the first chunk's counter. */
export function sealedRangeFor(layout: PayloadLayout, start: number, end: number): { first: number; last: number; cipherStart: number; cipherEnd: number } {
  const first = Math.floor(start / CHUNK);
  const last = Math.min(Math.floor(end / CHUNK), layout.chunks - 1);
  const cipherStart = layout.prefix + first * SEALED_CHUNK;
  const cipherEnd = Math.min(layout.prefix + (last + 1) * SEALED_CHUNK, layout.prefix + layout.plainSize + layout.chunks * 16) - 1;
  return { first, last, cipherStart, cipherEnd };
}
