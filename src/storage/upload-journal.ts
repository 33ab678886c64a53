/**
 * The durable record of one resumable upload, kept by the catalog (upload-journal-store.ts)
 * or in memory (memory-journal.ts). Backend-neutral: a part's receipt is an opaque string the
 * backend chooses (Glacier: the part's tree hash; S3: its SHA-256 and ETag) and compares on
 * resume against what the service lists, so a part it already holds is not sent again.
 *
 * Every method is synchronous and durable when it returns (a kill -9 right after loses
 * nothing). A backend calls begin() once it has an upload id, partDone() after each part the
 * service acknowledged (or that its part listing proved present), completing() just before
 * it asks the service to assemble the parts, and reset() when it abandons an upload
 * (unknown/expired, or restarted with a larger part size). It never clears a journal after
 * success: the caller records the stored object and forgets the upload in one transaction,
 * so a crash in between resumes into an idempotent completion.
 */
export interface UploadJournal {
  load(): { uploadId: string; partSize: number; parts: Map<number, string>; completing: boolean } | null;
  begin(uploadId: string, partSize: number): void;
  partDone(index: number, receipt: string): void;
  completing(): void;
  reset(): void;
}
