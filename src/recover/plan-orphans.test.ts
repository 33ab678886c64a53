import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOrphans } from './plan-orphans.js';

const d = (over: Record<string, unknown>) => ({ version: 1 as const, kind: 'data' as const, host: 'h', set: 's', seq: 1, level: 0, parentSeq: null, createdAt: new Date('2026-11-01T00:00:00Z'), fileName: 'f1', truncated: false, ...over });
const archive = { seq: 1, fileName: 'f1', archiveId: 'A', uploadState: 'uploaded', size: 10, treeHash: 'h1', chainId: 'c0ffee00' };

test('planOrphans leaves another chain and other sets alone; never deletes what it cannot place', () => {
  const unknown = [
    { archiveId: 'X', size: 5, treeHash: 'x', createdAt: '', decoded: d({ fileName: 'other-chain', seq: 1, chainId: '0badcafe' }) },
    { archiveId: 'Y', size: 5, treeHash: 'y', createdAt: '', decoded: d({ set: 'another-set' }) },
    { archiveId: 'Z', size: 5, treeHash: 'z', createdAt: '', decoded: null },
  ];
  assert.deepEqual(planOrphans(unknown, [archive], 's'), []);
});

test('planOrphans deletes an archive of a known chain the catalog never committed, adopts a matching pending upload once, and deletes a further copy', () => {
  const pending = { ...archive, seq: 2, fileName: 'f2', archiveId: null, uploadState: 'pending' };
  const unknown = [
    { archiveId: 'N', size: 7, treeHash: 'n', createdAt: '', decoded: d({ fileName: 'f3', seq: 3, chainId: 'c0ffee00' }) },
    { archiveId: 'P', size: 10, treeHash: 'h1', createdAt: '', decoded: d({ fileName: 'f2', seq: 2 }) },
    { archiveId: 'Q', size: 10, treeHash: 'h1', createdAt: '', decoded: d({ fileName: 'f2', seq: 2 }) },
  ];
  assert.deepEqual(planOrphans(unknown, [archive, pending], 's').map((o) => [o.action, o.archiveId]), [['delete', 'N'], ['adopt', 'P'], ['delete', 'Q']]);
});
