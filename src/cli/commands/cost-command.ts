/** `backup cost`: what the vault or bucket costs to keep, what the uploads cost, and what a restore would. */
import type { Command } from 'commander';
import { DEFAULT_PRICES_AS_OF, type CostEstimate } from '../../cost/estimate-cost.js';
import type { S3CostEstimate } from '../../cost/estimate-s3-cost.js';
import { estimateCatalogCost } from '../../cost/catalog-cost.js';
import { S3_PRICES_US_EAST_1 } from '../../cost/s3-prices.js';
import { formatUsd } from '../../cost/format-usd.js';
import { jsonMoney, type JsonMoney } from '../json-values.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup cost`. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('estimate storage, upload-request and restore costs from the catalog and the price table (the config\'s "prices" for a vault, S3 list prices per storage class for a bucket)')
    .addHelpText('after', '\nExample:\n  backup cost --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, (ctx) => {
        const cost = estimateCatalogCost(ctx.db, ctx.config);
        if (cost.backend === 's3') return s3Cost(ctx, ctx.config.s3!, cost.estimate);
        const est = cost.estimate;
        if (ctx.flags.json) return sayJson({ backend: 'glacier', prices: { source: 'config', defaultsAsOf: DEFAULT_PRICES_AS_OF }, ...vaultJson(est) });
        for (const line of formatVaultCost(est)) say(line);
      }),
    );
}

/** The bucket's estimate (each object priced by the class it was stored in), for people or --json. */
function s3Cost(ctx: CommandContext, s3: NonNullable<CommandContext['config']['s3']>, est: S3CostEstimate): void {
  const prices = { source: 'S3 list prices', region: S3_PRICES_US_EAST_1.region, asOf: S3_PRICES_US_EAST_1.asOf, bucketRegion: s3.region };
  if (ctx.flags.json) return sayJson({ backend: 's3', prices, ...s3Json(est) });
  const r = est.restoreLatest;
  const tier = (t: 'Expedited' | 'Standard' | 'Bulk', what: string) =>
    `restore latest, ${t} (${what}): ${r[t] === null ? 'not available for the classes of this chain (DEEP_ARCHIVE has no Expedited)' : formatUsd(r[t])}`;
  const lines = [
    `stored in s3://${s3.bucket}/${s3.prefix}: ${formatBytes(est.storedBytes)} (${est.storedBytes} bytes) in ${est.objects} object(s)`,
    ...est.byClass.map((u) => `  ${u.storageClass}: ${u.objects} object(s), ${formatBytes(u.bytes)}, billed as ${formatBytes(u.billableBytes)}: ${formatUsd(u.monthly)} a month`),
    ...(est.overheadStandardBytes > 0 ? [`  per-object overhead at the STANDARD price: ${formatBytes(est.overheadStandardBytes)}`] : []),
    `storage: ${formatUsd(est.monthlyStorage)} a month`,
    `upload requests made: ${est.uploadRequests}`,
    `upload requests cost: ${formatUsd(est.uploadRequestCost)} (paid once)`,
    `latest point to restore: ${formatBytes(r.bytes)} (${r.bytes} bytes) in ${r.archives} object(s)`,
    tier('Expedited', 'minutes'),
    tier('Standard', 'hours'),
    tier('Bulk', 'up to 48 hours'),
    `prices: USD, S3 list prices of ${prices.region} as of ${prices.asOf}${s3.region !== prices.region ? ` (the bucket is in ${s3.region}, where prices differ: a rough estimate)` : ''}`,
  ];
  for (const line of lines) say(line);
}

/** The vault's estimate for people: one figure per line, with its unit, and where the prices come from. */
function formatVaultCost(est: CostEstimate): string[] {
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

/** The vault's estimate for --json: money as jsonMoney. */
function vaultJson(est: CostEstimate) {
  const r = est.restoreLatest;
  return {
    ...est,
    monthlyStorage: jsonMoney(est.monthlyStorage),
    uploadRequestCost: jsonMoney(est.uploadRequestCost),
    restoreLatest: { ...r, Expedited: jsonMoney(r.Expedited), Standard: jsonMoney(r.Standard), Bulk: jsonMoney(r.Bulk) },
  };
}

/** The bucket's estimate for --json: money as jsonMoney; a tier that does not exist stays null. */
function s3Json(est: S3CostEstimate) {
  const r = est.restoreLatest;
  const opt = (n: number | null): JsonMoney | null => (n === null ? null : jsonMoney(n));
  return {
    ...est,
    byClass: est.byClass.map((u) => ({ ...u, monthly: jsonMoney(u.monthly) })),
    monthlyStorage: jsonMoney(est.monthlyStorage),
    uploadRequestCost: jsonMoney(est.uploadRequestCost),
    restoreLatest: { ...r, Expedited: opt(r.Expedited), Standard: opt(r.Standard), Bulk: opt(r.Bulk) },
  };
}
