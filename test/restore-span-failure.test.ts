/**
 * A catalog restore reads the next span (its first blocks inflating) while it writes the
 * current one. A span that fails, whether it is the one being written or the one read
 * ahead, ends the restore with ARCHIVE_CORRUPT in one line: the span read ahead is closed,
 * nothing hangs, and no rejection goes unhandled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from './helpers/run-cli.js';

for (const broken of [1, 2]) {
  test(`a restore whose span of archive ${broken} (of 2) names no member at a recorded offset fails with ARCHIVE_CORRUPT in one line`, { timeout: 120_000 }, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'backup-span-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const data = join(root, 'data');
    mkdirSync(data);
    for (let i = 0; i < 20; i++) writeFileSync(join(data, `f${i}.txt`), `file ${i}\n`.repeat(2000));
    const state = join(root, 'state');
    const config = join(root, 'backup.json');
    writeFileSync(config, JSON.stringify({ data, set: 'span', stateDir: state, archive: { blockSizeKiB: 64 } }));
    assert.equal((await runCli(['run', '--config', config])).code, 0);
    for (let i = 0; i < 20; i += 2) writeFileSync(join(data, `f${i}.txt`), `changed ${i}\n`.repeat(3000));
    assert.equal((await runCli(['run', '--config', config])).code, 0);

    // the catalog now says a file restored from that archive (f1.txt is unchanged since archive 1,
    // f2.txt changed in archive 2) starts one block into its own body
    const db = new Database(join(state, 'catalog.db'));
    const moved = db.prepare('UPDATE archive_files SET tar_offset = tar_offset + 512 WHERE seq = ? AND path = ?').run(broken, `f${broken}.txt`);
    db.close();
    assert.equal(moved.changes, 1);

    const r = await runCli(['restore', '--config', config, '--to', join(root, 'out')]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /no archive member starts at tar offset|damaged header/);
    assert.doesNotMatch(r.stderr, /unhandled|ERR_UNHANDLED_REJECTION/i);
  });
}
