import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MiB, treeHash } from '../src/treehash/tree-hash.js';
import { pseudoRandom, vaultFixture } from './vault-fixture.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The uploader, alone in a child process so its memory is measured without the server's. */
const child = (openVaultUrl: string, journalUrl: string) => `
import { openVault } from ${JSON.stringify(openVaultUrl)};
import { memoryJournal } from ${JSON.stringify(journalUrl)};
const [endpoint, accessKeyId, secretAccessKey, path] = process.argv.slice(2);
const vault = openVault({ name: 'test-vault', region: 'us-east-1', accountId: '-', partSizeMiB: 16, concurrency: 4, maxRetries: 3, uploadCatalog: false },
  { endpoint, credentials: { accessKeyId, secretAccessKey } });
const base = process.memoryUsage();
const peak = { rss: base.rss, heapUsed: base.heapUsed, arrayBuffers: base.arrayBuffers, external: base.external };
const timer = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
}, 2);
const res = await vault.uploadArchive({ path, description: 'memory', journal: memoryJournal() });
clearInterval(timer);
vault.close();
process.stdout.write(JSON.stringify({ base, peak, treeHash: res.treeHash }));
`;

test('the uploader holds neither the archive nor its parts in memory (64 MiB, 16 MiB parts, 4 in flight)', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(64 * MiB, 41);
    const path = await fx.file('big.tar.gz', data);
    const script = join(fx.dir, 'measure-upload.mts');
    await writeFile(script, child(pathToFileURL(join(root, 'src/storage/glacier/open-vault.ts')).href, pathToFileURL(join(root, 'src/storage/memory-journal.ts')).href));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, fx.server.endpoint, fx.server.credentials.accessKeyId, fx.server.credentials.secretAccessKey, path], {
      cwd: root,
      maxBuffer: 1 << 20,
    });
    const { base, peak, treeHash: got } = JSON.parse(stdout) as { base: Record<string, number>; peak: Record<string, number>; treeHash: string };
    assert.equal(got, treeHash(data));
    const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    const buffers = peak.arrayBuffers - base.arrayBuffers;
    console.log(`# upload of 64 MiB, 16 MiB parts, 4 in flight: peak RSS ${mb(peak.rss)} (+${mb(peak.rss - base.rss)}), heap +${mb(peak.heapUsed - base.heapUsed)}, buffers +${mb(buffers)}`);
    // 4 scratch buffers of 1 MiB for hashing, and the 64 KiB chunks already sent that wait for
    // V8's next young collection (which comes at the latest when they reach two semi-spaces,
    // 32 MiB): about 36 MiB here, below the 64 MiB that 4 buffered parts (or the file) would hold
    assert.ok(buffers < 48 * MiB, `buffers grew by ${mb(buffers)}`);
    assert.ok(peak.rss - base.rss < 56 * MiB, `RSS grew by ${mb(peak.rss - base.rss)}`);
  } finally {
    await fx.close();
  }
});
