/**
 * age recipients and identities: parsing `age1…` and `ssh-ed25519 …` recipients,
 * identity files (age-keygen's `AGE-SECRET-KEY-1…` lines, or an unencrypted OpenSSH
 * ed25519 private key), and generating a new X25519 identity. Pure apart from randomness.
 */
import { createHash, randomBytes } from 'node:crypto';
import { bech32Decode, bech32Encode } from './bech32.js';
import { ed25519ToX25519, x25519Base } from './age-primitives.js';

/** Someone a file is encrypted to. `text` is the recipient as the user wrote it. */
export type AgeRecipient =
  | { type: 'X25519'; publicKey: Buffer; text: string }
  | { type: 'ssh-ed25519'; sshKey: Buffer; montgomery: Buffer; text: string };

/** A key that can decrypt. */
export type AgeIdentity =
  | { type: 'X25519'; secret: Buffer; publicKey: Buffer }
  | { type: 'ssh-ed25519'; sshKey: Buffer; montgomery: Buffer; scalar: Buffer };

/** A recipient string that cannot be used, with the reason. */
export class AgeKeyError extends Error {
  override readonly name = 'AgeKeyError';
}

/** Parses one recipient: `age1…` (X25519) or an OpenSSH `ssh-ed25519 AAAA… [comment]` public key line. */
export function parseRecipient(text: string): AgeRecipient {
  const s = text.trim();
  if (s.startsWith('age1')) {
    const d = bech32Decode(s);
    if (!d || d.hrp !== 'age' || d.data.length !== 32 || s !== s.toLowerCase()) throw new AgeKeyError('not a valid age1… X25519 recipient (bad checksum or length)');
    return { type: 'X25519', publicKey: d.data, text: s };
  }
  if (s.startsWith('ssh-ed25519 ')) {
    const blob = Buffer.from(s.split(/\s+/)[1] ?? '', 'base64');
    const fields = readSshStrings(blob, 2);
    if (!fields || fields[0].toString() !== 'ssh-ed25519' || fields[1].length !== 32) throw new AgeKeyError('not a valid ssh-ed25519 public key');
    const montgomery = ed25519ToX25519(fields[1]);
    if (!montgomery) throw new AgeKeyError('the ssh-ed25519 public key is not a valid curve point');
    return { type: 'ssh-ed25519', sshKey: blob, montgomery, text: s };
  }
  if (s.startsWith('ssh-rsa ')) throw new AgeKeyError('ssh-rsa recipients are not supported; use an age1… or ssh-ed25519 key');
  throw new AgeKeyError('must be an age1… recipient or an "ssh-ed25519 …" public key');
}

/** Parses an identity file's text: AGE-SECRET-KEY-1… lines (# comments and blank lines ignored) or an OpenSSH ed25519 private key. */
export function parseIdentities(text: string): AgeIdentity[] {
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return [parseOpenSshEd25519(text)];
  const out: AgeIdentity[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const d = bech32Decode(line);
    if (!d || d.hrp !== 'age-secret-key-' || d.data.length !== 32 || line !== line.toUpperCase()) throw new AgeKeyError('holds a line that is not an AGE-SECRET-KEY-1… identity');
    out.push({ type: 'X25519', secret: d.data, publicKey: x25519Base(d.data) });
  }
  if (out.length === 0) throw new AgeKeyError('holds no identity (AGE-SECRET-KEY-1… line or OpenSSH ed25519 private key)');
  return out;
}

/** A new X25519 identity: the file text (as age-keygen writes it) and its recipient. */
export function generateIdentity(now: Date): { text: string; recipient: string } {
  const secret = randomBytes(32);
  const recipient = bech32Encode('age', x25519Base(secret));
  const key = bech32Encode('age-secret-key-', secret).toUpperCase();
  return { text: `# created: ${now.toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${recipient}\n${key}\n`, recipient };
}

/** The recipient (age1…) of an X25519 identity. */
export function recipientOf(identity: Extract<AgeIdentity, { type: 'X25519' }>): string {
  return bech32Encode('age', identity.publicKey);
}

/** The 4-byte tag ssh-ed25519 stanzas carry: the first bytes of SHA-256 of the SSH public key blob. */
export function sshTag(sshKey: Uint8Array): Buffer {
  return createHash('sha256').update(sshKey).digest().subarray(0, 4);
}

function parseOpenSshEd25519(text: string): AgeIdentity {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  const blob = Buffer.from((m?.[1] ?? '').replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  if (!blob.subarray(0, magic.length).equals(magic)) throw new AgeKeyError('is not a valid OpenSSH private key');
  let pos = magic.length;
  const str = (): Buffer => {
    if (pos + 4 > blob.length) throw new AgeKeyError('is a truncated OpenSSH private key');
    const n = blob.readUInt32BE(pos);
    if (pos + 4 + n > blob.length) throw new AgeKeyError('is a truncated OpenSSH private key');
    const v = blob.subarray(pos + 4, pos + 4 + n);
    pos += 4 + n;
    return v;
  };
  const cipher = str().toString();
  str(); // kdf name
  str(); // kdf options
  if (cipher !== 'none') throw new AgeKeyError('is a passphrase-protected OpenSSH key; use an unencrypted copy or an age identity');
  if (blob.readUInt32BE(pos) !== 1) throw new AgeKeyError('holds more than one OpenSSH key');
  pos += 4;
  const sshKey = str();
  const priv = str();
  pos = 0;
  const section = priv;
  const rd = (): Buffer => {
    const n = section.readUInt32BE(pos);
    const v = section.subarray(pos + 4, pos + 4 + n);
    pos += 4 + n;
    return v;
  };
  if (section.length < 8 || section.readUInt32BE(0) !== section.readUInt32BE(4)) throw new AgeKeyError('is not a valid OpenSSH private key');
  pos = 8;
  if (rd().toString() !== 'ssh-ed25519') throw new AgeKeyError('is not an ed25519 key; only ssh-ed25519 keys can decrypt');
  const pub = rd();
  const seedAndPub = rd();
  if (pub.length !== 32 || seedAndPub.length !== 64) throw new AgeKeyError('is not a valid OpenSSH ed25519 private key');
  const montgomery = ed25519ToX25519(pub);
  if (!montgomery) throw new AgeKeyError('holds an invalid ed25519 public key');
  const scalar = createHash('sha512').update(seedAndPub.subarray(0, 32)).digest().subarray(0, 32);
  return { type: 'ssh-ed25519', sshKey, montgomery, scalar };
}

/** The first `n` SSH wire strings of a blob, or null when it is malformed. */
function readSshStrings(blob: Buffer, n: number): Buffer[] | null {
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > blob.length) return null;
    const len = blob.readUInt32BE(pos);
    if (pos + 4 + len > blob.length) return null;
    out.push(blob.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return pos === blob.length ? out : null;
}
