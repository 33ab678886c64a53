import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateS3Cost } from './estimate-s3-cost.js';
import { S3_PRICES_US_EAST_1 as prices } from './s3-prices.js';

const GiB = 1024 ** 3;
const KiB = 1024;

const near = (actual: number | null, expected: number, what: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≈ ${expected}`);

test('a DEEP_ARCHIVE bucket with GLACIER_IR snapshots, computed by hand at the us-east-1 prices', () => {
  const est = estimateS3Cost({
    objects: [
      { size: 10 * GiB, storageClass: 'DEEP_ARCHIVE', requests: 642 }, // 16 MiB parts: create + 640 parts + complete
      { size: GiB, storageClass: 'DEEP_ARCHIVE', requests: 66 },
      { size: 64 * KiB, storageClass: 'GLACIER_IR', requests: 1 }, // a catalog snapshot below the 128 KB minimum
    ],
    latestChain: [
      { size: 10 * GiB, storageClass: 'DEEP_ARCHIVE' },
      { size: GiB, storageClass: 'DEEP_ARCHIVE' },
    ],
    prices,
  });
  assert.equal(est.objects, 3);
  assert.equal(est.storedBytes, 11 * GiB + 64 * KiB);
  const [deep, ir] = est.byClass;
  assert.equal(deep.storageClass, 'DEEP_ARCHIVE');
  assert.equal(deep.billableBytes, 11 * GiB + 2 * 32 * KiB); // 32 KB of overhead per object in the class
  assert.equal(ir.storageClass, 'GLACIER_IR');
  assert.equal(ir.billableBytes, 128 * KiB); // billed as 128 KB
  assert.equal(est.overheadStandardBytes, 2 * 8 * KiB); // 8 KB per DEEP_ARCHIVE object at STANDARD
  near(deep.monthly, ((11 * GiB + 64 * KiB) / GiB) * 0.00099, 'DEEP_ARCHIVE a month');
  near(ir.monthly, (128 / (1024 * 1024)) * 0.004, 'GLACIER_IR a month');
  near(est.monthlyStorage, deep.monthly + ir.monthly + ((16 * KiB) / GiB) * 0.023, 'storage a month');
  assert.equal(est.uploadRequests, 709);
  near(est.uploadRequestCost, (708 / 1000) * 0.05 + (1 / 1000) * 0.02, 'upload requests'); // each at its class's PUT price
  assert.equal(est.restoreLatest.archives, 2);
  assert.equal(est.restoreLatest.bytes, 11 * GiB);
  assert.equal(est.restoreLatest.Expedited, null, 'DEEP_ARCHIVE has no Expedited');
  // 11 GiB × $0.02 + 2 restore requests × $0.10/1000 + 2 GETs × $0.0004/1000
  near(est.restoreLatest.Standard, 11 * 0.02 + 0.0002 + 0.0000008, 'Standard');
  near(est.restoreLatest.Bulk, 11 * 0.0025 + 0.00005 + 0.0000008, 'Bulk');
});

test('GLACIER restores: Expedited costs per request and per GiB, Bulk is free but for the GET', () => {
  const est = estimateS3Cost({ objects: [], latestChain: [{ size: 2 * GiB, storageClass: 'GLACIER' }], prices });
  near(est.restoreLatest.Expedited, 2 * 0.03 + 0.01 + 0.0000004, 'Expedited');
  near(est.restoreLatest.Standard, 2 * 0.01 + 0.00005 + 0.0000004, 'Standard');
  near(est.restoreLatest.Bulk, 0.0000004, 'Bulk');
});

test('instantly readable classes cost the same whatever the tier: their per-GiB retrieval and a GET', () => {
  const est = estimateS3Cost({
    objects: [],
    latestChain: [
      { size: GiB, storageClass: 'GLACIER_IR' },
      { size: GiB, storageClass: 'STANDARD_IA' },
      { size: GiB, storageClass: 'STANDARD' },
    ],
    prices,
  });
  const expected = 0.03 + 0.01 / 1000 + 0.01 + 0.001 / 1000 + 0.0004 / 1000;
  for (const t of ['Expedited', 'Standard', 'Bulk'] as const) near(est.restoreLatest[t], expected, t);
});

test('many small DEEP_ARCHIVE objects are dominated by their 40 KB overhead', () => {
  const objects = Array.from({ length: 1000 }, () => ({ size: 4 * KiB, storageClass: 'DEEP_ARCHIVE', requests: 1 }));
  const est = estimateS3Cost({ objects, latestChain: [], prices });
  assert.equal(est.byClass[0].billableBytes, 1000 * 36 * KiB);
  assert.equal(est.overheadStandardBytes, 1000 * 8 * KiB);
  const data = ((1000 * 4 * KiB) / GiB) * 0.00099;
  assert.ok(est.monthlyStorage > 10 * data, `overhead ${est.monthlyStorage} vs data ${data}`);
});

test('an empty bucket costs nothing, and a class another tool chose is priced as STANDARD', () => {
  const empty = estimateS3Cost({ objects: [], latestChain: [], prices });
  assert.deepEqual(empty, {
    storedBytes: 0, objects: 0, byClass: [], overheadStandardBytes: 0, monthlyStorage: 0, uploadRequests: 0, uploadRequestCost: 0,
    restoreLatest: { bytes: 0, archives: 0, Expedited: 0, Standard: 0, Bulk: 0 },
  });
  const other = estimateS3Cost({ objects: [{ size: GiB, storageClass: 'REDUCED_REDUNDANCY', requests: 1 }], latestChain: [], prices });
  near(other.monthlyStorage, 0.023, 'priced as STANDARD');
});
