/** Encrypts a stream into a new age file on disk (streaming: memory stays at one chunk plus the input's). */
import { open } from 'node:fs/promises';
import { AgeFileWriter, type AgeFileResult } from './age-file-writer.js';
import type { AgeRecipient } from './age-keys.js';

/** Writes `input` to `path` (created 0600, truncated) as an age file for `recipients`; fsync'ed when this resolves. */
export async function encryptToFile(input: AsyncIterable<Uint8Array>, path: string, recipients: readonly AgeRecipient[]): Promise<AgeFileResult> {
  const fh = await open(path, 'w', 0o600);
  try {
    const w = new AgeFileWriter(fh, recipients);
    let at = 0;
    for await (const chunk of input) {
      const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      await w.write(b, 0, b.length, at);
      at += b.length;
    }
    return await w.finish();
  } finally {
    await fh.close();
  }
}
