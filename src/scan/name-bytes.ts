/**
 * File names are bytes; the rest of the program keeps them as JavaScript strings. A name
 * that is valid UTF-8 is its decoded string. Any byte that is not part of a valid UTF-8
 * sequence becomes the lone surrogate U+DC00+byte (Python's "surrogateescape"), which no
 * valid UTF-8 decodes to, so `nameToBytes(nameFromBytes(b))` gives back `b` exactly for
 * every byte string. Every file system call and every tar header converts back to bytes.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ESCAPED = /[\udc80-\udcff]/;

/** The string for raw name bytes (valid UTF-8 decoded, other bytes escaped as U+DC80–U+DCFF). */
export function nameFromBytes(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return decodeEscaping(bytes);
  }
}

/** The raw bytes a name string stands for (the inverse of nameFromBytes). */
export function nameToBytes(name: string): Buffer {
  if (!ESCAPED.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    // a low surrogate right after a high one is half of a real character, not an escape
    if (i > 0 && isHigh(name.charCodeAt(i - 1))) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.of(c - 0xdc00));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** A path for a file system call: the string itself, or its raw bytes when it holds escaped bytes. */
export function fsPath(path: string): string | Buffer {
  return hasEscapedBytes(path) ? nameToBytes(path) : path;
}

/** Whether a name holds escaped bytes (was not valid UTF-8). */
export function hasEscapedBytes(name: string): boolean {
  if (!ESCAPED.test(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(name.charCodeAt(i - 1)))) return true;
  }
  return false;
}

/**
 * A name for people to read: escaped bytes shown as \xNN, backslashes doubled, and control
 * characters shown as \xNN (C0 and DEL, which no escaped byte can be) or \u00NN (C1), as GNU
 * tar -t escapes them: a name holding a newline or a terminal escape sequence (another user's
 * file) is one line of plain text in `backup ls` and in messages. Pure.
 */
export function showName(name: string): string {
  if (!ESCAPED.test(name) && !name.includes('\\') && !CONTROL.test(name)) return name;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(name.charCodeAt(i - 1)))) out += `\\x${(c - 0xdc00).toString(16).padStart(2, '0')}`;
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c <= 0x9f) out += `\\u00${c.toString(16)}`;
    else out += name[i];
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Decodes valid UTF-8 sequences and escapes every other byte. */
function decodeEscaping(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const n = validSequenceLength(b, i);
    if (n === 0) {
      out += String.fromCharCode(b[i] < 0x80 ? b[i] : 0xdc00 + b[i]);
      i++;
    } else {
      out += UTF8.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i` (1–4), or 0 when the byte there starts none. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const x = b[i];
  if (x < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (x >= 0xc2 && x <= 0xdf) return cont(1) ? 2 : 0;
  if (x === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (x === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (x >= 0xe1 && x <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (x === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (x >= 0xf1 && x <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (x === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
