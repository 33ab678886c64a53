/**
 * Command-line arguments as the bytes the shell gave. Node decodes argv as UTF-8 and turns
 * every byte that is not valid UTF-8 into U+FFFD, so `restore --path $'caf\xe9.txt'` could
 * never name a file whose name is Latin-1. On Linux /proc/self/cmdline holds the raw bytes,
 * NUL-separated: [node, ...node options, script, ...args]; the user's arguments are its last
 * argv.length - 2 entries. An argument whose bytes are not valid UTF-8 becomes the same
 * escaped string the catalog uses for such names (scan/name-bytes.ts); every other
 * argument, and every argument where cmdline is unavailable or does not line up, stays as
 * Node decoded it.
 */
import { readFileSync } from 'node:fs';
import { nameFromBytes } from '../scan/name-bytes.js';

/** `argv` (process.argv form) with each U+FFFD-bearing argument replaced by its raw bytes' name form. Pure. */
export function withRawArgs(argv: readonly string[], cmdline: Buffer | undefined): string[] {
  const out = [...argv];
  if (!cmdline || !argv.slice(2).some((a) => a.includes('\ufffd'))) return out;
  const entries: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] === 0) {
      entries.push(cmdline.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < cmdline.length) entries.push(cmdline.subarray(start));
  const args = argv.length - 2;
  if (entries.length < args + 1) return out;
  const tail = entries.slice(entries.length - args);
  for (let i = 0; i < args; i++) {
    const decoded = tail[i].toString('utf8');
    // the entries must be the arguments Node decoded, or nothing is replaced
    if (decoded !== argv[i + 2]) return [...argv];
    if (decoded.includes('\ufffd')) out[i + 2] = nameFromBytes(tail[i]);
  }
  return out;
}

/** This process's raw command line, or undefined where there is no /proc. */
export function readCmdline(): Buffer | undefined {
  try {
    return readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
}
