/** The block index of a block-gzipped archive, kept in the catalog for ranged restores. */

/** One gzip member of a block-gzipped archive: where its tar bytes start and where its compressed bytes start. */
export interface GzipBlock {
  rawOffset: number;
  gzOffset: number;
  /** SHA-256 of the member's compressed bytes, lowercase hex; absent for blocks recorded before it was kept. */
  sha256?: string;
}
