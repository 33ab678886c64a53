/**
 * s3.maxBytesPerSecond holds for the sum of the parts in flight, retries included: every
 * chunk of every request body the S3 backend sends is timed on the limiter's injected
 * virtual clock as it goes out (no real time is measured), and the bytes sent by any
 * instant never exceed rate × time plus the limiter's burst. Against the bundled server's
 * S3 side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config-schema.js';
import { startGlacierLocal } from '../../glacier-local/start-glacier-local.js';
import { MiB } from '../../treehash/tree-hash.js';
import { ByteRateLimiter, type LimiterClock } from '../byte-rate-limiter.js';
import { memoryJournal } from '../memory-journal.js';
import { createS3Client, openS3 } from './s3-backend.js';

const cfg: S3Config = {
  bucket: 'capped',
  prefix: '',
  region: 'us-east-1',
  storageClass: 'DEEP_ARCHIVE',
  catalogStorageClass: 'GLACIER_IR',
  partSizeMiB: 5,
  concurrency: 4,
  maxRetries: 3,
  uploadCatalog: false,
  restoreDays: 1,
};

/** A virtual clock: sleeping moves time forward to the sleeper's wake-up at once. */
function virtualClock(): LimiterClock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    async sleep(ms: number) {
      const wake = c.t + ms;
      await Promise.resolve();
      c.t = Math.max(c.t, wake);
    },
  };
  return c;
}

test('the S3 upload of 12 parts, 4 in flight and one retried, never sends faster than the cap by the virtual clock', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 's3-cap-'));
  const server = await startGlacierLocal({ dir, s3MinPartSize: MiB });
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const where = { endpoint: server.endpoint, credentials: server.credentials };
  const admin = createS3Client(cfg, where);
  await admin.send(new CreateBucketCommand({ Bucket: cfg.bucket }));
  admin.destroy();

  const rate = 2 * MiB;
  const burstMs = 100;
  const clock = virtualClock();
  const limiter = new ByteRateLimiter(rate, { burstMs, clock });
  // every chunk of every request body as it goes out, at its virtual time; the first attempt of part 3 fails after its bytes went
  const sent: Array<{ at: number; bytes: number }> = [];
  const attempts: number[] = [];
  let failed = false;
  const client = createS3Client(cfg, where);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { body?: unknown };
      const part = (args.input as { PartNumber?: number }).PartNumber ?? 0;
      if (context.commandName === 'UploadPartCommand' && request.body instanceof Readable) {
        attempts.push(part);
        const timed = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            sent.push({ at: clock.now(), bytes: chunk.length });
            done(null, chunk);
          },
        });
        request.body = request.body.pipe(timed);
        if (part === 3 && !failed) {
          failed = true;
          for await (const chunk of timed) void chunk;
          throw Object.assign(new Error('injected reset after the body went'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
        }
      }
      return next(args);
    },
    { step: 'build', name: 'recordBodies' },
  );
  const backend = openS3(cfg, { ...where, partSize: MiB, limiter, retry: { baseMs: 1, maxMs: 2 } }, client);
  t.after(() => backend.close());

  const path = join(dir, 'archive.tar.gz');
  const data = Buffer.alloc(12 * MiB, 7);
  await writeFile(path, data);
  const meta = { kind: 'data' as const, host: 'h', set: 'capped', seq: 1, level: 0, parentSeq: null, createdAt: new Date(Date.UTC(2026, 10, 1)), fileName: 'capped-000001-L0.tar.gz' };
  const stored = await backend.put({ path, meta, expectedBytes: data.length, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
  assert.equal(stored.size, data.length);

  assert.equal(attempts.length, 13, '12 parts and the retry of part 3');
  assert.equal(attempts.filter((p) => p === 3).length, 2);
  assert.equal(sent.reduce((n, s) => n + s.bytes, 0), 13 * MiB, 'every byte of every attempt went through the cap');
  // by every instant a body went out, the bytes sent so far fit the rate plus the burst
  let total = 0;
  for (const s of [...sent].sort((a, b) => a.at - b.at)) {
    total += s.bytes;
    assert.ok(total <= (rate * (s.at + burstMs)) / 1000 + 1, `${total} bytes sent by ${s.at} ms exceed ${rate} B/s`);
  }
  // and the cap is what paced it: 13 MiB at 2 MiB/s take 6.5 s, less the burst
  const last = Math.max(...sent.map((s) => s.at));
  assert.ok(last >= ((13 * MiB) / rate) * 1000 - burstMs, `last body at ${last} ms`);
});
