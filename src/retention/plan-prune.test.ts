import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPrune, type Archive, type Chain, type PrunePlanInput, type RetentionPolicy } from './plan-prune.js';

const DAY = 86_400_000;
const GiB = 1024 ** 3;
const now = new Date('2026-11-23T02:30:00.000Z');
const daysAgo = (d: number): Date => new Date(now.getTime() - d * DAY);

/** An archive created `created` days ago, uploaded `uploaded` days ago (undefined: local only). */
const arc = (seq: number, created: number, opts: { size?: number; uploaded?: number | null } = {}): Archive => {
  const uploaded = opts.uploaded === undefined ? created : opts.uploaded;
  return {
    seq,
    createdAt: daysAgo(created),
    size: opts.size ?? GiB,
    ...(uploaded === null ? { localPath: `/backups/a-${seq}.tar.gz` } : { uploadedAt: daysAgo(uploaded), archiveId: `id-${seq}` }),
  };
};
const chain = (fullSeq: number, ...archives: Archive[]): Chain => ({ fullSeq, archives });

/** Weekly chains of one full and two incrementals, `count` of them, the newest one created `newestAge` days ago. */
const weekly = (count: number, newestAge = 1): Chain[] =>
  Array.from({ length: count }, (_, i) => {
    const age = newestAge + (count - 1 - i) * 7 + 2; // the full is 2 days older than the chain's last incremental
    const seq = i * 3 + 1;
    return chain(seq, arc(seq, age), arc(seq + 1, age - 1), arc(seq + 2, age - 2));
  });

const plan = (chains: Chain[], policy: Partial<RetentionPolicy>, more: Partial<PrunePlanInput> = {}) =>
  planPrune({ chains, policy: { minChains: 1, ...policy }, now, minimumStorageDays: 90, allowEarlyDelete: false, storagePerGiBMonth: 0.0036, ...more });

const deleted = (p: ReturnType<typeof planPrune>) => p.delete.map((d) => d.chain.fullSeq);
const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${actual} ≈ ${expected}`);

test('empty input plans nothing', () => {
  assert.deepEqual(plan([], { keepChains: 1 }), { keep: [], delete: [], skippedEarly: [] });
});

test('a single chain is always kept, however old and whatever the rules say', () => {
  const only = [chain(1, arc(1, 400), arc(2, 399))];
  assert.deepEqual(plan(only, { keepChains: 1 }).keep, [1]);
  assert.deepEqual(plan(only, { keepDays: 7 }), { keep: [1], delete: [], skippedEarly: [] });
});

test('the newest chain is kept even with a floor of 0 and rules that keep nothing else', () => {
  const p = plan(weekly(3, 200), { keepDays: 7, minChains: 0 });
  assert.deepEqual(p.keep, [7]);
  assert.deepEqual(deleted(p), [1, 4]);
});

test('with neither keepChains nor keepDays set nothing is deleted', () => {
  const p = plan(weekly(6, 200), {});
  assert.deepEqual(p.keep, [1, 4, 7, 10, 13, 16]);
  assert.deepEqual(p.delete, []);
  assert.deepEqual(p.skippedEarly, []);
});

test('keepChains keeps the newest N chains and deletes the older ones whole, oldest first', () => {
  const chains = weekly(5, 100);
  const p = plan(chains, { keepChains: 2 });
  assert.deepEqual(p.keep, [10, 13]);
  assert.deepEqual(deleted(p), [1, 4, 7]);
  for (const d of p.delete) {
    assert.deepEqual(d.archives.map((a) => a.seq), [d.chain.fullSeq, d.chain.fullSeq + 1, d.chain.fullSeq + 2]);
    assert.equal(d.earlyDeletionCharge, 0);
  }
  assert.deepEqual(p.skippedEarly, []);
});

test('keepDays keeps a chain whose newest archive is younger than D days; at exactly D days it goes', () => {
  const D = 120;
  const chains = [
    chain(1, arc(1, D + 10), arc(2, D)), // newest archive exactly D days old
    chain(3, arc(3, D + 10), arc(4, D - 0.001)), // 86.4 seconds younger than D days
    chain(5, arc(5, D - 5)),
    chain(7, arc(7, 100)),
  ];
  const p = plan(chains, { keepDays: D });
  assert.deepEqual(p.keep, [3, 5, 7]);
  assert.deepEqual(deleted(p), [1]);
});

test('keepDays looks at the newest archive of a chain, not its full', () => {
  const chains = [chain(1, arc(1, 300), arc(2, 200), arc(3, 10)), chain(4, arc(4, 5))];
  assert.deepEqual(plan(chains, { keepDays: 30 }).keep, [1, 4]);
});

test('keepChains and keepDays combined keep a chain when either rule keeps it', () => {
  // ages of the chains' newest archives: 365, 200, 150, 40, 20, 1 days
  const ages = [365, 200, 150, 40, 20, 1];
  const chains = ages.map((age, i) => chain(i + 1, arc(i + 1, age)));
  assert.deepEqual(plan(chains, { keepChains: 2, keepDays: 60 }).keep, [4, 5, 6]); // keepDays is the wider rule
  assert.deepEqual(plan(chains, { keepChains: 4, keepDays: 30 }).keep, [3, 4, 5, 6]); // keepChains is the wider rule
  assert.deepEqual(deleted(plan(chains, { keepChains: 4, keepDays: 30 })), [1, 2]);
});

test('minChains overrides the rules by keeping the newest chains up to the floor', () => {
  const chains = weekly(6, 150);
  const p = plan(chains, { keepChains: 1, minChains: 3 });
  assert.deepEqual(p.keep, [10, 13, 16]);
  assert.deepEqual(deleted(p), [1, 4, 7]);
  // keepDays keeps nothing here (every chain is older than 30 days); the floor still holds
  assert.deepEqual(plan(chains, { keepDays: 30, minChains: 2 }).keep, [13, 16]);
  // a floor above the number of chains keeps them all
  assert.deepEqual(plan(chains, { keepChains: 1, minChains: 10 }).keep, [1, 4, 7, 10, 13, 16]);
  // a floor the rules already meet changes nothing
  assert.deepEqual(plan(chains, { keepChains: 4, minChains: 2 }).keep, [7, 10, 13, 16]);
});

test('a chain uploaded less than minimumStorageDays ago is skipped without allowEarlyDelete', () => {
  const chains = [chain(1, arc(1, 95), arc(2, 89)), chain(3, arc(3, 2))];
  const p = plan(chains, { keepChains: 1 });
  assert.deepEqual(p.keep, [3]);
  assert.deepEqual(p.delete, []);
  assert.equal(p.skippedEarly.length, 1);
  const [s] = p.skippedEarly;
  assert.equal(s.chain.fullSeq, 1);
  near(s.youngestUploadDays, 89);
  // only the archive uploaded 89 days ago owes anything: 1 GiB × $0.0036 × 1/30
  near(s.earlyDeletionCharge, 0.0036 / 30);
});

test('with allowEarlyDelete the young chain is deleted and its charge shown', () => {
  const chains = [chain(1, arc(1, 95), arc(2, 89)), chain(3, arc(3, 2))];
  const p = plan(chains, { keepChains: 1 }, { allowEarlyDelete: true });
  assert.deepEqual(p.keep, [3]);
  assert.deepEqual(p.skippedEarly, []);
  assert.deepEqual(deleted(p), [1]);
  assert.deepEqual(p.delete[0].archives.map((a) => a.seq), [1, 2]);
  near(p.delete[0].earlyDeletionCharge, 0.0036 / 30);
});

test('an archive uploaded exactly minimumStorageDays ago incurs no charge', () => {
  const chains = [chain(1, arc(1, 100, { uploaded: 90 })), chain(2, arc(2, 1))];
  const p = plan(chains, { keepChains: 1 });
  assert.deepEqual(deleted(p), [1]);
  assert.equal(p.delete[0].earlyDeletionCharge, 0);
  assert.deepEqual(p.skippedEarly, []);
  // 86.4 seconds short of 90 days it would be charged
  const young = [chain(1, arc(1, 100, { uploaded: 90 - 0.001 })), chain(2, arc(2, 1))];
  assert.equal(plan(young, { keepChains: 1 }).skippedEarly.length, 1);
});

test('the early-deletion charge is size in GiB × price × remaining days / 30, summed over the archives', () => {
  const chains = [
    chain(
      1,
      arc(1, 120, { size: 10 * GiB, uploaded: 60 }), // 30 days left: 10 × 0.0036 × 30/30 = 0.036
      arc(2, 100, { size: 3 * GiB, uploaded: 80 }), // 10 days left: 3 × 0.0036 × 10/30 = 0.0036
      arc(3, 95, { size: 512 * 1024 ** 2, uploaded: 89.5 }), // half a day left: 0.5 × 0.0036 × 0.5/30 = 0.00003
      arc(4, 92, { size: 7 * GiB, uploaded: 100 }), // past the minimum: nothing
      arc(5, 91, { size: 5 * GiB, uploaded: null }), // never uploaded: nothing
    ),
    chain(6, arc(6, 1)),
  ];
  const p = plan(chains, { keepChains: 1 }, { storagePerGiBMonth: 0.0036 });
  near(p.skippedEarly[0].earlyDeletionCharge, 0.036 + 0.0036 + 0.00003);
  near(p.skippedEarly[0].youngestUploadDays, 60);
  const allowed = plan(chains, { keepChains: 1 }, { allowEarlyDelete: true, storagePerGiBMonth: 0.01 });
  near(allowed.delete[0].earlyDeletionCharge, 10 * 0.01 + (3 * 0.01 * 10) / 30 + (0.5 * 0.01 * 0.5) / 30);
});

test('archives never uploaded carry no charge, so a local-only chain is deleted without the flag', () => {
  const chains = [chain(1, arc(1, 10, { uploaded: null }), arc(2, 9, { uploaded: null })), chain(3, arc(3, 1))];
  const p = plan(chains, { keepChains: 1 });
  assert.deepEqual(deleted(p), [1]);
  assert.equal(p.delete[0].earlyDeletionCharge, 0);
  assert.deepEqual(p.skippedEarly, []);
});

test('with minimumStorageDays 0 nothing is ever early', () => {
  const chains = [chain(1, arc(1, 3)), chain(2, arc(2, 1))];
  const p = plan(chains, { keepChains: 1 }, { minimumStorageDays: 0 });
  assert.deepEqual(deleted(p), [1]);
  assert.equal(p.delete[0].earlyDeletionCharge, 0);
});

test('an upload dated after now counts as age 0: the whole minimum is charged', () => {
  const chains = [chain(1, arc(1, 5, { uploaded: -1, size: 2 * GiB })), chain(2, arc(2, 1))];
  const [s] = plan(chains, { keepChains: 1 }).skippedEarly;
  near(s.youngestUploadDays, 0);
  near(s.earlyDeletionCharge, (2 * 0.0036 * 90) / 30);
});

test('the kept set does not depend on allowEarlyDelete, and skipped chains do not count toward minChains', () => {
  const chains = weekly(5, 1); // all uploaded within the last 90 days
  const without = plan(chains, { keepChains: 1, minChains: 2 });
  const withFlag = plan(chains, { keepChains: 1, minChains: 2 }, { allowEarlyDelete: true });
  assert.deepEqual(without.keep, [10, 13]);
  assert.deepEqual(withFlag.keep, [10, 13]);
  assert.deepEqual(without.skippedEarly.map((s) => s.chain.fullSeq), [1, 4, 7]);
  assert.deepEqual(deleted(withFlag), [1, 4, 7]);
  assert.ok(withFlag.delete.every((d) => d.earlyDeletionCharge > 0));
});

test('every chain lands in exactly one list, ordered oldest first whatever the input order, and the input is left alone', () => {
  const chains = weekly(7, 65); // chains' archive ages: 1: 107–109 … 7: 93–95, 10: 86–88 … 19: 65–67 days
  const shuffled = [chains[3], chains[0], chains[6], chains[5], chains[1], chains[4], chains[2]].map((c) => chain(c.fullSeq, ...[...c.archives].reverse()));
  const before = JSON.stringify(shuffled);
  const p = plan(shuffled, { keepChains: 2, minChains: 2 });
  assert.equal(JSON.stringify(shuffled), before);
  assert.deepEqual(p.keep, [16, 19]);
  assert.deepEqual(p.delete.map((d) => d.chain.fullSeq), [1, 4, 7]); // older than 90 days
  assert.deepEqual(p.skippedEarly.map((s) => s.chain.fullSeq), [10, 13]); // uploaded less than 90 days ago
  const all = [...p.keep, ...p.delete.map((d) => d.chain.fullSeq), ...p.skippedEarly.map((s) => s.chain.fullSeq)].sort((a, b) => a - b);
  assert.deepEqual(all, chains.map((c) => c.fullSeq));
  for (const d of p.delete) assert.deepEqual(d.archives.map((a) => a.seq), [...d.archives.map((a) => a.seq)].sort((a, b) => a - b));
  for (const s of p.skippedEarly) assert.deepEqual(s.chain.archives.map((a) => a.seq), [s.chain.fullSeq, s.chain.fullSeq + 1, s.chain.fullSeq + 2]);
  assert.deepEqual(p, plan(shuffled, { keepChains: 2, minChains: 2 }));
});

test('each archive is held to the minimum of the class it is stored in, at that class price', () => {
  const terms = (label: string, minimumStorageDays: number, storagePerGiBMonth: number, minimumBillableBytes = 0) => ({ label, minimumStorageDays, storagePerGiBMonth, minimumBillableBytes });
  const deep = terms('DEEP_ARCHIVE', 180, 0.00099);
  const ir = terms('GLACIER_IR', 90, 0.004, 128 * 1024);
  const ia = terms('STANDARD_IA', 30, 0.0125, 128 * 1024);
  const standard = terms('STANDARD', 0, 0.023);
  const at = (seq: number, uploaded: number, t: ReturnType<typeof terms>, size = GiB): Archive => ({ ...arc(seq, uploaded), size, terms: t });
  // 100 days old: past GLACIER_IR's 90 days, 80 days short of DEEP_ARCHIVE's 180
  const p = plan([chain(1, at(1, 100, ir)), chain(2, at(2, 100, deep)), chain(3, at(3, 1, standard))], { keepChains: 1 });
  assert.deepEqual(deleted(p), [1]);
  assert.equal(p.delete[0].earlyDeletionCharge, 0);
  assert.deepEqual(p.skippedEarly.map((s) => s.chain.fullSeq), [2]);
  near(p.skippedEarly[0].earlyDeletionCharge, (0.00099 * 80) / 30);
  // STANDARD_IA: 20 days old is 10 days short, billed on at least 128 KB; STANDARD never owes anything
  const small = plan([chain(1, at(1, 20, ia, 1000)), chain(2, at(2, 0, standard)), chain(3, at(3, 0, standard))], { keepChains: 1 });
  assert.deepEqual(small.skippedEarly.map((s) => s.chain.fullSeq), [1]);
  near(small.skippedEarly[0].earlyDeletionCharge, ((128 * 1024) / GiB) * 0.0125 * (10 / 30));
  assert.deepEqual(deleted(small), [2]);
  // archives without terms keep the input's (the vault's) 90 days and price
  const mixed = plan([chain(1, at(1, 100, deep), arc(2, 89)), chain(3, arc(3, 1))], { keepChains: 1 }, { allowEarlyDelete: true });
  near(mixed.delete[0].earlyDeletionCharge, (0.00099 * 80) / 30 + 0.0036 / 30);
});
