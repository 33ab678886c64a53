/**
 * Generates the benchmark corpus: a deterministic mixed tree like a home directory or NAS
 * share — text documents (compressible), photo-like incompressible files, and many small
 * files in nested directories. Same seed, same bytes.
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/random/mulberry32.js';

const words = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');

function textBytes(rand: () => number, size: number): Buffer {
  const out: string[] = [];
  let n = 0;
  while (n < size) {
    const w = words[Math.floor(rand() * words.length)] + (rand() < 0.08 ? '.\n' : ' ');
    out.push(w);
    n += w.length;
  }
  return Buffer.from(out.join('')).subarray(0, size);
}

function noiseBytes(rand: () => number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  return b;
}

/** Writes the corpus of about `totalMiB` into `dir` unless a complete one of that size is there. Returns its byte count. */
export function makeCorpus(dir: string, totalMiB: number, seed = 42): { bytes: number; files: number } {
  const stamp = join(dir, '.corpus-complete');
  if (existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8')) as { totalMiB: number; bytes: number; files: number; seed: number };
    if (s.totalMiB === totalMiB && s.seed === seed) return s;
  }
  const rand = mulberry32(seed);
  const MiB = 1024 * 1024;
  let bytes = 0;
  let files = 0;
  const put = (rel: string, data: Buffer) => {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, data);
    bytes += data.length;
    files++;
  };
  // 45% photo-like: 4–8 MiB incompressible files
  for (let i = 0; bytes < totalMiB * MiB * 0.45; i++) put(`photos/${2015 + (i % 10)}/IMG_${String(i).padStart(5, '0')}.jpg`, noiseBytes(rand, Math.floor((4 + rand() * 4) * MiB)));
  // 45% documents: 16 KiB – 2 MiB of text
  for (let i = 0; bytes < totalMiB * MiB * 0.9; i++) put(`documents/project-${i % 37}/notes-${i}.txt`, textBytes(rand, Math.floor(16 * 1024 + rand() * 2 * MiB)));
  // 10% small files: 1–8 KiB, mixed, deep trees
  for (let i = 0; bytes < totalMiB * MiB; i++) {
    const rel = `code/repo-${i % 23}/src/module-${i % 101}/file-${i}.${i % 3 ? 'js' : 'bin'}`;
    put(rel, i % 3 ? textBytes(rand, 1024 + Math.floor(rand() * 7 * 1024)) : noiseBytes(rand, 1024 + Math.floor(rand() * 7 * 1024)));
  }
  writeFileSync(stamp, JSON.stringify({ totalMiB, bytes, files, seed }));
  return { bytes, files };
}
