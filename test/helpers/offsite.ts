/** Test helper: a standalone glacier-local server and a config whose vault points at it, for running the real binary against. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGlacierLocal, type FaultRule, type GlacierLocal } from '../../src/glacier-local/start-glacier-local.js';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { runCli, type CliResult } from './run-cli.js';
import { awsEnv } from './aws-env.js';

/** A test world: temp root, data dir, running vault server, config file and a CLI bound to them. */
export interface Offsite {
  root: string;
  data: string;
  stateDir: string;
  config: string;
  server: GlacierLocal;
  env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * Starts a server over its own directory (outside stateDir, so a lost stateDir keeps the vault) and writes a config:
 * a vault, or with `s3` a bucket "backups" on the server's S3 side (the caller creates it).
 */
export async function startOffsite(
  opts: { vault?: Record<string, unknown>; s3?: Record<string, unknown>; archive?: Record<string, unknown>; faults?: FaultRule[]; jobDelaysMs?: Record<string, number>; extra?: Record<string, unknown> } = {},
): Promise<Offsite> {
  const root = mkdtempSync(join(tmpdir(), 'backup-offsite-'));
  const data = join(root, 'data');
  const stateDir = join(root, 'state');
  mkdirSync(data);
  const server = await startGlacierLocal({ dir: join(root, 'vault-server'), faults: opts.faults, jobDelaysMs: opts.jobDelaysMs });
  const config = join(root, 'backup.json');
  writeFileSync(
    config,
    JSON.stringify({
      data,
      set: 'offsite',
      stateDir,
      archive: { blockSizeKiB: 64, ...opts.archive },
      ...(opts.s3
        ? { s3: { bucket: 'backups', prefix: 'pre/', endpoint: server.endpoint, partSizeMiB: 5, concurrency: 2, maxRetries: 3, ...opts.s3 } }
        : { vault: { name: 'test-vault', endpoint: server.endpoint, partSizeMiB: 1, concurrency: 4, maxRetries: 10, ...opts.vault } }),
      ...opts.extra,
    }),
  );
  const env: NodeJS.ProcessEnv = awsEnv(server.credentials);
  return {
    root,
    data,
    stateDir,
    config,
    server,
    env,
    cli: (...args) => runCli([...args, '--config', config], { env }),
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Creates the world's bucket "backups" on the server's S3 side; `keys` lists what it holds, sorted. */
export async function openBucket(w: Offsite, t: { after(fn: () => unknown): void }): Promise<{ s3: S3Client; keys: () => Promise<string[]> }> {
  const s3 = new S3Client({ endpoint: w.server.endpoint, region: 'us-east-1', credentials: w.server.credentials, forcePathStyle: true });
  t.after(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
  const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []).map((o) => o.Key!).sort();
  return { s3, keys };
}
