/** `backup glacier-local serve`: the bundled Glacier- and S3-compatible server, standalone. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseDuration, parsePositiveInt } from '../parse-options.js';
import { interruptSignal } from '../interrupt.js';
import { say, sayJson } from '../output.js';
import { globalFlags } from '../command-context.js';

/** Registers `backup glacier-local serve`. */
export function registerGlacierLocal(program: Command): void {
  program
    .command('glacier-local')
    .description('the bundled Glacier- and S3-compatible server (docs/glacier-local.md, docs/s3-local.md)')
    .command('serve')
    .description('serve the Glacier vault API and the S3 subset (path-style) over a directory until interrupted (loopback by default)')
    .requiredOption('--dir <dir>', 'data directory: archives as files plus metadata.db; created if missing')
    .option('--port <n>', 'port (default: a free one)')
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--region <region>', 'region checked in request signatures', 'us-east-1')
    .option('--realistic-delays', 'complete Glacier jobs and S3 restores after realistic delays (Expedited minutes, Standard hours, Bulk longer) instead of at once')
    .option('--inventory-every <age>', 'refresh inventories this often, like Glacier (e.g. 24h); default: always current')
    .addHelpText('after', `
Example:
  backup glacier-local serve --dir /tmp/vault --port 9000
  aws glacier list-vaults --account-id - --endpoint-url http://127.0.0.1:9000
  aws s3api list-buckets --endpoint-url http://127.0.0.1:9000`)
    .action(async (opts: { dir: string; port?: string; host: string; region: string; realisticDelays?: boolean; inventoryEvery?: string }, cmd: Command) => {
      const json = !!globalFlags(cmd).json;
      // handlers first: a SIGTERM right after the listening line stops the server cleanly
      const signal = interruptSignal();
      // the servers are loaded only to serve
      const { REALISTIC_JOB_DELAYS_MS, REALISTIC_RESTORE_DELAYS_MS, startGlacierLocal } = await import('../../glacier-local/start-glacier-local.js');
      const server = await startGlacierLocal({
        dir: resolve(opts.dir),
        host: opts.host,
        port: opts.port === undefined ? 0 : parsePositiveInt(opts.port, '--port'),
        region: opts.region,
        jobDelaysMs: opts.realisticDelays ? REALISTIC_JOB_DELAYS_MS : undefined,
        restoreDelaysMs: opts.realisticDelays ? REALISTIC_RESTORE_DELAYS_MS : undefined,
        inventoryRefreshMs: opts.inventoryEvery ? parseDuration(opts.inventoryEvery, '--inventory-every') : undefined,
      });
      // with --json, the one object says where the server listens, once it does (the stop is the exit)
      if (json) sayJson({ endpoint: server.endpoint, region: server.region, accountId: server.accountId, dir: resolve(opts.dir), credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: server.credentials.secretAccessKey } });
      else {
        say(`glacier-local listening on ${server.endpoint} (region ${server.region}, account ${server.accountId}, data in ${resolve(opts.dir)})`);
        say(`credentials it accepts: AWS_ACCESS_KEY_ID=${server.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${server.credentials.secretAccessKey}`);
      }
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      await server.close();
      if (!json) say('glacier-local stopped');
    });
}
