/**
 * Opens the SQLite catalog (WAL, foreign writes serialized by SQLite) and brings its
 * schema up to date. Every multi-row change the tool makes goes through `db.transaction`,
 * so a crash leaves either all of a step or none of it.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BackupError } from '../errors.js';
import { migrations } from './migrations.js';
import { makeDirs } from '../fs/make-dirs.js';

export type Db = Database.Database;

/** The catalog file inside a state directory. */
export function catalogPath(stateDir: string): string {
  return join(stateDir, 'catalog.db');
}

/** Opens (creating if needed) and migrates the catalog at `path`. `readonly` opens without migrating. */
export function openCatalog(path: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    if (!opts.readonly) makeDirs(dirname(path));
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    // a catalog made before files were private, or under a loose umask, becomes private
    if (!opts.readonly && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch (err) {
    throw new BackupError('CATALOG', `cannot open catalog ${path}: ${(err as Error).message}`, { cause: err, subject: path });
  }
  try {
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > migrations.length) {
      throw new BackupError('CATALOG', `catalog ${path} has schema version ${version}, newer than this backup (${migrations.length}); upgrade backup`, { subject: path });
    }
    if (!opts.readonly) migrate(db, version);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof BackupError) throw err;
    throw new BackupError('CATALOG', `catalog ${path} is unusable: ${(err as Error).message}; restore it with "backup catalog rebuild --from-inventory"`, { cause: err, subject: path });
  }
}

/** True when `err` (from openCatalog) says the file is not a usable SQLite database at all: garbage or corruption. */
export function isUnusableCatalog(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } })?.cause?.code ?? '') as string;
  return err instanceof BackupError && err.code === 'CATALOG' && (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT');
}

/**
 * Moves an unusable catalog aside, keeping it (with its -wal and -shm files) as
 * `catalog.db.broken-<UTC stamp>`, so a fresh catalog can be rebuilt in its place; returns the new name.
 */
export function moveCatalogAside(path: string, at: Date): string {
  const aside = `${path}.broken-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  try {
    for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    renameSync(path, aside);
  } catch (err) {
    throw new BackupError('CATALOG', `cannot move the unusable catalog ${path} aside: ${(err as Error).message}; move it away by hand and run the command again`, { cause: err, subject: path });
  }
  return aside;
}

function migrate(db: Db, from: number): void {
  for (let v = from; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** SQLite's own consistency check of the catalog file: empty when it holds, else one line per problem. */
export function catalogIntegrity(db: Db): string[] {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).filter((l) => l !== 'ok');
}
