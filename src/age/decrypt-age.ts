/**
 * Decrypting age files as streams: a whole file (header parsed from the stream, file key
 * unwrapped with the identities), or a run of chunks from the middle of one, starting at
 * a given chunk counter (what a ranged restore retrieves). Every chunk is authenticated
 * before any of its bytes are yielded, so nothing unauthenticated ever leaves; a chunk
 * that does not authenticate, or a stream that ends early, throws AgeDamagedError.
 */
import { decodeHeader, unwrapFileKey } from './age-header.js';
import type { AgeIdentity } from './age-keys.js';
import { CHUNK, NONCE_BYTES, SEALED_CHUNK, openChunk, payloadKey } from './age-stream.js';

/** The ciphertext is damaged or truncated. */
export class AgeDamagedError extends Error {
  override readonly name = 'AgeDamagedError';
}

/** No identity opens the file. */
export class AgeNoIdentityError extends Error {
  override readonly name = 'AgeNoIdentityError';
}

/** The plaintext of a whole age file read from `input`. Throws AgeHeaderError, AgeNoIdentityError or AgeDamagedError. */
export async function* decryptAge(input: AsyncIterable<Uint8Array>, identities: readonly AgeIdentity[]): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let header;
  for (;;) {
    header = decodeHeader(head);
    if (header && head.length >= header.length + NONCE_BYTES) break;
    const r = await it.next();
    if (r.done) throw new AgeDamagedError('the file ends inside its age header');
    head = Buffer.concat([head, r.value]);
  }
  const fileKey = unwrapFileKey(header, identities);
  if (!fileKey) throw new AgeNoIdentityError('none of the identities can decrypt it');
  const key = payloadKey(fileKey, head.subarray(header.length, header.length + NONCE_BYTES));
  const rest = head.subarray(header.length + NONCE_BYTES);
  yield* decryptChunks(prepend(rest, it), key, { counter: 0 });
}

/** The prefix (header and nonce) of an age file's first bytes, and its payload key; null when no identity fits. */
export function openPrefix(prefix: Buffer, identities: readonly AgeIdentity[]): Buffer | null {
  const header = decodeHeader(prefix);
  if (!header || prefix.length !== header.length + NONCE_BYTES) throw new AgeDamagedError('the recorded age header is incomplete');
  const fileKey = unwrapFileKey(header, identities);
  return fileKey && payloadKey(fileKey, prefix.subarray(header.length));
}

/**
 * Decrypts consecutive sealed chunks starting at chunk `counter`. With `lastCounter` the
 * chunk of that number is the file's last (for ranges that may stop before it); without,
 * the chunk the stream ends with is.
 */
export async function* decryptChunks(input: AsyncIterable<Uint8Array>, key: Buffer, opts: { counter: number; lastCounter?: number }): AsyncGenerator<Buffer> {
  let counter = opts.counter;
  const isLast = (atEnd: boolean) => (opts.lastCounter === undefined ? atEnd : counter === opts.lastCounter);
  const open = (sealed: Buffer, last: boolean): Buffer => {
    if (opts.lastCounter !== undefined && counter > opts.lastCounter) throw new AgeDamagedError('there is data after the last chunk');
    const p = openChunk(key, counter, sealed, last);
    if (!p) throw new AgeDamagedError(`chunk ${counter} (plaintext offset ${counter * CHUNK}) does not authenticate: the file is damaged`);
    if (last && p.length === 0 && counter > 0) throw new AgeDamagedError('the file ends with an empty chunk');
    counter++;
    return p;
  };
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of input) {
    parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    have += c.byteLength;
    // a chunk followed by more bytes is complete; whether it is the last one depends on the mode
    if (have <= SEALED_CHUNK) continue;
    const all = Buffer.concat(parts, have);
    const out: Buffer[] = [];
    let at = 0;
    for (; all.length - at > SEALED_CHUNK; at += SEALED_CHUNK) {
      const last = isLast(false);
      out.push(open(all.subarray(at, at + SEALED_CHUNK), last));
      if (last) throw new AgeDamagedError('there is data after the last chunk');
    }
    parts = [all.subarray(at)];
    have = all.length - at;
    yield out.length === 1 ? out[0] : Buffer.concat(out);
  }
  if (have === 0) {
    if (counter > opts.counter) return;
    throw new AgeDamagedError('there is no payload');
  }
  const last = isLast(true);
  if (!last && have !== SEALED_CHUNK) throw new AgeDamagedError(`the data ends inside chunk ${counter}`);
  yield open(Buffer.concat(parts, have), last);
}

async function* prepend(first: Buffer, it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first.length > 0) yield first;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}
