/** The totals block of the run-log email, gathered from the catalog and the config (the only I/O of the report). */
import { chainBroken, latestArchive, listArchives, pendingUploads } from '../catalog/archive-store.js';
import type { Db } from '../catalog/open-catalog.js';
import { snapshotTotals } from '../catalog/snapshot-store.js';
import type { Config } from '../config/load-config.js';
import { estimateCatalogCost } from '../cost/catalog-cost.js';
import { nextRun } from '../schedule/cron-line.js';
import { notOffsite } from './not-offsite.js';
import type { ReportTotals } from './render-report.js';

/** Totals as of `now`: data, stored bytes, the current chain, the oldest restorable point, what comes next, the monthly cost. */
export function gatherTotals(db: Db, config: Pick<Config, 'vault' | 's3' | 'stateDir' | 'schedule' | 'prices' | 'archive'>, now: Date): ReportTotals {
  const kept = listArchives(db).filter((a) => a.uploadState !== 'deleted');
  const latest = latestArchive(db);
  const chain = latest ? kept.filter((a) => a.chainSeq === latest.chainSeq) : [];
  const broken = latest ? chainBroken(db, latest.chainSeq) !== undefined : false;
  let next: Date | undefined;
  try {
    next = nextRun(config.schedule, now);
  } catch {
    next = undefined; // an invalid schedule is reported by `schedule print` and `status`
  }
  const offsite = notOffsite(config);
  return {
    data: snapshotTotals(db),
    stored: { archives: kept.length, bytes: kept.reduce((n, a) => n + a.size, 0) },
    ...(latest ? { chain: { fullSeq: latest.chainSeq, incrementals: chain.length - 1, bytes: chain.reduce((n, a) => n + a.size, 0), broken } } : {}),
    ...(kept.length ? { oldestRestorable: new Date(kept[0].createdAt) } : {}),
    ...(latest ? { nextFullInRuns: broken ? 1 : Math.max(1, config.archive.fullEvery - latest.level + 1) } : {}),
    pendingUploads: pendingUploads(db).length,
    ...(next ? { nextRun: next } : {}),
    ...(config.vault || config.s3 ? { monthlyCost: estimateCatalogCost(db, config).estimate.monthlyStorage } : {}),
    ...(offsite ? { notOffsite: offsite.short } : {}),
  };
}
