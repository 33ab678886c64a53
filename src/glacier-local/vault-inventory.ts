/**
 * A vault's inventory as of now: which refresh instant it reflects and the date
 * Glacier would stamp on it. Reads the store; no writes.
 */
import type { GlacierStore, VaultRow } from './glacier-store.js';
import { inventoryDateFor, lastRefreshInstant } from './inventory.js';

/** The inventory in effect: contents as of `at`, dated `date` (both epoch ms). */
export interface CurrentInventory {
  at: number;
  date: number;
}

/**
 * The vault's current inventory, or null when none exists yet (no refresh has
 * happened since the vault's first archive was added, as with a new vault).
 */
export function currentInventory(store: GlacierStore, vault: VaultRow, now: number, refreshMs: number): CurrentInventory | null {
  const at = lastRefreshInstant(vault.createdAt, now, refreshMs);
  if (at === null) return null;
  const lastChange = store.lastChangeAtOrBefore(vault.id, at);
  if (lastChange === null) return null;
  return { at, date: inventoryDateFor(lastChange, vault.createdAt, refreshMs) };
}

/**
 * True when Glacier would delete the vault now: no archives as of the last
 * inventory and no archive added or deleted since it (a vault never written to is
 * deletable at once).
 */
export function isVaultDeletable(store: GlacierStore, vault: VaultRow, now: number, refreshMs: number): boolean {
  const at = lastRefreshInstant(vault.createdAt, now, refreshMs);
  if (at === null) return vault.lastWriteAt === null;
  if (store.changedAfter(vault.id, at)) return false;
  return store.statsAsOf(vault.id, at).count === 0;
}
