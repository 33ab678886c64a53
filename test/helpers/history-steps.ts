/** A scripted 10-step history of a data directory: adds, edits with preserved mtimes, deletions, renames, type changes, symlinks, modes, empty dirs, unicode and long names. */
import { mkdirSync, rmSync, writeFileSync, renameSync, unlinkSync, symlinkSync, chmodSync, utimesSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeTree } from './tree-snapshot.js';

const long = 'a-very-long-directory-name-that-goes-on-and-on-'.repeat(2);
const longFile = `${'file-with-a-name-longer-than-one-hundred-bytes-'.repeat(3)}.txt`;

// each step changes the data directory; the backup after it must capture exactly that state
export const historySteps: Array<(d: string) => void> = [
  (d) =>
    writeTree(d, {
      'docs/readme.txt': 'hello\n',
      'docs/notes/n1.md': '# one\n'.repeat(100),
      'photos/2024/img1.jpg': Buffer.alloc(300_000, 7),
      'photos/2024/img2.jpg': Buffer.alloc(5000, 9),
      'empty-dir': { dir: true },
      'link-to-readme': { symlink: 'docs/readme.txt' },
      'héllo wörld ✓.txt': 'unicode\n',
      [`${long}/${longFile}`]: 'deep and long\n',
      'script.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
    }),
  (d) => {
    // a new file, and an edit that keeps the old mtime (as cp -p or rsync -t would)
    writeFileSync(join(d, 'docs/new.txt'), 'new file\n');
    const p = join(d, 'docs/readme.txt');
    const old = statSync(p);
    writeFileSync(p, 'HELLO\n');
    utimesSync(p, old.atime, old.mtime);
  },
  (d) => {
    unlinkSync(join(d, 'photos/2024/img2.jpg'));
    rmSync(join(d, 'docs/notes'), { recursive: true });
  },
  (d) => renameSync(join(d, 'photos/2024'), join(d, 'photos/twenty-four')),
  (d) => {
    // a file replaced by a directory
    unlinkSync(join(d, 'docs/new.txt'));
    mkdirSync(join(d, 'docs/new.txt'));
    writeFileSync(join(d, 'docs/new.txt/inside'), 'now a dir\n');
  },
  (d) => {
    // symlink retargeted, and a dangling one
    unlinkSync(join(d, 'link-to-readme'));
    symlinkSync('photos/twenty-four/img1.jpg', join(d, 'link-to-readme'));
    symlinkSync('does/not/exist', join(d, 'dangling'));
  },
  (d) => {
    chmodSync(join(d, 'script.sh'), 0o700);
    chmodSync(join(d, 'docs'), 0o750);
    chmodSync(join(d, 'héllo wörld ✓.txt'), 0o600);
  },
  (d) => {
    rmSync(join(d, 'empty-dir'), { recursive: true });
    mkdirSync(join(d, 'another/empty/dir'), { recursive: true });
  },
  (d) => {
    // the directory becomes a file again, and a unicode rename
    rmSync(join(d, 'docs/new.txt'), { recursive: true });
    writeFileSync(join(d, 'docs/new.txt'), 'a file again\n');
    renameSync(join(d, 'héllo wörld ✓.txt'), join(d, 'ünïcödé-renamed.txt'));
  },
  (d) => {
    writeFileSync(join(d, `${long}/${longFile}`), 'changed deep and long\n');
    writeFileSync(join(d, 'photos/twenty-four/img3.jpg'), Buffer.alloc(2_000_000, 3));
    rmSync(join(d, 'another'), { recursive: true });
  },
];

