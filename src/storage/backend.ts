/**
 * The storage seam: everything the engine (backup/, restore/, recover/) and the
 * backend-neutral commands (prune, inventory, catalog rebuild, cost, status, uploads,
 * archive delete) need from offsite storage, in storage-neutral terms. Implementations:
 * the Glacier vault (glacier/glacier-backend.ts), S3 (s3/s3-backend.ts) and an in-memory
 * one for engine tests (memory-backend.ts). One contract suite (backend-contract.ts) runs
 * against each. Retries, the bandwidth cap and event logging are composed around each
 * implementation in one place (open-backend.ts), never threaded through the engine.
 *
 * Words used below:
 * - object: one stored archive or catalog snapshot, named by an opaque `id` the backend
 *   returns from put() (a Glacier archive id, an S3 key).
 * - warm: readable now. Cold objects (a Glacier archive, an S3 object in GLACIER or
 *   DEEP_ARCHIVE) must be warmed first: a Glacier retrieval job or an S3 RestoreObject.
 *   A warm-up is named by an opaque token the caller records (the catalog's jobs table) so a
 *   later invocation reuses it instead of paying again.
 *
 * Errors: every method throws BackupError. ABORTED on the signal (state stays resumable);
 * VAULT_ITEM_NOT_FOUND (exit 1) for an unknown object, upload or expired warm-up token; CHECKSUM_MISMATCH when
 * bytes do not verify (permanent for those bytes); VAULT_AUTH / VAULT_NOT_FOUND (permanent:
 * credentials, bucket or vault); NETWORK / VAULT after the retry budget is spent (transient
 * causes, worth running again).
 */
import type { ArchiveDescription, DecodedDescription } from './archive-description.js';
import type { UploadSource } from './growing-file.js';
import type { UploadJournal } from './upload-journal.js';

export type { UploadJournal } from './upload-journal.js';
export type { UploadSource } from './growing-file.js';

/** Retrieval speed for cold objects; what each costs depends on the backend and class. */
export type Tier = 'Expedited' | 'Standard' | 'Bulk';

/** Inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Arguments of one put. */
export interface PutRequest {
  /** The file to store; it may still be growing when `source` is given. */
  path: string;
  /** What the object is (the self-description every backend stores with it). */
  meta: ArchiveDescription;
  /** Expected size, so the part size fits the service's part limit while the file grows. */
  expectedBytes: number;
  /** Present while the file is still being written: parts go as soon as their bytes are on disk. */
  source?: UploadSource;
  /** Where the upload's progress is recorded; the same journal on a later call resumes. */
  journal: UploadJournal;
  signal: AbortSignal;
  onProgress?: (p: { bytesSent: number; partsDone: number; partsTotal?: number }) => void;
}

/** A stored object as put() verified it. */
export interface Stored {
  id: string;
  /** SHA-256 tree hash of the whole object (the catalog's checksum), as verified. */
  treeHash: string;
  size: number;
  /** Billable requests this call made (create + parts + complete, or 1). */
  requests: number;
  /** Parts sent by this call (resumes send only what the service lacks). */
  partsSent: number;
  /** The class the object was stored in, when the backend has classes (S3). */
  storageClass?: string;
}

/** One object as listed. */
export interface StoredObject {
  id: string;
  size: number;
  /** Tree hash when the service keeps one (Glacier) or the object's metadata carries it. */
  treeHash?: string;
  /** The object's self-description, or null for objects other tools stored. */
  meta: DecodedDescription | null;
  /** The raw description/metadata text, for messages about foreign objects. */
  description: string;
  storedAt: Date;
  storageClass?: string;
}

/** A listing, or a token to come back with when the service prepares listings (Glacier inventory). */
export type Listing = { ready: true; asOf: string; objects: StoredObject[] } | { ready: false; token: string };

/** A multipart upload the service holds open. */
export interface OpenUpload {
  uploadId: string;
  createdAt: string;
  /** The object's name or description, for display. */
  label: string;
}

/** What a backend is, for status lines and cost estimates. */
export interface BackendInfo {
  kind: 'glacier' | 's3' | 'memory';
  /** e.g. `vault photos (https://glacier.eu-west-1.amazonaws.com)`, `s3://bucket/prefix (…)`. */
  location: string;
  /** The class data objects go to (S3), absent for a vault. */
  storageClass?: string;
  /** Days an object must stay before deleting it is free (early-deletion minimum). */
  minimumStorageDays: number;
  /** Whether warming up works per byte range (Glacier) or only for whole objects (S3). */
  rangedWarmUp: boolean;
  /** Whether list() answers at once (S3, memory) rather than by starting an inventory job that takes hours (Glacier). */
  listsAtOnce: boolean;
}

/**
 * Contract of every backend.
 * - put resolves only when the service holds the whole object and its checksum verified; it
 *   throws otherwise and leaves the journal resumable. Calling it again with the same journal
 *   resumes (sending only the parts the service lacks) and never creates a second object.
 * - abortUpload and delete are idempotent: an unknown upload or object is not an error.
 * - warmUp may be called again for the same object; it returns a token for the same (or an
 *   equivalent) warm-up and never fails because one is already running. `range` is honoured
 *   when info.rangedWarmUp, otherwise the whole object is warmed.
 * - read writes bytes to outPath only once they verified (the whole object against
 *   `expectedTreeHash` when given); a partial download is resumed by the next call.
 * - close releases sockets; the backend is unusable afterwards.
 */
export interface Backend {
  readonly info: BackendInfo;
  put(p: PutRequest): Promise<Stored>;
  abortUpload(uploadId: string): Promise<void>;
  listUploads(): Promise<OpenUpload[]>;
  /** Lists stored objects; `token` continues a listing an earlier call asked to wait for. */
  list(o?: { token?: string }): Promise<Listing>;
  /** Starts (or finds) the warm-up of an object; returns its token, and whether it is readable already (no waiting). */
  warmUp(w: { id: string; size: number; range?: ByteRange; tier: Tier }): Promise<{ token: string; ready: boolean }>;
  /** The state of a warm-up (or listing) token; VAULT_ITEM_NOT_FOUND when the service forgot it (expired). */
  warmState(token: string): Promise<{ state: 'pending' | 'ready' | 'failed'; message?: string }>;
  /** Resolves when the token is ready; throws when it failed. Polls with backoff. */
  waitWarm(token: string, o: { signal: AbortSignal; onPoll?(state: string): void }): Promise<void>;
  /** Downloads a warm object (or `range` of it) to outPath, verified and resumable. */
  read(r: { id: string; token: string; range?: ByteRange; outPath: string; size: number; expectedTreeHash?: string; signal: AbortSignal; onProgress?: (bytes: number) => void }): Promise<{ size: number; treeHash: string }>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}
