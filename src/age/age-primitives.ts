/**
 * The primitives age is built on, over Node's crypto (OpenSSL): HKDF-SHA-256, HMAC-SHA-256,
 * ChaCha20-Poly1305, X25519 on raw 32-byte keys, and the Ed25519 → X25519 public key map
 * that ssh-ed25519 recipients need. Pure apart from randomness.
 *
 * Why not age's reference TypeScript implementation (npm age-encryption 0.3.1, kept as a
 * test-only interoperability peer, see age-reference-interop.test.ts): its ChaCha20-Poly1305
 * is pure JavaScript, 3× the CPU of OpenSSL's here encrypting 200 MiB (2.3 s against
 * 0.7–0.9 s) and 4× decrypting (2.4–2.7 s against 0.5–0.6 s), which would break the
 * bound of an encrypted full backup within 10% of a plain one; it has no ssh-ed25519
 * recipients; and it decrypts only from the first chunk, while ranged restores start at
 * any chunk counter. Both stream in bounded memory.
 */
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';

/** HKDF-SHA-256 (RFC 5869) of at most 32 output bytes. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Buffer {
  const prk = createHmac('sha256', salt.length > 0 ? salt : Buffer.alloc(32)).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(Buffer.from([1])).digest().subarray(0, length);
}

/** HMAC-SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** ChaCha20-Poly1305 encryption: ciphertext followed by the 16-byte tag. */
export function sealChaCha(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return out;
}

/** ChaCha20-Poly1305 decryption; null when the tag does not authenticate. */
export function openChaCha(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < 16) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const body = d.update(sealed.subarray(0, sealed.length - 16));
  try {
    return Buffer.concat([body, d.final()]);
  } catch {
    return null;
  }
}

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

/** X25519(scalar, point) on raw 32-byte values (the scalar is clamped, as RFC 7748 says); null for an all-zero result (a low-order point). */
export function x25519(scalar: Uint8Array, point: Uint8Array): Buffer | null {
  try {
    const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, scalar]), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI, point]), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey, publicKey });
    return shared.every((b) => b === 0) ? null : shared;
  } catch {
    return null;
  }
}

/** The X25519 public key of a raw 32-byte scalar. */
export function x25519Base(scalar: Uint8Array): Buffer {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, scalar]), format: 'der', type: 'pkcs8' });
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI.length);
}

/** A fresh random X25519 scalar and its public key. */
export function x25519Ephemeral(): { secret: Buffer; share: Buffer } {
  const secret = randomBytes(32);
  return { secret, share: x25519Base(secret) };
}

const P = (1n << 255n) - 19n;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = b % P;
  while (e > 0n) {
    if (e & 1n) r = (r * x) % P;
    x = (x * x) % P;
    e >>= 1n;
  }
  return r;
}

/** The Montgomery u-coordinate of an Ed25519 public key: u = (1 + y) / (1 − y) mod p. Null when y is out of range or u is undefined. */
export function ed25519ToX25519(pub: Uint8Array): Buffer | null {
  if (pub.length !== 32) return null;
  const le = Buffer.from(pub);
  le[31] &= 0x7f;
  const y = BigInt(`0x${Buffer.from(le).reverse().toString('hex')}`);
  if (y >= P || y === 1n) return null;
  const u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
  const hex = u.toString(16).padStart(64, '0');
  return Buffer.from(hex, 'hex').reverse();
}
