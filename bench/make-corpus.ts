/**
 * Generates the benchmark corpora, each deterministic from a fixed seed (same seed, same
 * bytes) and written once: a directory holds a `.corpus-complete` stamp naming what it was
 * made with, and is made again when that differs.
 *
 * - photos: 4–8 MiB files of noise (what JPEG, video and archives look like to deflate);
 * - text: 16 KiB – 2 MiB files of prose and source-like lines from a skewed vocabulary
 *   (compresses like real documents and code, about 3:1 with gzip -6);
 * - small: many files of 20 to 700 bytes in a two-level tree (a source checkout, a mail store);
 * - chain: a mid-sized tree that `mutateChain` changes a tenth of at every step.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/random/mulberry32.js';

const MiB = 1024 * 1024;
const STAMP = '.corpus-complete';

/** What a corpus holds. */
export interface Corpus {
  dir: string;
  bytes: number;
  files: number;
}

/** A skewed vocabulary of made-up words: frequent short words, a long tail of rare ones. */
function vocabulary(rand: () => number): string[] {
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  return Array.from({ length: 8000 }, () => Array.from({ length: 2 + Math.floor(rand() * 9) }, () => letters[Math.floor(rand() ** 2 * 26)]).join(''));
}

function textBytes(rand: () => number, vocab: string[], size: number): Buffer {
  const lines: string[] = [];
  let n = 0;
  while (n < size) {
    const words = Array.from({ length: 4 + Math.floor(rand() * 12) }, () => vocab[Math.floor(rand() ** 3 * vocab.length)]);
    // every fourth line looks like code: indentation, punctuation, numbers
    const line = rand() < 0.25 ? `  ${words[0]}(${words[1]}, ${Math.floor(rand() * 1000)}) { return ${words.slice(2).join('.')}; }\n` : `${words.join(' ')}.\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

function noiseBytes(rand: () => number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  return b;
}

/** Makes `dir` with `fill` unless a complete one made with the same `spec` is there. */
function once(dir: string, spec: Record<string, unknown>, fill: (put: (rel: string, data: Buffer | string) => void) => void): Corpus {
  const stamp = join(dir, STAMP);
  if (existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8')) as { spec: unknown; bytes: number; files: number };
    if (JSON.stringify(s.spec) === JSON.stringify(spec)) return { dir, bytes: s.bytes, files: s.files };
  }
  rmSync(dir, { recursive: true, force: true });
  let bytes = 0;
  let files = 0;
  const made = new Set<string>();
  fill((rel, data) => {
    const slash = rel.lastIndexOf('/');
    const parent = slash === -1 ? dir : join(dir, rel.slice(0, slash));
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(join(dir, rel), data);
    bytes += data.length;
    files++;
  });
  writeFileSync(stamp, JSON.stringify({ spec, bytes, files }));
  return { dir, bytes, files };
}

/** About `mib` MiB of photo-like (incompressible) files. */
export function makePhotos(dir: string, mib: number, seed = 1): Corpus {
  return once(dir, { kind: 'photos', mib, seed }, (put) => {
    const rand = mulberry32(seed);
    for (let i = 0, n = 0; n < mib * MiB; i++) {
      const size = Math.floor((4 + rand() * 4) * MiB);
      put(`${2015 + (i % 10)}/IMG_${String(i).padStart(5, '0')}.jpg`, noiseBytes(rand, size));
      n += size;
    }
  });
}

/** About `mib` MiB of text files. */
export function makeText(dir: string, mib: number, seed = 2): Corpus {
  return once(dir, { kind: 'text', mib, seed }, (put) => {
    const rand = mulberry32(seed);
    const vocab = vocabulary(rand);
    for (let i = 0, n = 0; n < mib * MiB; i++) {
      const size = Math.floor(16 * 1024 + rand() * 2 * MiB);
      put(`project-${i % 17}/src/doc-${i}.${i % 2 ? 'js' : 'md'}`, textBytes(rand, vocab, size));
      n += size;
    }
  });
}

/** `count` small files (20 to 700 bytes) in `count / 100` directories of two levels. */
export function makeSmallFiles(dir: string, count: number, seed = 3): Corpus {
  return once(dir, { kind: 'small', count, seed }, (put) => {
    const rand = mulberry32(seed);
    const dirs = Math.max(1, Math.floor(count / 100));
    for (let i = 0; i < count; i++) {
      const d = i % dirs;
      put(`d${d % 100}/e${Math.floor(d / 100)}/f${i}.txt`, `file ${i} `.repeat(2 + Math.floor(rand() * 70)));
    }
  });
}

/** The chain corpus: `count` text files of 1–64 KiB in 40 directories. */
export function makeChainTree(dir: string, count: number, seed = 4): Corpus {
  return once(dir, { kind: 'chain', count, seed }, (put) => {
    const rand = mulberry32(seed);
    const vocab = vocabulary(rand);
    for (let i = 0; i < count; i++) put(`dir-${i % 40}/file-${i}.txt`, textBytes(rand, vocab, 1024 + Math.floor(rand() * 63 * 1024)));
  });
}

/** Step `step` of the chain: rewrites a tenth of the files, adds 1% new ones and deletes 1%. Returns how many files changed. */
export function mutateChain(dir: string, count: number, step: number): number {
  const rand = mulberry32(1000 + step);
  const vocab = vocabulary(rand);
  let changed = 0;
  for (let i = 0; i < count; i++) {
    if (rand() >= 0.1) continue;
    writeFileSync(join(dir, `dir-${i % 40}`, `file-${i}.txt`), textBytes(rand, vocab, 1024 + Math.floor(rand() * 63 * 1024)));
    changed++;
  }
  for (let k = 0; k < count / 100; k++) {
    writeFileSync(join(dir, `dir-${k % 40}`, `new-${step}-${k}.txt`), textBytes(rand, vocab, 4096));
    rmSync(join(dir, `dir-${k % 40}`, `new-${step - 1}-${k}.txt`), { force: true });
    changed += 2;
  }
  return changed;
}
