import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCost, type PriceTable } from './estimate-cost.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const at = new Date('2026-11-01T02:30:00.000Z');

/** The config's default table (us-east-1). */
const defaults: PriceTable = {
  storagePerGiBMonth: 0.0036,
  uploadPer1000Requests: 0.05,
  minimumStorageDays: 90,
  retrievalPerGiB: { Expedited: 0.03, Standard: 0.01, Bulk: 0.0025 },
  retrievalPer1000Requests: { Expedited: 10, Standard: 0.05, Bulk: 0.025 },
};

const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≈ ${expected}`);

test('figures for a small vault at the default prices, computed by hand', () => {
  const est = estimateCost({
    archives: [
      { size: 10 * GiB, uploadedAt: at, parts: 82 }, // multipart in 128 MiB parts: initiate + 80 parts + complete
      { size: 2 * GiB, uploadedAt: at, parts: 1 },
      { size: 512 * MiB, uploadedAt: at, parts: 1 },
    ],
    prices: defaults,
    latestChainBytes: 10 * GiB + 512 * MiB, // the full and one incremental
    latestChainArchives: 2,
  });
  assert.equal(est.storedBytes, 13_421_772_800); // 12.5 GiB
  assert.equal(est.archives, 3);
  near(est.monthlyStorage, 0.045, 'monthlyStorage'); // 12.5 GiB × $0.0036
  assert.equal(est.uploadRequests, 84);
  near(est.uploadRequestCost, 0.0042, 'uploadRequestCost'); // 84 / 1000 × $0.05
  assert.equal(est.restoreLatest.bytes, 11_274_289_152);
  assert.equal(est.restoreLatest.archives, 2);
  near(est.restoreLatest.Expedited, 0.335, 'Expedited'); // 10.5 × $0.03 + 2/1000 × $10
  near(est.restoreLatest.Standard, 0.1051, 'Standard'); // 10.5 × $0.01 + 2/1000 × $0.05
  near(est.restoreLatest.Bulk, 0.0263, 'Bulk'); // 10.5 × $0.0025 + 2/1000 × $0.025
});

test('each tier uses its own per-GiB and per-request price', () => {
  const prices: PriceTable = {
    storagePerGiBMonth: 2,
    uploadPer1000Requests: 3,
    minimumStorageDays: 90,
    retrievalPerGiB: { Expedited: 5, Standard: 7, Bulk: 11 },
    retrievalPer1000Requests: { Expedited: 13000, Standard: 17000, Bulk: 19000 },
  };
  const est = estimateCost({ archives: [{ size: 4 * GiB, uploadedAt: at, parts: 1000 }], prices, latestChainBytes: 4 * GiB, latestChainArchives: 1 });
  assert.equal(est.monthlyStorage, 8); // 4 GiB × 2
  assert.equal(est.uploadRequestCost, 3); // 1000 requests × 3 per 1000
  assert.equal(est.restoreLatest.Expedited, 4 * 5 + 13);
  assert.equal(est.restoreLatest.Standard, 4 * 7 + 17);
  assert.equal(est.restoreLatest.Bulk, 4 * 11 + 19);
});

test('small parts cost more requests for the same bytes', () => {
  const upload = (partSize: number) => ({ size: GiB, uploadedAt: at, parts: GiB / partSize + 2 });
  const small = estimateCost({ archives: [upload(MiB)], prices: defaults, latestChainBytes: GiB, latestChainArchives: 1 });
  const large = estimateCost({ archives: [upload(64 * MiB)], prices: defaults, latestChainBytes: GiB, latestChainArchives: 1 });
  assert.equal(small.uploadRequests, 1026);
  assert.equal(large.uploadRequests, 18);
  near(small.uploadRequestCost, 0.0513, '1 MiB parts'); // 1026 / 1000 × $0.05
  near(large.uploadRequestCost, 0.0009, '64 MiB parts'); // 18 / 1000 × $0.05
  assert.equal(small.monthlyStorage, large.monthlyStorage);
});

test('an empty vault costs nothing', () => {
  assert.deepEqual(estimateCost({ archives: [], prices: defaults, latestChainBytes: 0, latestChainArchives: 0 }), {
    storedBytes: 0,
    archives: 0,
    monthlyStorage: 0,
    uploadRequests: 0,
    uploadRequestCost: 0,
    restoreLatest: { bytes: 0, archives: 0, Expedited: 0, Standard: 0, Bulk: 0 },
  });
});

test('restoring a chain of many small archives is dominated by the per-request price on Expedited', () => {
  // 30 archives of 1 MiB: 30 MiB of data, 30 retrieval jobs
  const est = estimateCost({ archives: [], prices: defaults, latestChainBytes: 30 * MiB, latestChainArchives: 30 });
  near(est.restoreLatest.Expedited, (30 / 1024) * 0.03 + 0.3, 'Expedited'); // $0.00088 data + $0.30 requests
  near(est.restoreLatest.Bulk, (30 / 1024) * 0.0025 + 0.00075, 'Bulk');
});
