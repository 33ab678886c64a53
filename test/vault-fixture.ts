/**
 * Test bed for the vault tests: a real glacier-local server in a temp directory, a
 * VaultSession on it with short backoffs, and helpers to write files and read archives back
 * through a retrieval job.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGlacierLocal, type FaultRule, type GlacierLocalOptions } from '../src/glacier-local/start-glacier-local.js';
import type { VaultConfig } from '../src/config/config-schema.js';
import { openVault, type VaultSession } from '../src/storage/glacier/open-vault.js';
import { MiB } from '../src/treehash/tree-hash.js';

export interface VaultFixture {
  dir: string;
  server: Awaited<ReturnType<typeof startGlacierLocal>>;
  config: VaultConfig;
  vault: VaultSession;
  /** Log lines the session wrote. */
  logs: string[];
  /** Writes `data` to a file in the temp directory and returns its path. */
  file(name: string, data: Uint8Array): Promise<string>;
  /** Reads an archive back through an Expedited retrieval job. */
  retrieve(archiveId: string): Promise<Buffer>;
  /** The server's request count for `operation` (0 when none). */
  count(operation: string): number;
  close(): Promise<void>;
}

/** Starts a server and opens the vault (created). */
export async function vaultFixture(
  opts: { faults?: FaultRule[]; vault?: Partial<VaultConfig>; server?: Partial<GlacierLocalOptions>; retryBaseMs?: number } = {},
): Promise<VaultFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'backup-vault-'));
  const server = await startGlacierLocal({ dir: join(dir, 'server'), faults: opts.faults, ...opts.server });
  const config: VaultConfig = {
    name: 'test-vault',
    region: server.region,
    accountId: '-',
    partSizeMiB: 1,
    concurrency: 4,
    maxRetries: 10,
    uploadCatalog: false,
    ...opts.vault,
  };
  const logs: string[] = [];
  const vault = openVault(config, { endpoint: server.endpoint, credentials: server.credentials, log: (m) => logs.push(m), retry: { baseMs: opts.retryBaseMs ?? 2, maxMs: 40 } });
  await vault.createVault();
  let n = 0;
  return {
    dir,
    server,
    config,
    vault,
    logs,
    async file(name, data) {
      const p = join(dir, name);
      await writeFile(p, data);
      return p;
    },
    async retrieve(archiveId) {
      const jobId = await vault.initiateRetrieval({ archiveId, tier: 'Expedited' });
      const job = await vault.waitForJob(jobId, { initialMs: 10, maxMs: 50 });
      const out = join(dir, `retrieved-${++n}`);
      await vault.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: job.treeHash, chunkSize: 4 * MiB });
      return readFile(out);
    },
    count(operation) {
      return server.stats()[operation] ?? 0;
    },
    async close() {
      vault.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random bytes (fast; distinct per seed). */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) buf[i] = i & 0xff;
  return buf;
}
