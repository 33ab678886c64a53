/** `backup cost`: what the vault costs to keep, what the uploads cost, and what a restore would. */
import type { Command } from 'commander';
import { listArchives, latestArchive } from '../../catalog/archive-store.js';
import { chainTo } from '../../restore/plan-chain.js';
import { estimateCost } from '../../cost/estimate-cost.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';

/** Registers `backup cost`. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('estimate storage, upload-request and restore costs from the catalog and the configured price table')
    .addHelpText('after', '\nExample:\n  backup cost --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const all = listArchives(ctx.db);
        const uploaded = all.filter((a) => a.uploadState === 'uploaded');
        const latest = latestArchive(ctx.db);
        const chain = latest ? chainTo(all, latest) : [];
        const est = estimateCost({
          archives: uploaded.map((a) => ({ size: a.size, uploadedAt: a.uploadedAt ? new Date(a.uploadedAt) : new Date(a.createdAt), parts: a.uploadRequests ?? 1 })),
          prices: ctx.config.prices,
          latestChainBytes: chain.reduce((n, a) => n + a.size, 0),
          latestChainArchives: chain.length,
        });
        if (ctx.flags.json) return sayJson(est);
        for (const line of formatCost(est)) say(line);
      }),
    );
}

function formatCost(est: ReturnType<typeof estimateCost>): string[] {
  return Object.entries(est).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
}
