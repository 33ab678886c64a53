/**
 * `npm run bench`: throughput and memory of backup against the obvious alternatives on the
 * same data in the same run — GNU `tar -czf`, `tar | pigz`, `sha256sum` — and the peak RSS
 * of a large multipart upload. Prints a table of figures and ratios and writes
 * .bench/results.json. Not part of the test suite (no timing assertions anywhere).
 *
 * Environment: BENCH_MIB (corpus size, default 500), BENCH_UPLOAD_MIB (upload test size,
 * default 2048), BENCH_DIR (work directory, default .bench).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeCorpus } from './make-corpus.js';

const root = resolve(process.env.BENCH_DIR ?? '.bench');
const corpusMiB = Number(process.env.BENCH_MIB ?? 500);
const uploadMiB = Number(process.env.BENCH_UPLOAD_MIB ?? 2048);
const bin = resolve('bin/backup');
const MiB = 1024 * 1024;

interface Timed {
  seconds: number;
  maxRssMiB: number;
}

/** Runs a shell command under GNU time; returns wall seconds and peak RSS. */
function timed(cmd: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'bash', '-c', cmd], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number(last[0]), maxRssMiB: Number(last[1]) / 1024 };
}

function have(tool: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

const rows: Array<{ what: string; seconds?: number; mibPerS?: number; bytes?: number; rssMiB?: number; note?: string }> = [];
const row = (r: (typeof rows)[number]) => {
  rows.push(r);
  console.log(
    `${r.what.padEnd(46)} ${r.seconds !== undefined ? `${r.seconds.toFixed(2).padStart(7)} s` : ''.padStart(9)} ${r.mibPerS !== undefined ? `${r.mibPerS.toFixed(1).padStart(7)} MiB/s` : ''.padStart(13)} ${r.bytes !== undefined ? `${(r.bytes / MiB).toFixed(1).padStart(8)} MiB` : ''.padStart(12)} ${r.rssMiB !== undefined ? `${r.rssMiB.toFixed(0).padStart(5)} MiB RSS` : ''} ${r.note ?? ''}`,
  );
};

mkdirSync(root, { recursive: true });
const corpus = join(root, `corpus-${corpusMiB}`);
console.log(`corpus: ${corpusMiB} MiB mixed tree in ${corpus} (generated once, deterministic)`);
const c = makeCorpus(corpus, corpusMiB);
const dataMiB = c.bytes / MiB;
console.log(`corpus has ${c.files} files, ${dataMiB.toFixed(0)} MiB; ${execFileSync('nproc').toString().trim()} cores; node ${process.version}\n`);

// 1. full backup, local copies only
const work = join(root, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const config = join(work, 'backup.json');
writeFileSync(config, JSON.stringify({ data: corpus, set: 'bench', exclude: ['.corpus-complete'], stateDir: join(work, 'state') }));
const full = timed(`${bin} run --full --quiet --config ${config}`);
const ours = join(work, 'state', 'archives', readdirSync(join(work, 'state', 'archives'))[0]);
const oursSize = statSync(ours).size;
row({ what: 'backup run --full (local copy, level 6)', seconds: full.seconds, mibPerS: dataMiB / full.seconds, bytes: oursSize, rssMiB: full.maxRssMiB });

// 2. the alternatives on the same tree
const gnu = timed(`tar -czf ${work}/gnu.tgz -C ${corpus} --exclude=.corpus-complete .`);
const gnuSize = statSync(join(work, 'gnu.tgz')).size;
row({ what: 'GNU tar -czf (gzip -6, one core)', seconds: gnu.seconds, mibPerS: dataMiB / gnu.seconds, bytes: gnuSize, rssMiB: gnu.maxRssMiB, note: `backup is ${(gnu.seconds / full.seconds).toFixed(2)}x its speed` });
if (have('pigz')) {
  const pz = timed(`tar -cf - -C ${corpus} --exclude=.corpus-complete . | pigz -6 > ${work}/pigz.tgz`);
  row({ what: 'tar | pigz -6 (all cores)', seconds: pz.seconds, mibPerS: dataMiB / pz.seconds, bytes: statSync(join(work, 'pigz.tgz')).size, note: `backup is ${(pz.seconds / full.seconds).toFixed(2)}x its speed` });
} else {
  row({ what: 'tar | pigz -6', note: 'skipped: pigz not installed (apt-get install pigz)' });
}

// 3. block-gzip size overhead against gzip -6 of the same tar stream
execFileSync('bash', ['-c', `gzip -dc ${ours} > ${work}/ours.tar && gzip -6 -c ${work}/ours.tar > ${work}/ours-gzip6.tar.gz`]);
const g6 = statSync(join(work, 'ours-gzip6.tar.gz')).size;
row({ what: 'gzip -6 of the same tar stream (one member)', bytes: g6, note: `block-gzip overhead ${(((oursSize - g6) / g6) * 100).toFixed(2)}%` });
rmSync(join(work, 'ours.tar'));
rmSync(join(work, 'ours-gzip6.tar.gz'));

// 4. tree hash vs sha256sum on the same file
const th = timed(`node --import tsx -e "import('./src/treehash/tree-hash.ts').then(async ({ TreeHasher }) => { const h = new TreeHasher(); for await (const c of (await import('node:fs')).createReadStream('${ours}', { highWaterMark: 1 << 20 })) h.update(c); console.log(h.digest()); })"`);
const sh = timed(`sha256sum ${ours}`);
const archMiB = oursSize / MiB;
row({ what: 'SHA-256 tree hash of the archive (node)', seconds: th.seconds, mibPerS: archMiB / th.seconds, note: `incl. ~0.3 s node start-up` });
row({ what: 'sha256sum of the archive', seconds: sh.seconds, mibPerS: archMiB / sh.seconds, note: `tree hash is ${(sh.seconds / th.seconds).toFixed(2)}x its speed` });

// 5. restore vs tar -xzf
const r1 = join(work, 'restore');
const rs = timed(`${bin} restore --quiet --config ${config} --to ${r1}`);
row({ what: 'backup restore (latest, local copy)', seconds: rs.seconds, mibPerS: dataMiB / rs.seconds, rssMiB: rs.maxRssMiB });
const r2 = join(work, 'restore-gnu');
mkdirSync(r2);
const gx = timed(`tar -xzf ${work}/gnu.tgz -C ${r2}`);
row({ what: 'GNU tar -xzf', seconds: gx.seconds, mibPerS: dataMiB / gx.seconds, note: `backup is ${(gx.seconds / rs.seconds).toFixed(2)}x its speed` });
rmSync(r1, { recursive: true, force: true });
rmSync(r2, { recursive: true, force: true });

// 6. full backup with the pipelined upload into the embedded Glacier-compatible vault
const vconfig = join(work, 'backup-vault.json');
writeFileSync(vconfig, JSON.stringify({ data: corpus, set: 'bench', exclude: ['.corpus-complete'], stateDir: join(work, 'state-vault'), archive: { keepLocalCopy: false }, vault: { name: 'bench', endpoint: 'local', partSizeMiB: 32, concurrency: 4, uploadCatalog: false } }));
const fv = timed(`${bin} run --full --quiet --config ${vconfig}`);
row({ what: 'backup run --full + upload (embedded vault)', seconds: fv.seconds, mibPerS: dataMiB / fv.seconds, rssMiB: fv.maxRssMiB, note: `4 x 32 MiB parts in flight, written and sent at once` });

// 7. peak RSS of uploading a large archive: 4 x 32 MiB parts in flight
const big = join(work, 'big.bin');
if (!existsSync(big) || statSync(big).size !== uploadMiB * MiB) execFileSync('bash', ['-c', `head -c ${uploadMiB * MiB} /dev/urandom > ${big}`]);
const up = timed(`node --import tsx bench/upload-once.ts ${big} ${join(work, 'upload-vault')}`);
row({ what: `upload of a ${uploadMiB} MiB archive (4 x 32 MiB parts)`, seconds: up.seconds, mibPerS: uploadMiB / up.seconds, rssMiB: up.maxRssMiB, note: 'client and embedded server in one process' });
rmSync(big);
rmSync(join(work, 'upload-vault'), { recursive: true, force: true });

// 8. memory against tree size: many small files, full then an incremental with 1% changed
const manyFiles = Number(process.env.BENCH_FILES ?? 100_000);
const many = join(root, `many-${manyFiles}`);
if (!existsSync(join(many, '.complete'))) {
  rmSync(many, { recursive: true, force: true });
  for (let i = 0; i < manyFiles; i++) {
    const d = join(many, `d${i % 100}`, `e${Math.floor(i / 100) % 50}`);
    if (i < 5000) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.txt`), `file ${i}\n`);
  }
  writeFileSync(join(many, '.complete'), '');
}
const mconfig = join(work, 'backup-many.json');
writeFileSync(mconfig, JSON.stringify({ data: many, set: 'many', exclude: ['.complete'], stateDir: join(work, 'state-many') }));
const mf = timed(`${bin} run --full --quiet --config ${mconfig}`);
row({ what: `backup run --full, ${manyFiles.toLocaleString('en-US')} small files`, seconds: mf.seconds, rssMiB: mf.maxRssMiB, note: `${((mf.maxRssMiB * MiB) / manyFiles).toFixed(0)} B of peak RSS per file` });
for (let i = 0; i < manyFiles; i += 100) writeFileSync(join(many, `d${i % 100}`, `e${Math.floor(i / 100) % 50}`, `f${i}.txt`), `changed ${i}\n`);
const mi = timed(`${bin} run --quiet --config ${mconfig}`);
row({ what: `backup run (incremental, 1% changed)`, seconds: mi.seconds, rssMiB: mi.maxRssMiB });
const mt = timed(`tar -czf ${work}/many.tgz -C ${many} .`);
row({ what: `GNU tar -czf of the same small files`, seconds: mt.seconds, rssMiB: mt.maxRssMiB, note: `backup full is ${(mt.seconds / mf.seconds).toFixed(2)}x its speed` });

writeFileSync(join(root, 'results.json'), JSON.stringify({ date: new Date().toISOString(), corpusMiB: dataMiB, files: c.files, rows }, null, 2));
console.log(`\nresults written to ${join(root, 'results.json')}`);
