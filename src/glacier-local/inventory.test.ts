import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, inventoryDateFor, lastRefreshInstant, renderInventoryCsv, renderInventoryJson } from './inventory.js';

const created = Date.UTC(2024, 0, 1);
const hour = 3_600_000;
const day = 24 * hour;

test('with refresh 0 the inventory is always current', () => {
  assert.equal(lastRefreshInstant(created, created + 5, 0), created + 5);
  assert.equal(inventoryDateFor(created + 3, created, 0), created + 3);
});

test('with a daily refresh there is no inventory before the first day, then one per day after the last change', () => {
  assert.equal(lastRefreshInstant(created, created + day - 1, day), null);
  assert.equal(lastRefreshInstant(created, created + day, day), created + day);
  assert.equal(lastRefreshInstant(created, created + 2 * day + hour, day), created + 2 * day);
  // a change in the first hour is captured by the first refresh; one on day 3 by the refresh that ends day 3
  assert.equal(inventoryDateFor(created + hour, created, day), created + day);
  assert.equal(inventoryDateFor(created + 2 * day + hour, created, day), created + 3 * day);
  assert.equal(inventoryDateFor(created, created, day), created + day);
});

test('CSV fields are quoted only when they hold a comma or double quote; quotes get a backslash, backslashes do not', () => {
  // the Developer Guide's examples
  assert.equal(csvField('my archive description,1'), '"my archive description,1"');
  assert.equal(csvField('my archive description,1"2'), '"my archive description,1\\"2"');
  assert.equal(csvField('my archive description,1\\"2'), '"my archive description,1\\\\"2"');
  assert.equal(csvField('plain'), 'plain');
});

test('inventories render as Glacier JSON and CSV', () => {
  const items = [
    { archiveId: 'A1', description: 'first, "one"', createdAt: Date.UTC(2024, 0, 2, 3, 4, 5, 678), size: 10, treeHash: 'ab'.repeat(32) },
    { archiveId: 'A2', description: null, createdAt: Date.UTC(2024, 0, 3), size: 20, treeHash: 'cd'.repeat(32) },
  ];
  const json = JSON.parse(renderInventoryJson('arn:aws:glacier:us-east-1:000000000000:vaults/v', Date.UTC(2024, 0, 4), items));
  assert.deepEqual(json, {
    VaultARN: 'arn:aws:glacier:us-east-1:000000000000:vaults/v',
    InventoryDate: '2024-01-04T00:00:00Z',
    ArchiveList: [
      { ArchiveId: 'A1', ArchiveDescription: 'first, "one"', CreationDate: '2024-01-02T03:04:05Z', Size: 10, SHA256TreeHash: 'ab'.repeat(32) },
      { ArchiveId: 'A2', ArchiveDescription: '', CreationDate: '2024-01-03T00:00:00Z', Size: 20, SHA256TreeHash: 'cd'.repeat(32) },
    ],
  });
  assert.equal(
    renderInventoryCsv(items),
    `ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\nA1,"first, \\"one\\"",2024-01-02T03:04:05Z,10,${'ab'.repeat(32)}\nA2,,2024-01-03T00:00:00Z,20,${'cd'.repeat(32)}\n`,
  );
});
