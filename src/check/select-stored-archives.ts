/**
 * Which stored archives `backup check --read-data` reads: all of them, the ones --seq names,
 * or a random --sample PERCENT of them (at least one), drawn from a seed that is printed so
 * the same sample can be read again with --seed. Pure.
 */
import { BackupError } from '../errors.js';
import { mulberry32 } from '../random/mulberry32.js';

/** How to choose. */
export type ReadDataSelection = { kind: 'all' } | { kind: 'seqs'; seqs: readonly number[] } | { kind: 'sample'; percent: number; seed: number };

/** The fields this selection reads. */
export interface Candidate {
  seq: number;
  archiveId: string | null;
  uploadState: string;
}

/** The archives to read, in sequence order. Throws USAGE when --seq names one that is not stored offsite. */
export function selectStoredArchives<T extends Candidate>(archives: readonly T[], how: ReadDataSelection): T[] {
  const stored = archives.filter((a) => a.uploadState === 'uploaded' && a.archiveId).sort((x, y) => x.seq - y.seq);
  if (how.kind === 'all') return stored;
  if (how.kind === 'seqs') {
    const bySeq = new Map(archives.map((a) => [a.seq, a]));
    for (const seq of how.seqs) {
      const a = bySeq.get(seq);
      if (!a) throw new BackupError('USAGE', `--seq ${seq}: the catalog has no archive ${seq}; "backup list" shows them`);
      if (!stored.includes(a)) throw new BackupError('USAGE', `--seq ${seq}: archive ${seq} is not in offsite storage (${a.uploadState === 'deleted' ? 'it was deleted' : a.uploadState === 'pending' ? 'its upload is pending; "backup upload" finishes it' : 'it was never uploaded'}); nothing stored to read`);
    }
    const wanted = new Set(how.seqs);
    return stored.filter((a) => wanted.has(a.seq));
  }
  if (stored.length === 0) return [];
  const count = Math.max(1, Math.ceil((stored.length * how.percent) / 100));
  // a partial Fisher-Yates shuffle driven by the seed
  const pool = [...stored];
  const random = mulberry32(how.seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count).sort((x, y) => x.seq - y.seq);
}

/** Parses --sample PERCENT: a number above 0 and at most 100 (a trailing % is allowed). */
export function parsePercent(value: string): number {
  const p = Number(value.trim().replace(/%$/, ''));
  if (!/^\s*\d+(\.\d+)?%?\s*$/.test(value) || !(p > 0 && p <= 100)) throw new BackupError('USAGE', `--sample "${value}" must be a percentage above 0 and at most 100, e.g. 5`);
  return p;
}

/** Parses --seed: a whole number from 0 to 4294967295. */
export function parseSeed(value: string): number {
  if (!/^\d{1,10}$/.test(value.trim()) || Number(value) > 0xffffffff) throw new BackupError('USAGE', `--seed "${value}" must be a whole number from 0 to 4294967295 (the seed a sampled check printed)`);
  return Number(value);
}
