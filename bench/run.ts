/**
 * `npm run bench`: every ratio issue 10 sets, each `backup` run timed against the named
 * tool on the same data in the same run, with the peak RSS of every `backup` run. Prints
 * one table (markdown) and writes it with the raw figures to .bench/results.md and
 * .bench/results.json. Not part of the test suite: no timing assertion lives anywhere else.
 *
 * Corpora are generated once from fixed seeds (bench/make-corpus.ts) under BENCH_DIR
 * (default .bench) and reused. Sizes (environment, defaults are the issue's):
 * BENCH_PHOTO_MIB 240, BENCH_TEXT_MIB 220, BENCH_SMALL_FILES 200000, BENCH_TREE_FILES
 * 1000000, BENCH_CHAIN_FILES 3000 (30 archives), BENCH_UPLOAD=0 to leave out the vault rows;
 * BENCH_SECTIONS (comma-separated, default photos, text, small, tree, chain); two more on
 * request, for the S3 backend against the vault on the bundled server run standalone (a
 * separate process, job and restore delays zero): `upload` (a full backup of
 * BENCH_UPLOAD_MIB 2048 of photo-like data uploaded with 4 parts of 16 MiB in flight, S3
 * against the vault: throughput and peak RSS of `backup`) and `recovery` (state directory
 * deleted, catalog rebuilt from storage, latest point of a BENCH_CHAIN_FILES tree with 4
 * incrementals restored: wall time, S3 against the vault).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { makeChainTree, makePhotos, makeSmallFiles, makeText, mutateChain, type Corpus } from './make-corpus.js';

const root = resolve(process.env.BENCH_DIR ?? '.bench');
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const photoMiB = num('BENCH_PHOTO_MIB', 240);
const textMiB = num('BENCH_TEXT_MIB', 220);
const smallFiles = num('BENCH_SMALL_FILES', 200_000);
const treeFiles = num('BENCH_TREE_FILES', 1_000_000);
const chainFiles = num('BENCH_CHAIN_FILES', 3000);
const uploadMiB = num('BENCH_UPLOAD_MIB', 2048);
const withUpload = process.env.BENCH_UPLOAD !== '0';
const sections = new Set((process.env.BENCH_SECTIONS ?? 'photos,text,small,tree,chain').split(','));
const bin = resolve('bin/backup');
const MiB = 1024 * 1024;
const started = Date.now();

interface Timed {
  seconds: number;
  rssMiB: number;
}

/** Runs a shell command under GNU time: wall seconds and peak RSS (of the largest process). */
function timed(cmd: string): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'bash', '-c', cmd], { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number(last[0]), rssMiB: Number(last[1]) / 1024 };
}

function sh(cmd: string): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 64 * MiB }).trim();
}

/**
 * Reads every file under `dir` once, so that the pair timed next starts from the same page
 * cache: otherwise whichever runs first pays for reading from disk what an earlier section
 * pushed out of memory (photos took 1.50 s instead of 1.07 s that way, its tar | pigz run
 * after it reading from memory). Through a pipe: GNU tar reads nothing when it writes to
 * /dev/null itself.
 */
function warm(dir: string): void {
  sh(`tar -cf - -C ${dir} . | cat > /dev/null`);
}

/** One line of the table: a `backup` run against a named tool, or a figure against a bound. */
interface Row {
  work: string;
  backup?: Timed;
  against?: string;
  other?: number;
  /** backup's figure over the tool's (time ratio, or the figure itself when there is no tool). */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}
const rows: Row[] = [];

function compare(work: string, backup: Timed, against: string, other: Timed, bound: number | null, note?: string): void {
  const ratio = backup.seconds / other.seconds;
  const row: Row = { work, backup, against, other: other.seconds, ratio, note };
  if (bound !== null) {
    row.target = `≤ ${bound.toFixed(1)}×`;
    row.met = ratio <= bound;
  }
  rows.push(row);
  console.log(`${work}: backup ${backup.seconds.toFixed(2)} s (${backup.rssMiB.toFixed(0)} MiB RSS), ${against} ${other.seconds.toFixed(2)} s → ${ratio.toFixed(2)}×${note ? `; ${note}` : ''}`);
}

function figure(work: string, value: string, target: string, met: boolean, backup?: Timed, note?: string): void {
  rows.push({ work, backup, target, met, note: note ? `${value}; ${note}` : value });
  console.log(`${work}: ${value}${note ? `; ${note}` : ''}`);
}

/** A config for backing up `data` into a fresh state directory. */
function config(name: string, data: string, extra: Record<string, unknown> = {}): { path: string; state: string } {
  const state = join(work, `state-${name}`);
  rmSync(state, { recursive: true, force: true });
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify({ data, set: name, exclude: ['.corpus-complete'], stateDir: state, ...extra }));
  return { path, state };
}

const archivesOf = (state: string) =>
  readdirSync(join(state, 'archives'))
    .filter((f) => f.endsWith('.tar.gz'))
    .sort()
    .map((f) => join(state, 'archives', f));

mkdirSync(root, { recursive: true });
const work = join(root, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}, ${sh('tar --version | head -1')}, pigz ${sh('pigz --version 2>&1')}`;
console.log(`machine: ${machine}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

// 1. photo-like data: stored blocks against tar | pigz -p2
if (sections.has('photos')) {
  const photos: Corpus = makePhotos(join(root, `photos-${photoMiB}`), photoMiB);
  const c = config('photos', photos.dir);
  warm(photos.dir);
  const b = timed(`${bin} run --full --quiet --config ${c.path}`);
  const p = timed(`tar -cf - -C ${photos.dir} --exclude=.corpus-complete . | pigz -p2 -6 > ${work}/photos.tgz`);
  const ours = statSync(archivesOf(c.state)[0]).size;
  compare(`full backup, ${(photos.bytes / MiB).toFixed(0)} MiB photo-like (${photos.files} files)`, b, 'tar | pigz -p2', p, 0.5, `size ${(ours / MiB).toFixed(1)} MiB vs pigz ${(statSync(`${work}/photos.tgz`).size / MiB).toFixed(1)} MiB`);
  rmSync(c.state, { recursive: true, force: true });
  rmSync(`${work}/photos.tgz`);
}

// 2. text: deflate on both cores against tar | pigz -p2, size against gzip -6; then restore against tar -xzf
if (sections.has('text')) {
  const text: Corpus = makeText(join(root, `text-${textMiB}`), textMiB);
  const c = config('text', text.dir);
  warm(text.dir);
  const b = timed(`${bin} run --full --quiet --config ${c.path}`);
  const p = timed(`tar -cf - -C ${text.dir} --exclude=.corpus-complete . | pigz -p2 -6 > ${work}/text.tgz`);
  const archive = archivesOf(c.state)[0];
  const ours = statSync(archive).size;
  compare(`full backup, ${(text.bytes / MiB).toFixed(0)} MiB text (${text.files} files)`, b, 'tar | pigz -p2', p, 1.0);

  // the same full backup encrypted with age (streaming ChaCha20-Poly1305 under the gzip blocks)
  const recipient = sh(`${bin} key generate --quiet --out ${work}/age.key`);
  const ce = config('text-age', text.dir, { encryption: { recipients: [recipient], identityFile: `${work}/age.key` } });
  const e = timed(`${bin} run --full --quiet --config ${ce.path}`);
  compare('full backup of that text, encrypted with age', e, 'the same without encryption', b, 1.1);
  rmSync(ce.state, { recursive: true, force: true });
  rmSync(`${work}/age.key`);
  const g6 = Number(sh(`gzip -dc ${archive} | gzip -6 | wc -c`));
  const over = (ours - g6) / g6;
  figure('text archive size against gzip -6 of the same tar', `${(over * 100).toFixed(2)}% (${ours} vs ${g6} bytes)`, 'at most 1% larger', over <= 0.01);

  const to = join(work, 'restore-text');
  const r = timed(`${bin} restore --quiet --config ${c.path} --to ${to}`);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to);
  const x = timed(`tar -xzf ${archive} -C ${to}`);
  rmSync(to, { recursive: true, force: true });
  compare('restore of that text archive from its local copy', r, 'tar -xzf (same archive)', x, 1.0);

  // the tree hash and the pipelined upload: these must not get slower
  // dist/ is a bundle with no file of its own for the tree hash: bundled here alone, as compiled as the CLI's
  sh(`node_modules/.bin/esbuild src/treehash/tree-hash.ts --bundle --platform=node --format=esm --log-level=warning --outfile=${work}/tree-hash.mjs`);
  const th = timed(`node -e "import('${work}/tree-hash.mjs').then(async ({ TreeHasher }) => { const h = new TreeHasher(); for await (const c of (await import('node:fs')).createReadStream('${archive}', { highWaterMark: 1 << 20 })) h.update(c); console.log(h.digest()); })"`);
  rmSync(`${work}/tree-hash.mjs`);
  const s = timed(`sha256sum ${archive}`);
  compare('SHA-256 tree hash of that archive (node, incl. start-up)', th, 'sha256sum', s, null);
  if (withUpload) {
    const v = config('text-vault', text.dir, { archive: { keepLocalCopy: false }, vault: { name: 'bench', endpoint: 'local', uploadCatalog: false } });
    const bv = timed(`${bin} run --full --quiet --config ${v.path}`);
    compare('full backup of the text with the upload to the bundled vault', bv, 'the same without upload', b, null, 'write and upload overlap');
    rmSync(v.state, { recursive: true, force: true });
  }
  rmSync(c.state, { recursive: true, force: true });
  rmSync(`${work}/text.tgz`);
}

// 3. small files: full against tar -czf, incremental with nothing changed against tar --listed-incremental
if (sections.has('small')) {
  const small: Corpus = makeSmallFiles(join(root, `small-${smallFiles}`), smallFiles);
  const c = config('small', small.dir);
  warm(small.dir);
  const b = timed(`${bin} run --full --quiet --config ${c.path}`);
  const t = timed(`tar -czf ${work}/small.tgz -C ${small.dir} --exclude=.corpus-complete .`);
  compare(`full backup, ${small.files.toLocaleString('en-US')} small files`, b, 'tar -czf', t, 1.0);
  sh(`tar -czf ${work}/small0.tgz -g ${work}/small.snar -C ${small.dir} --exclude=.corpus-complete .`);
  const bi = timed(`${bin} run --quiet --config ${c.path}`);
  const ti = timed(`tar -czf ${work}/small1.tgz -g ${work}/small.snar -C ${small.dir} --exclude=.corpus-complete .`);
  compare(`incremental, nothing changed, ${small.files.toLocaleString('en-US')} files`, bi, 'tar -g (listed-incremental)', ti, 1.0);
  rmSync(c.state, { recursive: true, force: true });
  for (const f of ['small.tgz', 'small0.tgz', 'small1.tgz', 'small.snar']) rmSync(join(work, f));
}

// 4. a large tree: peak RSS of a full and of an incremental run, each timed against GNU tar on the same tree
if (sections.has('tree') && treeFiles > 0) {
  const tree: Corpus = makeSmallFiles(join(root, `tree-${treeFiles}`), treeFiles, 5);
  const c = config('tree', tree.dir);
  const n = tree.files.toLocaleString('en-US');
  warm(tree.dir);
  const b = timed(`${bin} run --full --quiet --config ${c.path}`);
  const t = timed(`tar -czf ${work}/tree.tgz -C ${tree.dir} --exclude=.corpus-complete .`);
  compare(`full backup, ${n} files`, b, 'tar -czf', t, null);
  figure(`peak RSS, full backup of ${n} files`, `${b.rssMiB.toFixed(0)} MiB`, '≤ 200 MiB', b.rssMiB <= 200, b);
  sh(`tar -czf ${work}/tree0.tgz -g ${work}/tree.snar -C ${tree.dir} --exclude=.corpus-complete .`);
  const bi = timed(`${bin} run --quiet --config ${c.path}`);
  const ti = timed(`tar -czf ${work}/tree1.tgz -g ${work}/tree.snar -C ${tree.dir} --exclude=.corpus-complete .`);
  compare(`incremental, nothing changed, ${n} files`, bi, 'tar -g (listed-incremental)', ti, null);
  figure(`peak RSS, incremental of ${n} files (nothing changed)`, `${bi.rssMiB.toFixed(0)} MiB`, '≤ 200 MiB', bi.rssMiB <= 200, bi);
  rmSync(c.state, { recursive: true, force: true });
  for (const f of ['tree.tgz', 'tree0.tgz', 'tree1.tgz', 'tree.snar']) rmSync(join(work, f));
}

// 5. a 30-step chain: restore of the latest point against GNU tar extracting the 30 archives in order
if (sections.has('chain')) {
  const base = makeChainTree(join(root, `chain-${chainFiles}`), chainFiles);
  const data = join(work, 'chain-data');
  cpSync(base.dir, data, { recursive: true });
  const c = config('chain', data, { archive: { fullEvery: 100 } });
  sh(`${bin} run --full --quiet --config ${c.path}`);
  for (let step = 1; step < 30; step++) {
    mutateChain(data, chainFiles, step);
    sh(`${bin} run --quiet --config ${c.path}`);
  }
  const archives = archivesOf(c.state);
  const chainBytes = archives.reduce((n, a) => n + statSync(a).size, 0);
  const to = join(work, 'restore-chain');
  const r = timed(`${bin} restore --quiet --config ${c.path} --to ${to}`);
  sh(`diff -r --exclude=.corpus-complete ${data} ${to}`);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to);
  const x = timed(archives.map((a) => `tar -G -xzf ${a} -C ${to}`).join(' && '));
  sh(`diff -r --exclude=.corpus-complete ${data} ${to}`);
  rmSync(to, { recursive: true, force: true });
  compare(`restore the latest of a ${archives.length}-archive chain (${(chainBytes / MiB).toFixed(0)} MiB compressed)`, r, 'tar -G -xzf of each in order', x, 0.5);
  rmSync(c.state, { recursive: true, force: true });

  // one file restored from the bundled vault, plain and encrypted: the bytes retrieved against the file's size
  if (withUpload) {
    const file = 'dir-7/file-7.txt';
    const size = statSync(join(data, file)).size;
    const key = join(work, 'chain-age.key');
    const recipient = sh(`${bin} key generate --quiet --out ${key}`);
    for (const encrypted of [false, true]) {
      const name = encrypted ? 'chain-vault-age' : 'chain-vault';
      const v = config(name, data, {
        archive: { keepLocalCopy: false },
        vault: { name, endpoint: 'local', uploadCatalog: false },
        ...(encrypted ? { encryption: { recipients: [recipient], identityFile: key } } : {}),
      });
      sh(`${bin} run --full --quiet --config ${v.path}`);
      const archive = JSON.parse(sh(`${bin} list --json --config ${v.path}`)) as { archives: Array<{ size: number }> };
      const out = join(work, `one-${name}`);
      const res = JSON.parse(sh(`${bin} restore --json --wait --config ${v.path} --to ${out} --path ${file}`)) as { retrievedBytes: number };
      sh(`cmp ${join(data, file)} ${join(out, file)}`);
      figure(
        `one-file restore from the bundled vault${encrypted ? ', encrypted' : ''} (a ${size.toLocaleString('en-US')}-byte file of a ${(archive.archives[0].size / MiB).toFixed(0)} MiB archive)`,
        `${res.retrievedBytes.toLocaleString('en-US')} bytes retrieved`,
        '≤ file + 2 MiB',
        res.retrievedBytes <= size + 2 * MiB,
      );
      rmSync(out, { recursive: true, force: true });
      rmSync(v.state, { recursive: true, force: true });
    }
    rmSync(key);
  }
  rmSync(data, { recursive: true, force: true });
}

/**
 * The bundled server as its own process (so `backup`'s peak RSS and CPU are its own, and the
 * state directory can be lost while the storage stays): its endpoint, with the credentials
 * it accepts put into this process's environment for the timed commands.
 */
async function standaloneServer(dir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const child = spawn(bin, ['glacier-local', 'serve', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const endpoint = await new Promise<string>((res, rej) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out);
      const creds = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(out);
      if (url && creds) {
        process.env.AWS_ACCESS_KEY_ID = creds[1];
        process.env.AWS_SECRET_ACCESS_KEY = creds[2];
        process.env.AWS_CONFIG_FILE = '/dev/null';
        process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
        res(url[1]);
      }
    });
    child.on('exit', (code) => rej(new Error(`glacier-local serve exited (${code}): ${out}`)));
  });
  return {
    endpoint,
    stop: () =>
      new Promise<void>((res) => {
        child.removeAllListeners('exit');
        child.on('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** The offsite part of a config for `kind` on the standalone server, uploads 4 parts of 16 MiB at a time. */
function offsite(kind: 's3' | 'vault', name: string, endpoint: string, uploadCatalog: boolean): Record<string, unknown> {
  const common = { endpoint, region: 'us-east-1', partSizeMiB: 16, concurrency: 4, uploadCatalog };
  if (kind === 'vault') return { vault: { name, ...common } };
  sh(`aws --endpoint-url ${endpoint} --region us-east-1 s3api create-bucket --bucket ${name} >/dev/null`);
  return { s3: { bucket: name, storageClass: 'DEEP_ARCHIVE', ...common } };
}

// 6. a 2 GiB archive uploaded to S3 and to the vault, 4 parts in flight: throughput and peak RSS
if (sections.has('upload')) {
  const photos: Corpus = makePhotos(join(root, `photos-${uploadMiB}`), uploadMiB);
  const server = await standaloneServer(join(work, 'server-upload'));
  try {
    const local = config('upload-local', photos.dir, { archive: { keepLocalCopy: true } });
    const l = timed(`${bin} run --full --quiet --config ${local.path}`);
    const size = statSync(archivesOf(local.state)[0]).size;
    rmSync(local.state, { recursive: true, force: true });
    const rate = (t: Timed) => `${(size / MiB / t.seconds).toFixed(0)} MiB/s`;
    const runs: Record<string, Timed> = {};
    for (const kind of ['vault', 's3'] as const) {
      const name = `bench-upload-${kind}`;
      const c = config(name, photos.dir, { archive: { keepLocalCopy: false }, ...offsite(kind, name, server.endpoint, false) });
      if (kind === 'vault') sh(`${bin} vault create --quiet --config ${c.path}`);
      runs[kind] = timed(`${bin} run --full --quiet --config ${c.path}`);
      rmSync(c.state, { recursive: true, force: true });
    }
    const what = `full backup of ${(size / MiB).toFixed(0)} MiB (photo-like, stored blocks) with its upload, 4 × 16 MiB parts in flight`;
    compare(`${what}: S3 (DEEP_ARCHIVE)`, runs.s3, 'the same to the vault', runs.vault, null, `S3 ${rate(runs.s3)}, ${runs.s3.rssMiB.toFixed(0)} MiB RSS; vault ${rate(runs.vault)}, ${runs.vault.rssMiB.toFixed(0)} MiB RSS; without upload ${rate(l)}, ${l.rssMiB.toFixed(0)} MiB RSS (write and upload overlap)`);
    rows.push({ work: `${what}: vault`, backup: runs.vault, note: rate(runs.vault) });
    rows.push({ work: 'the same full backup without upload (local copy only)', backup: l, note: rate(l) });
  } finally {
    await server.stop();
    rmSync(join(work, 'server-upload'), { recursive: true, force: true });
  }
}

// 7. disaster recovery: state directory lost, catalog rebuilt from storage, latest point restored
if (sections.has('recovery')) {
  const base = makeChainTree(join(root, `chain-${chainFiles}`), chainFiles);
  const data = join(work, 'recovery-data');
  cpSync(base.dir, data, { recursive: true });
  const server = await standaloneServer(join(work, 'server-recovery'));
  try {
    const times: Record<string, Timed> = {};
    for (const kind of ['vault', 's3'] as const) {
      const name = `bench-dr-${kind}`;
      const c = config(name, data, { archive: { keepLocalCopy: false, fullEvery: 100 }, ...offsite(kind, name, server.endpoint, true) });
      if (kind === 'vault') sh(`${bin} vault create --quiet --config ${c.path}`);
      sh(`${bin} run --full --quiet --config ${c.path}`);
      for (let step = 1; step <= 4; step++) {
        mutateChain(data, chainFiles, step);
        sh(`${bin} run --quiet --config ${c.path}`);
      }
      rmSync(c.state, { recursive: true, force: true });
      const to = join(work, `dr-${kind}`);
      // a vault first asks for its inventory (a job: hours on AWS, at once here); a bucket lists at once
      const steps = [
        ...(kind === 'vault' ? [`${bin} inventory request --quiet --config ${c.path}`] : []),
        `${bin} catalog rebuild --from-inventory --wait --quiet --config ${c.path}`,
        `${bin} restore --wait --quiet --config ${c.path} --to ${to}`,
      ];
      times[kind] = timed(steps.join(' && '));
      sh(`diff -r --exclude=.corpus-complete ${data} ${to}`);
      rmSync(to, { recursive: true, force: true });
      rmSync(c.state, { recursive: true, force: true });
      // the next backend starts from the same tree
      rmSync(data, { recursive: true, force: true });
      cpSync(base.dir, data, { recursive: true });
    }
    compare(`disaster recovery (state dir lost → catalog rebuild → restore of the latest of 5 archives, ${chainFiles} files): S3`, times.s3, 'the same from the vault', times.vault, null, 'job and restore delays zero: the figures are our work, not AWS waiting (hours for a vault inventory and for DEEP_ARCHIVE restores)');
  } finally {
    await server.stop();
    rmSync(join(work, 'server-recovery'), { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
}

const minutes = (Date.now() - started) / 60_000;
const cell = (t?: Timed) => (t ? `${t.seconds.toFixed(2)} s` : '');
const table = [
  '| work | `backup` | peak RSS | against | its time | ratio | target | met |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    [
      r.work,
      cell(r.backup),
      r.backup ? `${r.backup.rssMiB.toFixed(0)} MiB` : '',
      r.against ?? r.note ?? '',
      r.other !== undefined ? `${r.other.toFixed(2)} s` : '',
      r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'yes' : '**no**',
    ]
      // a '|' inside a cell (tar | pigz) would end the cell
      .map((c) => c.replaceAll('|', '\\|'))
      .join(' | ')
      .replace(/^/, '| ')
      .replace(/$/, ' |'),
  ),
].join('\n');
const notes = rows.filter((r) => r.against && r.note).map((r) => `- ${r.work}: ${r.note}`);
const out = `${table}\n\n${notes.join('\n')}\n\nMachine: ${machine}. Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}. The bench took ${minutes.toFixed(1)} min.\n`;
console.log(`\n${out}`);
writeFileSync(join(root, 'results.md'), out);
writeFileSync(join(root, 'results.json'), JSON.stringify({ date: new Date().toISOString(), machine, minutes, rows }, null, 2));
