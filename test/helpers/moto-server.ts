/**
 * moto_server (the machine's Python moto, a third-party S3 implementation) on a free loopback
 * port, for the S3 backend's suites. Parts may be 1 MiB (S3_UPLOAD_PART_MIN_SIZE), so tests
 * stay small. When moto_server is missing the suite fails (CI requires it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A running moto_server. */
export interface MotoServer {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Creates a bucket (moto keeps everything in memory). */
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((res) => srv.close(res));
  return port;
}

/** Starts moto_server and waits until it answers. */
export async function startMotoServer(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, S3_UPLOAD_PART_MIN_SIZE: String(1024 * 1024) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', res));
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  for (let i = 0; ; i++) {
    const r = await fetch(`${endpoint}/moto-api/`).catch(() => undefined);
    if (r) break;
    if (child.exitCode !== null || i > 200) throw new Error(`moto_server did not start (is it installed? python3 -m pip install 'moto[server]'): ${stderr.slice(-500)}`);
    await sleep(50);
  }
  return {
    endpoint,
    credentials,
    async createBucket(name) {
      const c = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
      try {
        await c.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        c.destroy();
      }
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
