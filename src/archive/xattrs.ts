/**
 * Extended attributes (option `archive.xattrs`), stored as GNU tar --xattrs stores them:
 * `SCHILY.xattr.<name>` records in a pax extended header ('x') just before the member.
 * GNU tar writes those only in POSIX archives, but reads them before any member, so
 * `tar --xattrs -xzf` restores them from our GNU-format archives too. Like GNU tar without
 * --xattrs-include, only the user.* namespace is stored. Node has no xattr calls: getfattr
 * and setfattr (Debian's `attr` package) are run directly, without a shell, and only when
 * the option is on or an archive holds attributes.
 *
 * getfattr is handed each file as an open descriptor (`/proc/self/fd/N` in the child), not
 * by name: a name that is not valid UTF-8 cannot be passed as an argument from Node, and
 * its attributes were silently left out. Names keep GNU tar's keyword escapes ('%' as %25,
 * '=' as %3D), so an attribute whose name holds '=' reads back under its own name.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { BackupError } from '../errors.js';
import { fsPath, nameFromBytes } from '../scan/name-bytes.js';

const run = promisify(execFile);

/** One extended attribute: its full name (e.g. "user.color") and value bytes. */
export interface Xattr {
  name: string;
  value: Buffer;
}

/** Files per getfattr call: each is held open and handed to it as a descriptor (well under the open-file limit). */
const BATCH = 200;
const PREFIX = 'SCHILY.xattr.';
const USER_PREFIX = `${PREFIX}user.`;

/** The user.* attributes of the files at `absPaths`, by absolute path (files without any, or gone, are absent). */
export async function readXattrs(absPaths: readonly string[]): Promise<Map<string, Xattr[]>> {
  const out = new Map<string, Xattr[]>();
  for (let i = 0; i < absPaths.length; i += BATCH) {
    const opened: Array<{ path: string; fd: number }> = [];
    try {
      for (const path of absPaths.slice(i, i + BATCH)) {
        try {
          opened.push({ path, fd: openSync(fsPath(path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK) });
        } catch {
          // gone, replaced by a symlink or unreadable: reading its content reports it
        }
      }
      if (!opened.length) continue;
      const byFd = new Map<string, Xattr[]>();
      parseGetfattr(await getfattrOf(opened.map((o) => o.fd)), byFd);
      opened.forEach((o, k) => {
        const list = byFd.get(`/proc/self/fd/${FIRST_FD + k}`);
        if (list) out.set(o.path, list);
      });
    } finally {
      for (const o of opened) closeSync(o.fd);
    }
  }
  return out;
}

/** The child's first descriptor after stdin, stdout and stderr. */
const FIRST_FD = 3;

/** getfattr's output for the open files `fds`, passed to it as its descriptors 3, 4, … */
function getfattrOf(fds: readonly number[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const args = ['-d', '-e', 'base64', '--absolute-names', '--', ...fds.map((_, k) => `/proc/self/fd/${FIRST_FD + k}`)];
    const child = spawn('getfattr', args, { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d));
    child.stderr?.resume();
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missingTool('getfattr', err) : err));
    // exit 1: some file could not be read; what it printed for the others holds
    child.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Parses `getfattr -d -e base64` output ("# file: PATH" then "name=0sBASE64" lines) into `into`; paths and names are read as bytes. */
export function parseGetfattr(text: string | Buffer, into: Map<string, Xattr[]>): void {
  let file: string | undefined;
  for (const bytes of splitLines(typeof text === 'string' ? Buffer.from(text, 'utf8') : text)) {
    const line = bytes.toString('latin1');
    if (line.startsWith('# file: ')) {
      file = nameFromBytes(unescapeName(bytes.subarray(8)));
      continue;
    }
    const eq = line.indexOf('=');
    if (!file || eq <= 0) continue;
    const raw = line.slice(eq + 1);
    const value = raw.startsWith('0s') ? Buffer.from(raw.slice(2), 'base64') : Buffer.from(bytes.subarray(eq + 1).toString('utf8').replace(/^"|"$/g, ''), 'utf8');
    const list = into.get(file) ?? [];
    list.push({ name: unescapeName(bytes.subarray(0, eq)).toString('utf8'), value });
    into.set(file, list);
  }
}

function splitLines(b: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let at = 0; at < b.length; ) {
    const nl = b.indexOf(0x0a, at);
    const end = nl < 0 ? b.length : nl;
    lines.push(b.subarray(at, end));
    at = end + 1;
  }
  return lines;
}

/** getfattr's octal escapes (\\012, \\075, \\\\) undone, as bytes. */
function unescapeName(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\\([0-7]{3}|\\)/g, (_, c: string) => (c === '\\' ? '\\' : String.fromCharCode(parseInt(c, 8)))), 'latin1');
}

/** The body of a pax extended header carrying `xattrs` as SCHILY.xattr records. */
export function encodeXattrRecords(xattrs: readonly Xattr[]): Buffer {
  return Buffer.concat(xattrs.map((x) => paxRecord(Buffer.from(`${PREFIX}${encodeKeyword(x.name)}`, 'utf8'), x.value)));
}

/** An attribute name as GNU tar writes it in a keyword: '%' as %25 and '=' as %3D (a raw '=' would end the keyword). */
function encodeKeyword(name: string): string {
  return name.replace(/[%=]/g, (c) => (c === '%' ? '%25' : '%3D'));
}

/** A keyword's attribute name as GNU tar reads it: %3D and %25 undone, any other '%' kept. */
function decodeKeyword(name: string): string {
  return name.replace(/%(3D|25)/g, (_, c: string) => (c === '3D' ? '=' : '%'));
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
    if (eq > 0 && key.startsWith(USER_PREFIX)) out.push({ name: decodeKeyword(key.slice(PREFIX.length)), value: Buffer.from(rec.subarray(eq + 1)) });
    at += len;
  }
  return out;
}

/**
 * Sets `xattrs` with setfattr on the file at `path`, which is followed: give the
 * `/proc/PID/fd/N` path of a descriptor held on the file, which reaches that file whatever
 * its names are now.
 */
export async function writeXattrs(path: string, xattrs: readonly Xattr[]): Promise<void> {
  for (const x of xattrs) {
    try {
      // setfattr sets nothing for "-v 0s" (empty base64); without -v it sets the empty value
      await run('setfattr', ['-n', x.name, ...(x.value.length ? ['-v', `0s${x.value.toString('base64')}`] : []), '--', path]);
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
