import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgress } from './progress.js';
import { writeConsoleLine } from './console-line.js';

const MiB = 1024 ** 2;

function lineProgress(intervalMs = 30_000) {
  let t = 1_000_000;
  const lines: string[] = [];
  const progress = createProgress({ isTTY: false, quiet: false, line: (l) => lines.push(l), intervalMs, now: () => t });
  return { progress, lines, advance: (ms: number) => (t += ms) };
}

test('not a TTY: a line at each 25% step, none in between, and a final line on stop', () => {
  const { progress, lines, advance } = lineProgress();
  progress.start('archive', 400 * MiB, 'bytes');
  advance(1000);
  progress.update(50 * MiB);
  assert.deepEqual(lines, []);
  advance(1000);
  progress.update(100 * MiB, { sent: 64 * MiB, parts: 2 });
  advance(1000);
  progress.update(120 * MiB);
  advance(1000);
  progress.update(310 * MiB); // crosses 50% and 75% at once: one line
  advance(1000);
  progress.update(400 * MiB); // 100%: the final line says it
  progress.stop();
  assert.deepEqual(lines, [
    'archive: 100.0 MiB of 400.0 MiB (25%), 50.0 MiB/s, ETA 6.0 s; sent 64.0 MiB, parts 2',
    'archive: 310.0 MiB of 400.0 MiB (77%), 77.5 MiB/s, ETA 1.2 s; sent 64.0 MiB, parts 2',
    'archive: 400.0 MiB in 5.0 s, 80.0 MiB/s average; sent 64.0 MiB, parts 2',
  ]);
});

test('not a TTY: between steps, a line at most every intervalMs', () => {
  const { progress, lines, advance } = lineProgress(30_000);
  progress.start('scan', 0, 'files');
  for (let i = 1; i <= 100; i++) {
    advance(1000);
    progress.update(i * 100);
  }
  progress.stop();
  assert.deepEqual(lines, ['scan: 3000 files, 100 files/s', 'scan: 6000 files, 100 files/s', 'scan: 9000 files, 100 files/s', 'scan: 10000 files in 1 min 40 s, 100 files/s average']);
});

test('done never moves backwards within a stage; extras are merged', () => {
  const { progress, lines, advance } = lineProgress();
  progress.start('archive', 100, 'bytes');
  advance(1000);
  progress.update(60);
  advance(1000);
  progress.update(10, { sent: 5 }); // a smaller count from another source
  progress.update(NaN, { parts: 1 });
  progress.stop();
  assert.equal(lines.at(-1), 'archive: 60 B (60% of 100 B) in 2.0 s, 30 B/s average; sent 5 B, parts 1');
});

test('update and stop without start are ignored; a stage without updates ends silently', () => {
  const { progress, lines, advance } = lineProgress();
  progress.update(10);
  progress.stop();
  progress.start('upload', 100, 'bytes');
  advance(5000);
  progress.stop();
  progress.stop();
  assert.deepEqual(lines, []);
});

test('start while a stage runs ends it first, with its final line', () => {
  const { progress, lines, advance } = lineProgress();
  progress.start('scan', 0, 'files');
  advance(2000);
  progress.update(10);
  progress.start('archive', 100, 'bytes');
  advance(1000);
  progress.update(30);
  progress.stop();
  assert.deepEqual(lines, ['scan: 10 files in 2.0 s, 5.0 files/s average', 'archive: 30 B of 100 B (30%), 30 B/s, ETA 2.3 s', 'archive: 30 B (30% of 100 B) in 1.0 s, 30 B/s average']);
});

test('quiet shows nothing, on a terminal or not', () => {
  const lines: string[] = [];
  const out = ttyStream();
  for (const isTTY of [true, false]) {
    const p = createProgress({ isTTY, quiet: true, line: (l) => lines.push(l), stream: out.stream });
    p.start('archive', 100, 'bytes');
    p.update(50);
    p.stop();
  }
  assert.deepEqual(lines, []);
  assert.equal(out.text(), '');
});

const ESC = '\x1b';
/** Splits terminal output into the text between its control sequences. */
function drawnText(out: string): string[] {
  return out.split(new RegExp(`\r|\n|${ESC}\\[[0-9;?]*[A-Za-z]`)).filter(Boolean);
}

/** A stream that says it is a terminal `columns` wide and keeps what is written to it. */
function ttyStream(columns = 120) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  Object.assign(stream, { isTTY: true, columns });
  return { stream, text: () => chunks.join('') };
}

test('on a TTY: a cli-progress bar with label, percentage, sizes and extras, cleared on stop; log lines print across it', async () => {
  const out = ttyStream();
  const lines: string[] = [];
  const p = createProgress({ isTTY: true, quiet: false, line: (l) => lines.push(l), stream: out.stream });
  p.start('archive', 400 * MiB, 'bytes');
  p.update(100 * MiB, { sent: 64 * MiB, parts: 2 });
  await new Promise((r) => setTimeout(r, 450));
  writeConsoleLine(out.stream, 'warning: a.txt: unreadable\n');
  const beforeStop = out.text();
  p.stop();
  const text = out.text();
  p.update(200 * MiB); // after stop: ignored, no redraw
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(lines, [], 'no status lines on a terminal');
  assert.ok(drawnText(beforeStop).some((l) => /^archive \S+ {2}25% 100\.0 MiB\/400\.0 MiB {2}[\d.]+ MiB\/s {2}ETA \S+ s {2}sent 64\.0 MiB, parts 2$/.test(l)), beforeStop);
  const cleared = beforeStop.indexOf(`${ESC}[2Kwarning: a.txt: unreadable\n`);
  assert.ok(cleared > 0 && beforeStop.indexOf('archive ', cleared) > cleared, 'the bar is cleared, the line printed, the bar drawn again');
  assert.ok(text.endsWith(`${ESC}[0J`), `cleared at the end: ${JSON.stringify(text.slice(-20))}`);
  assert.equal(out.text(), text, 'nothing drawn after stop');
});

test('on a narrow TTY the bar drops the extras, then the rate, to fit the width', async () => {
  const out = ttyStream(64);
  const p = createProgress({ isTTY: true, quiet: false, stream: out.stream });
  p.start('upload', 400 * MiB, 'bytes');
  p.update(100 * MiB, { sent: 100 * MiB, parts: 4 });
  await new Promise((r) => setTimeout(r, 250));
  p.stop();
  const drawn = drawnText(out.text());
  assert.ok(drawn.some((l) => /^upload \S+ {2}25% 100\.0 MiB\/400\.0 MiB/.test(l)), JSON.stringify(drawn));
  for (const l of drawn) {
    assert.ok(l.length < 64, `fits the width: ${JSON.stringify(l)}`);
    assert.doesNotMatch(l, /parts/);
  }
});

test('on a TTY whose total is unknown, the bar shows a count instead of a percentage', async () => {
  const out = ttyStream();
  const p = createProgress({ isTTY: true, quiet: false, stream: out.stream });
  p.start('scan', 0, 'files');
  p.update(1234);
  await new Promise((r) => setTimeout(r, 250));
  p.stop();
  assert.match(out.text(), /scan 1234 files/);
  assert.doesNotMatch(out.text(), /%/);
});
