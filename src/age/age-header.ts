/**
 * The age v1 header (https://age-encryption.org/v1): the version line, one stanza per
 * recipient wrapping the 16-byte file key, and the HMAC-SHA-256 of all that under a key
 * derived from the file key. Encoding wraps a file key for X25519 and ssh-ed25519
 * recipients; decoding parses any header (unknown stanza types are skipped) and
 * unwraps the file key with whichever identity fits, then checks the MAC. Pure apart
 * from randomness.
 */
import { timingSafeEqual } from 'node:crypto';
import { hkdf32, hmacSha256, openChaCha, sealChaCha, x25519, x25519Ephemeral } from './age-primitives.js';
import { sshTag, type AgeIdentity, type AgeRecipient } from './age-keys.js';

const VERSION_LINE = 'age-encryption.org/v1';
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const SSH_LABEL = 'age-encryption.org/v1/ssh-ed25519';
const ZERO_NONCE = Buffer.alloc(12);

/** One recipient stanza. */
export interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

/** A parsed header. */
export interface AgeHeader {
  stanzas: Stanza[];
  /** The header's bytes up to and including "---" (what the MAC covers). */
  macInput: Buffer;
  mac: Buffer;
  /** Length of the whole header, through the MAC line's newline. */
  length: number;
}

/** The header is malformed (not an age file, or damaged). */
export class AgeHeaderError extends Error {
  override readonly name = 'AgeHeaderError';
}

/** Encodes the header for `fileKey` wrapped to every recipient. */
export function encodeHeader(fileKey: Buffer, recipients: readonly AgeRecipient[]): Buffer {
  let text = `${VERSION_LINE}\n`;
  for (const r of recipients) {
    const s = wrapFileKey(fileKey, r);
    text += `-> ${[s.type, ...s.args].join(' ')}\n${wrapBody(b64(s.body))}`;
  }
  text += '---';
  const mac = hmacSha256(hkdf32(fileKey, Buffer.alloc(0), 'header'), Buffer.from(text, 'latin1'));
  return Buffer.from(`${text} ${b64(mac)}\n`, 'latin1');
}

/**
 * Parses a header at the start of `bytes`. Returns null when `bytes` ends before the
 * header does (read more); throws AgeHeaderError when it is not a valid age header.
 */
export function decodeHeader(bytes: Buffer): AgeHeader | null {
  let pos = 0;
  const line = (): string | null => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) {
      if (bytes.length - pos > 4096) throw new AgeHeaderError('header line too long');
      return null;
    }
    const l = bytes.toString('latin1', pos, nl);
    pos = nl + 1;
    return l;
  };
  const first = line();
  if (first === null) {
    if (bytes.length > 0 && !Buffer.from(`${VERSION_LINE}\n`).subarray(0, bytes.length).equals(bytes.subarray(0, VERSION_LINE.length + 1))) throw new AgeHeaderError('not an age file');
    return null;
  }
  if (first !== VERSION_LINE) throw new AgeHeaderError('not an age v1 file');
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const l = line();
    if (l === null) return null;
    if (l.startsWith('--- ')) {
      const mac = fromB64(l.slice(4));
      if (!mac || mac.length !== 32) throw new AgeHeaderError('bad header MAC line');
      return { stanzas, macInput: bytes.subarray(0, start + 3), mac, length: pos };
    }
    if (!l.startsWith('-> ')) throw new AgeHeaderError('malformed stanza');
    const [type, ...args] = l.slice(3).split(' ');
    if (!type) throw new AgeHeaderError('stanza without a type');
    const parts: Buffer[] = [];
    for (;;) {
      const b = line();
      if (b === null) return null;
      const chunk = fromB64(b);
      if (!chunk || b.length > 64) throw new AgeHeaderError('malformed stanza body');
      parts.push(chunk);
      if (b.length < 64) break;
    }
    stanzas.push({ type, args, body: Buffer.concat(parts) });
  }
}

/**
 * The file key of a header, unwrapped with the first identity that fits and checked
 * against the MAC; null when no identity fits. Throws AgeHeaderError when a stanza
 * unwraps but the MAC does not match (a damaged or forged header).
 */
export function unwrapFileKey(header: AgeHeader, identities: readonly AgeIdentity[]): Buffer | null {
  for (const s of header.stanzas) {
    for (const id of identities) {
      const key = unwrapStanza(s, id);
      if (!key) continue;
      const mac = hmacSha256(hkdf32(key, Buffer.alloc(0), 'header'), header.macInput);
      if (!timingSafeEqual(mac, header.mac)) throw new AgeHeaderError('the header MAC does not match: the file is damaged or was tampered with');
      return key;
    }
  }
  return null;
}

function wrapFileKey(fileKey: Buffer, r: AgeRecipient): Stanza {
  const eph = x25519Ephemeral();
  if (r.type === 'X25519') {
    const shared = x25519(eph.secret, r.publicKey);
    if (!shared) throw new AgeHeaderError('the recipient is a low-order point');
    const key = hkdf32(shared, Buffer.concat([eph.share, r.publicKey]), X25519_LABEL);
    return { type: 'X25519', args: [b64(eph.share)], body: sealChaCha(key, ZERO_NONCE, fileKey) };
  }
  const shared = x25519(eph.secret, r.montgomery);
  const tweak = hkdf32(Buffer.alloc(0), r.sshKey, SSH_LABEL);
  const tweaked = shared && x25519(tweak, shared);
  if (!tweaked) throw new AgeHeaderError('the ssh-ed25519 recipient is a low-order point');
  const key = hkdf32(tweaked, Buffer.concat([eph.share, r.montgomery]), SSH_LABEL);
  return { type: 'ssh-ed25519', args: [b64(sshTag(r.sshKey)), b64(eph.share)], body: sealChaCha(key, ZERO_NONCE, fileKey) };
}

function unwrapStanza(s: Stanza, id: AgeIdentity): Buffer | null {
  if (s.body.length !== 32) return null;
  if (s.type === 'X25519' && id.type === 'X25519' && s.args.length === 1) {
    const share = fromB64(s.args[0]);
    const shared = share && share.length === 32 ? x25519(id.secret, share) : null;
    if (!share || !shared) return null;
    return openChaCha(hkdf32(shared, Buffer.concat([share, id.publicKey]), X25519_LABEL), ZERO_NONCE, s.body);
  }
  if (s.type === 'ssh-ed25519' && id.type === 'ssh-ed25519' && s.args.length === 2) {
    const tag = fromB64(s.args[0]);
    if (!tag || !tag.equals(sshTag(id.sshKey))) return null;
    const share = fromB64(s.args[1]);
    const shared = share && share.length === 32 ? x25519(id.scalar, share) : null;
    const tweaked = shared && x25519(hkdf32(Buffer.alloc(0), id.sshKey, SSH_LABEL), shared);
    if (!share || !tweaked) return null;
    return openChaCha(hkdf32(tweaked, Buffer.concat([share, id.montgomery]), SSH_LABEL), ZERO_NONCE, s.body);
  }
  return null;
}

/** Standard base64 without padding, as age writes it. */
function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/=+$/, '');
}

/** Strict unpadded base64: null unless `s` is the canonical encoding of its bytes. */
function fromB64(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return null;
  const b = Buffer.from(s, 'base64');
  return b64(b) === s ? b : null;
}

/** A stanza body's base64 in 64-column lines; the last line is always shorter than 64 (possibly empty). */
function wrapBody(s: string): string {
  let out = '';
  let i = 0;
  for (; i + 64 <= s.length; i += 64) out += `${s.slice(i, i + 64)}\n`;
  return `${out}${s.slice(i)}\n`;
}
