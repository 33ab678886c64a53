import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config-schema.js';
import { startGlacierLocal } from '../../glacier-local/start-glacier-local.js';
import { MiB } from '../../treehash/tree-hash.js';
import { startMotoServer } from '../../../test/helpers/moto-server.js';
import { backendContract, type ContractSubject } from '../backend-contract.js';
import { createS3Client, openS3 } from './s3-backend.js';

const cfg: S3Config = {
  bucket: 'contract',
  prefix: 'backups/',
  region: 'us-east-1',
  storageClass: 'DEEP_ARCHIVE',
  catalogStorageClass: 'GLACIER_IR',
  partSizeMiB: 5,
  // one part at a time, so an injected fault hits exactly the second part
  concurrency: 1,
  maxRetries: 2,
  uploadCatalog: false,
  restoreDays: 1,
};

/** A client whose next upload's second UploadPart is refused (HTTP 400, not retried). */
function subject(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }, onClose: () => Promise<void>): ContractSubject {
  const client = createS3Client(cfg, { endpoint, credentials });
  let armed = false;
  let parts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (armed && context.commandName === 'UploadPartCommand' && ++parts === 2) {
        armed = false;
        throw Object.assign(new Error('injected refusal of a part'), { name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'contractFault' },
  );
  const backend = openS3(cfg, { endpoint, credentials, partSize: MiB, pollMs: 5, retry: { baseMs: 1, maxMs: 5 }, onClose }, client);
  return {
    backend,
    failNextPart() {
      armed = true;
      parts = 0;
    },
    close: () => backend.close(),
  };
}

backendContract('S3 on moto_server', async () => {
  const moto = await startMotoServer();
  await moto.createBucket(cfg.bucket);
  return subject(moto.endpoint, moto.credentials, () => moto.close());
});

backendContract('S3 on the bundled server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3-contract-'));
  const server = await startGlacierLocal({ dir, s3MinPartSize: MiB });
  const admin = createS3Client(cfg, { endpoint: server.endpoint, credentials: server.credentials });
  await admin.send(new CreateBucketCommand({ Bucket: cfg.bucket }));
  admin.destroy();
  return subject(server.endpoint, server.credentials, async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
});
