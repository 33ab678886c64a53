/** Benchmark helper: uploads one file through the real uploader into a fresh glacier-local vault (run under /usr/bin/time for peak RSS). */
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { openVault } from '../src/storage/glacier/open-vault.js';
import { vaultSchema } from '../src/config/config-schema.js';
import { memoryJournal } from '../src/storage/memory-journal.js';

const [path, dir] = process.argv.slice(2);
const server = await startGlacierLocal({ dir });
const session = openVault(vaultSchema.parse({ name: 'bench', partSizeMiB: 32, concurrency: 4 }), { endpoint: server.endpoint, credentials: server.credentials });
await session.createVault();
const r = await session.uploadArchive({ path, description: 'bench', journal: memoryJournal() });
console.log(`uploaded ${r.size} bytes in ${r.requests} requests: ${r.treeHash}`);
session.close();
await server.close();
