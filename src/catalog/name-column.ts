/**
 * How file names (paths, symlink targets) are stored in the catalog: as their raw bytes. A
 * name that is valid UTF-8 is stored as TEXT, which is those bytes; any other name as a
 * BLOB of its bytes (SQLite keeps a BLOB as is in a TEXT column, and a BLOB never equals a
 * TEXT value, so every name has exactly one stored form). Existing catalogs need no change.
 */
import { hasEscapedBytes, nameFromBytes, nameToBytes } from '../scan/name-bytes.js';

/** The value to bind for a name. */
export function nameColumn(name: string): string | Buffer {
  return hasEscapedBytes(name) ? nameToBytes(name) : name;
}

/** The name a stored value stands for. */
export function nameFromColumn(value: string | Buffer): string {
  return typeof value === 'string' ? value : nameFromBytes(value);
}
