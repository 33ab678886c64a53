/**
 * User and group names for tar headers, and back: GNU tar writes the owner's names beside
 * the numeric ids and, restoring as root, uses the local id of a name that exists here,
 * falling back to the stored id. Node has no getpwuid/getpwnam, so the local account
 * databases (/etc/passwd, /etc/group) are read once per process; accounts that only a
 * network directory service knows are written and restored by number.
 */
import { readFileSync } from 'node:fs';

/** Id ↔ name maps of one account database. */
export interface OwnerNames {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
  /** The local uid for a header's uname, else `uid`. */
  localUid(uname: string | undefined, uid: number): number;
  /** The local gid for a header's gname, else `gid`. */
  localGid(gname: string | undefined, gid: number): number;
}

interface Db {
  byId: Map<number, string>;
  byName: Map<string, number>;
}

/** Parses passwd/group lines ("name:x:id:…"); the first line for an id or a name wins, as getpwuid/getpwnam return. */
export function parseAccounts(text: string): Db {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || f[0].startsWith('#') || !/^\d+$/.test(f[2])) continue;
    const id = Number(f[2]);
    if (!byId.has(id)) byId.set(id, f[0]);
    if (!byName.has(f[0])) byName.set(f[0], id);
  }
  return { byId, byName };
}

function readAccounts(path: string): Db {
  try {
    return parseAccounts(readFileSync(path, 'utf8'));
  } catch {
    return { byId: new Map(), byName: new Map() };
  }
}

let cached: OwnerNames | undefined;

/** The machine's owner names, read on first use. */
export function ownerNames(): OwnerNames {
  if (cached) return cached;
  const users = readAccounts('/etc/passwd');
  const groups = readAccounts('/etc/group');
  cached = {
    userName: (uid) => users.byId.get(uid),
    groupName: (gid) => groups.byId.get(gid),
    localUid: (uname, uid) => (uname ? (users.byName.get(uname) ?? uid) : uid),
    localGid: (gname, gid) => (gname ? (groups.byName.get(gname) ?? gid) : gid),
  };
  return cached;
}
