/**
 * What a backup run needs from the vault: upload a file (possibly still being written)
 * under a description, resumably, and abort an upload that will never complete.
 * Implemented over the Glacier client in src/cli/connect-vault.ts.
 */
import type { UploadSource } from '../vault/growing-file.js';
import type { UploadJournal } from '../vault/upload-archive.js';

/** Arguments of one upload. */
export interface SinkUpload {
  path: string;
  description: string;
  /** Expected archive size (for the part size when the file is still growing). */
  expectedBytes: number;
  /** Present while the file is still being written: parts go as soon as their bytes are on disk. */
  source?: UploadSource;
  journal: UploadJournal;
  signal: AbortSignal;
  onProgress?: (p: { bytesSent: number; partsDone: number; partsTotal?: number }) => void;
}

/** The outcome of a finished upload, as verified against the service's answer. */
export interface SinkUploaded {
  archiveId: string;
  treeHash: string;
  size: number;
  /** Requests the upload made (initiate + parts + complete, or 1): what Glacier bills for. */
  requests: number;
}

/**
 * Contract: `upload` resolves only when the vault holds the whole archive and its tree hash
 * matches; it throws otherwise, leaving the journal resumable (never a half-recorded archive).
 * Calling it again with the same journal resumes and never creates a second archive.
 * `abortUpload` is idempotent: an unknown upload id is not an error.
 */
export interface ArchiveSink {
  upload(u: SinkUpload): Promise<SinkUploaded>;
  abortUpload(uploadId: string): Promise<void>;
}
