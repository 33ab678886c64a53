import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeDescription } from '../archive-description.js';
import { parseInventory, reconcileInventory, type InventoryArchive } from './inventory.js';

const h = (c: string) => c.repeat(64);
const desc = encodeDescription({ kind: 'data', host: 'nas', set: 'docs', seq: 3, level: 1, parentSeq: 2, createdAt: new Date('2026-11-03T02:30:00Z'), fileName: 'docs-000003-L1.tar.gz' });

const inventory: InventoryArchive[] = [
  { archiveId: 'A1', description: 'x', creationDate: '2026-11-01T02:31:00Z', size: 100, treeHash: h('1') },
  { archiveId: 'A2', description: 'x', creationDate: '2026-11-02T02:31:00Z', size: 200, treeHash: h('2') },
  { archiveId: 'A3', description: desc, creationDate: '2026-11-03T02:31:00Z', size: 300, treeHash: h('3') },
  { archiveId: 'F1', description: 'holiday photos (uploaded by another tool)', creationDate: '2025-01-01T00:00:00Z', size: 9, treeHash: h('f') },
];

test('reconcile reports unknown vault archives with parsed descriptions, missing and mismatched ones', () => {
  const r = reconcileInventory(inventory, [
    { seq: 1, archiveId: 'A1', size: 100, treeHash: h('1') },
    { seq: 2, archiveId: 'A2', size: 201, treeHash: h('2') },
    { seq: 4, archiveId: 'A4', size: 400, treeHash: h('4'), uploadedAt: '2026-11-04T02:40:00Z' },
    { seq: 5, archiveId: 'A5', size: 500, treeHash: h('5'), uploadedAt: '2026-11-06T02:40:00Z' },
  ], { inventoryDate: '2026-11-05T00:00:00Z' });
  assert.equal(r.matched, 1);
  assert.deepEqual(r.mismatched, [{ seq: 2, archiveId: 'A2', catalog: { size: 201, treeHash: h('2') }, vault: { size: 200, treeHash: h('2') } }]);
  assert.deepEqual(r.missingFromVault.map((a) => a.seq), [4]);
  assert.deepEqual(r.newerThanInventory.map((a) => a.seq), [5]);
  assert.deepEqual(r.unknownInVault.map((a) => a.archiveId), ['A3', 'F1']);
  assert.equal(r.unknownInVault[0].decoded?.seq, 3);
  assert.equal(r.unknownInVault[0].decoded?.set, 'docs');
  assert.equal(r.unknownInVault[1].decoded, null);
});

test('without an inventory date every absent catalog archive is missing', () => {
  const r = reconcileInventory([], [{ seq: 1, archiveId: 'A1', size: 1, treeHash: h('1'), uploadedAt: '2030-01-01T00:00:00Z' }]);
  assert.equal(r.missingFromVault.length, 1);
});

test('parseInventory reads Glacier JSON and refuses anything else', () => {
  const inv = parseInventory(JSON.stringify({
    VaultARN: 'arn:aws:glacier:us-east-1:123456789012:vaults/docs',
    InventoryDate: '2026-11-05T00:00:00Z',
    ArchiveList: [{ ArchiveId: 'A1', ArchiveDescription: 'd', CreationDate: '2026-11-01T02:31:00Z', Size: 100, SHA256TreeHash: h('1') }],
  }));
  assert.equal(inv.archives[0].size, 100);
  assert.equal(inv.inventoryDate, '2026-11-05T00:00:00Z');
  assert.throws(() => parseInventory('ArchiveId,ArchiveDescription'), (e: Error & { code?: string }) => e.code === 'VAULT');
  assert.throws(() => parseInventory('{}'), /no ArchiveList/);
});
