/** `backup ls`: the tree as it was at a point, from the catalog alone. */
import type { Command } from 'commander';
import { loadTreeAt } from '../../restore/load-tree.js';
import { compareUtf8 } from '../../scan/compare-utf8.js';
import type { MemberType } from '../../scan/tree-entry.js';
import { parsePoint } from '../parse-options.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonMode, jsonTime, jsonTimeFromSeconds } from '../json-values.js';
import type { TreeNode } from '../../restore/tree-at.js';
import { showName } from '../../scan/name-bytes.js';

/** The type letter `ls -l` (and `tar -tv`) shows; a hard link is a regular file. */
const KIND_LETTER: Record<MemberType, string> = { file: '-', hardlink: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b' };

/** Registers `backup ls`. */
export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list the files as they were at a point in time, from the catalog alone (no retrieval)')
    .argument('[prefix]', 'only paths under this directory or starting with this path')
    .option('--at <time>', 'the newest backup at or before this time (e.g. 2026-11-20 or 2026-11-20T14:00Z)')
    .option('--seq <n>', 'the backup with this sequence number (see "backup list")')
    .addHelpText('after', '\nExample:\n  backup ls --at 2026-11-20 photos/2024')
    .action((prefix: string | undefined, opts: { at?: string; seq?: string }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, (ctx) => {
        const { target, tree } = loadTreeAt(ctx.db, parsePoint(opts));
        const p = (prefix ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
        const nodes = [...tree.values()]
          .filter((n) => n.path !== '' && (p === '' || n.path === p || n.path.startsWith(p + '/') || (!tree.has(p) && n.path.startsWith(p))))
          .sort((a, b) => compareUtf8(a.path, b.path));
        if (ctx.flags.json) return sayJson({ seq: target.seq, createdAt: jsonTime(target.createdAt), entries: nodes.map(publicEntry) });
        for (const n of nodes) {
          const mode = n.mode.toString(8).padStart(4, '0');
          const when = new Date(n.mtime * 1000).toISOString().slice(0, 19).replace('T', ' ');
          const kind = KIND_LETTER[n.type];
          const link = n.linkTarget === undefined ? '' : n.type === 'hardlink' ? ` link to ${showName(n.linkTarget)}` : ` -> ${showName(n.linkTarget)}`;
          say(`${kind}${mode} ${String(n.size).padStart(12)} ${when}  ${showName(n.path)}${n.type === 'dir' ? '/' : ''}${link}  [#${n.seq}]`);
        }
      }),
    );
}

/** An entry as `ls --json` shows it: mode as octal digits, mtime as an ISO time, the archive that holds it as `seq`. */
function publicEntry(n: TreeNode) {
  return {
    path: n.path,
    type: n.type,
    mode: jsonMode(n.mode),
    size: n.size,
    mtime: jsonTimeFromSeconds(n.mtime),
    seq: n.seq,
    ...(n.linkTarget === undefined ? {} : { linkTarget: n.linkTarget }),
    ...(n.uid === undefined ? {} : { uid: n.uid }),
    ...(n.gid === undefined ? {} : { gid: n.gid }),
    ...(n.uname ? { uname: n.uname } : {}),
    ...(n.gname ? { gname: n.gname } : {}),
    ...(n.devMajor === undefined ? {} : { devMajor: n.devMajor, devMinor: n.devMinor ?? 0 }),
  };
}
