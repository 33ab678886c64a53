import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGlacierLocal } from '../../glacier-local/start-glacier-local.js';
import { backendContract } from '../backend-contract.js';
import { glacierBackend } from './glacier-backend.js';
import { openVault } from './open-vault.js';

backendContract('Glacier vault on the bundled server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'glacier-contract-'));
  const server = await startGlacierLocal({ dir });
  // one part at a time and one retry, so an injected fault on the second part fails that part for good
  const session = openVault(
    { name: 'contract', region: server.region, accountId: '-', partSizeMiB: 1, concurrency: 1, maxRetries: 1, uploadCatalog: false },
    { endpoint: server.endpoint, credentials: server.credentials, retry: { baseMs: 1, maxMs: 5 } },
  );
  await session.createVault();
  const backend = glacierBackend(session, { pollMs: 5, onClose: () => server.close() });
  return {
    backend,
    failNextPart: () => server.setFaults([{ operation: 'UploadMultipartPart', kind: 'error500', nth: [2, 3] }]),
    async close() {
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
