import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MovedArchive } from '../catalog/moved-store.js';
import { planSourceDeletes } from './plan-source-deletes.js';

const moved = (sourceId: string, storedAt: string): MovedArchive => ({ sourceId, kind: 'data', seq: 1, targetId: 'k', size: 1, storedAt, movedAt: '2026-11-29T00:00:00.000Z' });

test('vault archives are deleted only once 90 days have passed since their upload', () => {
  const list = [moved('old', '2026-08-01T00:00:00.000Z'), moved('edge', '2026-08-31T12:00:00.000Z'), moved('young', '2026-11-01T00:00:00.000Z')];
  const plan = planSourceDeletes(list, { now: new Date('2026-11-29T12:00:00.000Z'), minimumStorageDays: 90, allowEarlyDelete: false });
  assert.deepEqual(plan.delete.map((m) => m.sourceId), ['old', 'edge']);
  assert.deepEqual(plan.keep.map((k) => [k.archive.sourceId, k.freeFrom.toISOString()]), [['young', '2027-01-30T00:00:00.000Z']]);
});

test('--allow-early-delete deletes young vault archives too', () => {
  const plan = planSourceDeletes([moved('young', '2026-11-28T00:00:00.000Z')], { now: new Date('2026-11-29T00:00:00.000Z'), minimumStorageDays: 90, allowEarlyDelete: true });
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.keep.length, 0);
});
