/**
 * The catalog side of a resumable multipart upload: the upload id, part size and each
 * acknowledged part, keyed by the archive's file name. Every method commits before it
 * returns, so a kill -9 at any point leaves what the next run needs to resume.
 */
import type { UploadJournal } from '../storage/upload-journal.js';
import type { Db } from './open-catalog.js';

/** A journal for one archive file. */
export function uploadJournal(db: Db, fileName: string): UploadJournal {
  return {
    load() {
      const u = db.prepare('SELECT upload_id AS uploadId, part_size AS partSize, completing FROM uploads WHERE file_name = ?').get(fileName) as
        | { uploadId: string; partSize: number; completing: number }
        | undefined;
      if (!u) return null;
      const parts = new Map<number, string>();
      for (const p of db.prepare('SELECT idx, tree_hash AS treeHash FROM upload_parts WHERE file_name = ?').all(fileName) as Array<{ idx: number; treeHash: string }>) {
        parts.set(p.idx, p.treeHash);
      }
      return { uploadId: u.uploadId, partSize: u.partSize, parts, completing: u.completing === 1 };
    },
    begin(uploadId, partSize) {
      db.transaction(() => {
        clear(db, fileName);
        db.prepare('INSERT INTO uploads (file_name, upload_id, part_size, created_at) VALUES (?, ?, ?, ?)').run(fileName, uploadId, partSize, new Date().toISOString());
      })();
    },
    partDone(index, treeHash) {
      db.prepare('INSERT INTO upload_parts (file_name, idx, tree_hash) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET tree_hash = excluded.tree_hash').run(fileName, index, treeHash);
    },
    completing() {
      db.prepare('UPDATE uploads SET completing = 1 WHERE file_name = ?').run(fileName);
    },
    reset() {
      db.transaction(() => clear(db, fileName))();
    },
  };
}

/** Forgets an upload (after it completed, or was aborted). */
export function clearUpload(db: Db, fileName: string): void {
  db.transaction(() => clear(db, fileName))();
}

/** Uploads recorded for archives that were never committed (the run died while writing them). */
export function orphanUploads(db: Db): Array<{ fileName: string; uploadId: string }> {
  return db.prepare('SELECT file_name AS fileName, upload_id AS uploadId FROM uploads WHERE file_name NOT IN (SELECT file_name FROM archives)').all() as Array<{ fileName: string; uploadId: string }>;
}

/** Upload ids of every journaled upload: a pending backup or snapshot will resume them. */
export function journaledUploadIds(db: Db): Set<string> {
  return new Set(db.prepare('SELECT upload_id FROM uploads').pluck().all() as string[]);
}

function clear(db: Db, fileName: string): void {
  db.prepare('DELETE FROM upload_parts WHERE file_name = ?').run(fileName);
  db.prepare('DELETE FROM uploads WHERE file_name = ?').run(fileName);
}
