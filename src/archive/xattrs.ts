/**
 * Extended attributes (option `archive.xattrs`), stored as GNU tar --xattrs stores them:
 * `SCHILY.xattr.<name>` records in a pax extended header ('x') just before the member.
 * GNU tar writes those only in POSIX archives, but reads them before any member, so
 * `tar --xattrs -xzf` restores them from our GNU-format archives too. Like GNU tar without
 * --xattrs-include, only the user.* namespace is stored. Node has no xattr calls: getfattr
 * and setfattr (Debian's `attr` package) are run directly, without a shell, and only when
 * the option is on or an archive holds attributes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BackupError } from '../errors.js';

const run = promisify(execFile);

/** One extended attribute: its full name (e.g. "user.color") and value bytes. */
export interface Xattr {
  name: string;
  value: Buffer;
}

/** Paths per getfattr call (keeps each command line well under ARG_MAX). */
const BATCH = 200;
const PREFIX = 'SCHILY.xattr.';
const USER_PREFIX = `${PREFIX}user.`;

/** The user.* attributes of the files at `absPaths`, by absolute path (files without any are absent). */
export async function readXattrs(absPaths: readonly string[]): Promise<Map<string, Xattr[]>> {
  const out = new Map<string, Xattr[]>();
  for (let i = 0; i < absPaths.length; i += BATCH) {
    let stdout: string;
    try {
      ({ stdout } = await run('getfattr', ['-h', '-d', '-e', 'base64', '--absolute-names', '--', ...absPaths.slice(i, i + BATCH)], { maxBuffer: 256 * 1024 * 1024 }));
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string };
      if (e.code === 'ENOENT') throw missingTool('getfattr', err);
      // exit 1: some file vanished or could not be read; what it printed for the others holds
      stdout = e.stdout ?? '';
    }
    parseGetfattr(stdout, out);
  }
  return out;
}

/** Parses `getfattr -d -e base64` output ("# file: PATH" then "name=0sBASE64" lines) into `into`. */
export function parseGetfattr(text: string, into: Map<string, Xattr[]>): void {
  let file: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      file = unescapeName(line.slice(8));
      continue;
    }
    const eq = line.indexOf('=');
    if (!file || eq <= 0) continue;
    const raw = line.slice(eq + 1);
    const value = raw.startsWith('0s') ? Buffer.from(raw.slice(2), 'base64') : Buffer.from(raw.replace(/^"|"$/g, ''), 'utf8');
    const list = into.get(file) ?? [];
    list.push({ name: unescapeName(line.slice(0, eq)), value });
    into.set(file, list);
  }
}

/** getfattr's octal escapes (\\012, \\\\) undone. */
function unescapeName(s: string): string {
  return s.replace(/\\([0-7]{3}|\\)/g, (_, c: string) => (c === '\\' ? '\\' : String.fromCharCode(parseInt(c, 8))));
}

/** The body of a pax extended header carrying `xattrs` as SCHILY.xattr records. */
export function encodeXattrRecords(xattrs: readonly Xattr[]): Buffer {
  return Buffer.concat(xattrs.map((x) => paxRecord(Buffer.from(`${PREFIX}${x.name}`, 'utf8'), x.value)));
}

/** One pax record, "LEN KEY=VALUE\n", LEN counting its own digits. */
function paxRecord(key: Buffer, value: Buffer): Buffer {
  const rest = key.length + value.length + 3; // space, '=', newline
  let len = rest + 1;
  while (String(len).length + rest > len) len++;
  return Buffer.concat([Buffer.from(`${len} `), key, Buffer.from('='), value, Buffer.from('\n')]);
}

/**
 * The SCHILY.xattr records of a pax extended header body in the user.* namespace (values as
 * raw bytes). Others are dropped, as GNU tar --xattrs drops them on extraction without
 * --xattrs-include: an archive's trusted.* or security.* records (security.capability gives
 * a program capabilities) would otherwise be set by a restore running as root.
 */
export function decodeXattrRecords(body: Buffer): Xattr[] {
  const out: Xattr[] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(body.toString('latin1', at, space));
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > body.length) break;
    const rec = body.subarray(space + 1, at + len - 1);
    const eq = rec.indexOf(0x3d);
    const key = rec.toString('utf8', 0, eq < 0 ? rec.length : eq);
    if (eq > 0 && key.startsWith(USER_PREFIX)) out.push({ name: key.slice(PREFIX.length), value: Buffer.from(rec.subarray(eq + 1)) });
    at += len;
  }
  return out;
}

/** Sets `xattrs` on the entry at `path` (not following a symlink) with setfattr. */
export async function writeXattrs(path: string, xattrs: readonly Xattr[]): Promise<void> {
  for (const x of xattrs) {
    try {
      await run('setfattr', ['-h', '-n', x.name, '-v', `0s${x.value.toString('base64')}`, '--', path]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool('setfattr', err);
      const why = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
      throw new BackupError('IO', `cannot set the extended attribute ${x.name} (${why}); the target's filesystem may not support user attributes`, { cause: err });
    }
  }
}

function missingTool(tool: string, cause: unknown): BackupError {
  return new BackupError('IO', `${tool} is not installed; extended attributes need it: install the "attr" package`, { cause });
}
