/** Test helpers: describe a directory tree as data, and compare trees exactly. */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, mkdirSync, writeFileSync, symlinkSync, utimesSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a restore must reproduce for one path. */
export interface PathState {
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  size?: number;
  sha256?: string;
  mtime?: number;
  target?: string;
}

/** Reads a tree into a path → state map (root excluded): type, permission bits, size, content hash, whole-second mtime of files, symlink targets. */
export function snapshotTree(root: string): Record<string, PathState> {
  const out: Record<string, PathState> = {};
  const walk = (rel: string) => {
    const abs = rel ? join(root, rel) : root;
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', target: readlinkSync(p) };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', mode: st.mode & 0o7777 };
        walk(r);
      } else if (st.isFile()) {
        out[r] = { type: 'file', mode: st.mode & 0o7777, size: st.size, sha256: createHash('sha256').update(readFileSync(p)).digest('hex'), mtime: Math.floor(st.mtimeMs / 1000) };
      }
    }
  };
  walk('');
  return out;
}

/** A tree declared as data: path → file content (string/Buffer), {dir}, {symlink}, with optional mode and mtime. */
export type TreeSpec = Record<string, string | Buffer | { content?: string | Buffer; dir?: true; symlink?: string; mode?: number; mtime?: number }>;

/** Writes a declared tree under root (parents created as needed). */
export function writeTree(root: string, spec: TreeSpec): void {
  for (const [rel, v] of Object.entries(spec)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    const o = typeof v === 'string' || Buffer.isBuffer(v) ? { content: v } : v;
    if (o.dir) mkdirSync(p, { recursive: true });
    else if (o.symlink !== undefined) symlinkSync(o.symlink, p);
    else writeFileSync(p, o.content ?? '');
    if (o.mode !== undefined && o.symlink === undefined) chmodSync(p, o.mode);
    if (o.mtime !== undefined && o.symlink === undefined) utimesSync(p, o.mtime, o.mtime);
  }
}
