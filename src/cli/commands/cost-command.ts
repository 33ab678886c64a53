/** `backup cost`: what the vault costs to keep, what the uploads cost, and what a restore would. */
import type { Command } from 'commander';
import { listArchives, latestArchive } from '../../catalog/archive-store.js';
import { chainTo } from '../../restore/plan-chain.js';
import { DEFAULT_PRICES_AS_OF, estimateCost } from '../../cost/estimate-cost.js';
import { formatUsd } from '../../cost/format-usd.js';
import { withContext } from '../command-context.js';
import { listCatalogSnapshots } from '../../catalog/inventory-store.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup cost`. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('estimate storage, upload-request and restore costs from the catalog and the configured price table')
    .addHelpText('after', '\nExample:\n  backup cost --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, (ctx) => {
        const all = listArchives(ctx.db);
        const uploaded = all.filter((a) => a.uploadState === 'uploaded');
        const latest = latestArchive(ctx.db);
        // what a restore of the latest point retrieves when no local copy is left (the disaster case)
        const chain = (latest ? chainTo(all, latest) : []).filter((a) => a.uploadState === 'uploaded');
        const est = estimateCost({
          // the catalog's own snapshots are stored (and billed) too
          archives: [
            ...uploaded.map((a) => ({ size: a.size, uploadedAt: a.uploadedAt ? new Date(a.uploadedAt) : new Date(a.createdAt), parts: a.uploadRequests ?? 1 })),
            ...listCatalogSnapshots(ctx.db).map((s) => ({ size: s.size, uploadedAt: new Date(s.createdAt), parts: 1 })),
          ],
          prices: ctx.config.prices,
          latestChainBytes: chain.reduce((n, a) => n + a.size, 0),
          latestChainArchives: chain.length,
        });
        if (ctx.flags.json) return sayJson(est);
        for (const line of formatCost(est)) say(line);
      }),
    );
}

/** The estimate for people: one figure per line, with its unit, and where the prices come from. */
function formatCost(est: ReturnType<typeof estimateCost>): string[] {
  const r = est.restoreLatest;
  return [
    `stored in the vault: ${formatBytes(est.storedBytes)} (${est.storedBytes} bytes)`,
    `archives in the vault: ${est.archives}`,
    `storage: ${formatUsd(est.monthlyStorage)} a month`,
    `upload requests made: ${est.uploadRequests}`,
    `upload requests cost: ${formatUsd(est.uploadRequestCost)} (paid once)`,
    `latest point to restore: ${formatBytes(r.bytes)} (${r.bytes} bytes)`,
    `latest point's archives (one retrieval job each): ${r.archives}`,
    `restore latest, Expedited (minutes): ${formatUsd(r.Expedited)}`,
    `restore latest, Standard (3-5 hours): ${formatUsd(r.Standard)}`,
    `restore latest, Bulk (5-12 hours): ${formatUsd(r.Bulk)}`,
    `prices: USD from the config's "prices" table (defaults: ${DEFAULT_PRICES_AS_OF})`,
  ];
}
