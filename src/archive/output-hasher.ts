/**
 * The SHA-256 of each member of an output stream (kept in the catalog, so a reader can
 * verify every block) and the SHA-256 tree hash of the whole stream, computed here until
 * the writer hands them to its OutputHashThread and on it from then on. The tree hash moves
 * at the first 1 MiB boundary after that: the leaves before it are computed here, those
 * after on the thread, and the root is combined from both.
 *
 * Contract: members are added in stream order; each must stay unchanged until its promise
 * resolves; `finish` once, after every add has resolved, resolves with the tree hash.
 */
import { createHash } from 'node:crypto';
import { MiB, TreeHasher, combineDigests } from '../treehash/tree-hash.js';
import type { OutputHashThread } from './output-hash-thread.js';

/** Hashes the members of one output stream. */
export class OutputHasher {
  /** The tree hash of the stream's start: all of it, or up to `handover`. */
  private readonly here = new TreeHasher();
  private total = 0;
  /** The stream offset (a multiple of 1 MiB) from which the thread computes the tree hash. */
  private handover: number | undefined;

  constructor(private readonly thread: OutputHashThread) {}

  /**
   * Resolves with the SHA-256 (hex) of `member`, the stream's next bytes. `onThread`: whether
   * the thread, ready, may take it; once it has, it takes every later member.
   */
  add(member: Buffer, onThread: boolean): Promise<string> {
    const at = this.total;
    this.total += member.length;
    let treeFrom = 0;
    if (this.handover === undefined) {
      const boundary = Math.ceil(at / MiB) * MiB;
      if (!onThread || boundary >= at + member.length) {
        this.here.update(member);
        return Promise.resolve(createHash('sha256').update(member).digest('hex'));
      }
      treeFrom = boundary - at;
      this.here.update(member.subarray(0, treeFrom));
      this.handover = boundary;
    }
    return this.thread.piece(member, treeFrom);
  }

  /** The tree hash (hex) of the whole stream. */
  async finish(): Promise<string> {
    if (this.handover === undefined) return this.here.digest();
    return combineDigests([...this.here.leafDigests, ...(await this.thread.end())]).toString('hex');
  }
}
