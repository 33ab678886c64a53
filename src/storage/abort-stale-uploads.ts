/** Aborts the multipart uploads a backend holds open that are older than a cutoff, except those to keep. */
import type { Backend, OpenUpload } from './backend.js';

/** Aborts stale uploads (never those in `keep`, which a pending backup will resume); returns them. */
export async function abortStaleUploads(backend: Backend, o: { olderThanMs: number; now: Date; keep: ReadonlySet<string> }): Promise<OpenUpload[]> {
  const cutoff = o.now.getTime() - o.olderThanMs;
  const aborted: OpenUpload[] = [];
  for (const u of await backend.listUploads()) {
    const created = Date.parse(u.createdAt);
    if (Number.isNaN(created) || created > cutoff || o.keep.has(u.uploadId)) continue;
    await backend.abortUpload(u.uploadId);
    aborted.push(u);
  }
  return aborted;
}
