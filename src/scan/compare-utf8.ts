/**
 * Byte-order comparison of strings without encoding them.
 *
 * UTF-8 byte order is Unicode code point order. JavaScript's `<` compares UTF-16 code
 * units, which agrees with code point order except that surrogates (U+D800–U+DFFF, the
 * halves of characters above U+FFFF) sort below U+E000–U+FFFF. At the first differing
 * code unit we shift those two ranges into code point order; everything before it is equal.
 */

/** Compares two strings as `Buffer.compare` compares their UTF-8 encodings (negative, 0, positive). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  // U+E000–U+FFFF come before any surrogate (which stands for a code point ≥ U+10000)
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
