/**
 * Vault inventories, as Glacier keeps them: a point-in-time snapshot refreshed
 * periodically, whose date moves only when archives were added or deleted since the
 * previous one. Refreshes happen every `refreshMs` after the vault's creation
 * (refreshMs = 0: right after every change, so the inventory is always current).
 * Also renders an inventory as Glacier's JSON or CSV job output. Pure.
 */

/** One archive as an inventory lists it. */
export interface InventoryItem {
  archiveId: string;
  description: string | null;
  /** Epoch ms. */
  createdAt: number;
  size: number;
  treeHash: string;
}

/**
 * The latest refresh instant at or before `now` (epoch ms): `now` itself when
 * refreshMs is 0, otherwise vaultCreatedAt + k·refreshMs for the largest k ≥ 1;
 * null before the first refresh.
 */
export function lastRefreshInstant(vaultCreatedAt: number, now: number, refreshMs: number): number | null {
  if (refreshMs <= 0) return now;
  const periods = Math.floor((now - vaultCreatedAt) / refreshMs);
  return periods >= 1 ? vaultCreatedAt + periods * refreshMs : null;
}

/**
 * The date of the inventory that captured a vault whose last change (archive added
 * or deleted) was at `lastChangeAt`: the first refresh at or after that change.
 */
export function inventoryDateFor(lastChangeAt: number, vaultCreatedAt: number, refreshMs: number): number {
  if (refreshMs <= 0) return lastChangeAt;
  const periods = Math.max(1, Math.ceil((lastChangeAt - vaultCreatedAt) / refreshMs));
  return vaultCreatedAt + periods * refreshMs;
}

/** ISO 8601 with seconds precision (2013-03-20T17:03:43Z), the form Glacier's inventories use. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO 8601 with milliseconds (2013-03-20T17:03:43.221Z), the form of Glacier's other dates. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** The JSON inventory document: {VaultARN, InventoryDate, ArchiveList}. */
export function renderInventoryJson(vaultArn: string, inventoryDate: number, items: readonly InventoryItem[]): string {
  return JSON.stringify({
    VaultARN: vaultArn,
    InventoryDate: isoSeconds(inventoryDate),
    ArchiveList: items.map((a) => ({
      ArchiveId: a.archiveId,
      ArchiveDescription: a.description ?? '',
      CreationDate: isoSeconds(a.createdAt),
      Size: a.size,
      SHA256TreeHash: a.treeHash,
    })),
  });
}

/** The CSV inventory: a header row, then one row per archive, quoted as Glacier documents. */
export function renderInventoryCsv(items: readonly InventoryItem[]): string {
  const rows = ['ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash'];
  for (const a of items) {
    rows.push([a.archiveId, a.description ?? '', isoSeconds(a.createdAt), String(a.size), a.treeHash].map(csvField).join(','));
  }
  return `${rows.join('\n')}\n`;
}

/**
 * One CSV field: enclosed in double quotes when it contains a comma or a double
 * quote, each double quote inside preceded by a backslash; backslashes themselves
 * are not escaped (Glacier's documented CSV dialect).
 */
export function csvField(value: string): string {
  if (!/[",]/.test(value)) return value;
  return `"${value.replace(/"/g, '\\"')}"`;
}
