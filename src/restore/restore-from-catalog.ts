/**
 * Restores a point in time using the catalog: fold the chain into the tree at that point,
 * choose the entries (all, or --path globs), work out which gzip blocks of which archives
 * hold them, make those bytes available (local copies or Glacier retrievals), then write
 * each file once, from the archive that holds its version at that point. Encrypted
 * archives are opened with the identity first (before any retrieval or write), and their
 * ranges are the age chunks holding those gzip blocks.
 */
import type { Db } from '../catalog/open-catalog.js';
import { archiveBlocks, archiveMember, type ArchiveRecord } from '../catalog/archive-store.js';
import type { GzipBlock } from '../archive/gzip-block.js';
import { BackupError, throwIfAborted } from '../errors.js';
import { chainAt, foldChain } from './load-tree.js';
import type { RestorePoint } from './plan-chain.js';
import { blockIndexFor, gzEndFor, memberExtents, rangeBytes, retrievalRanges } from './plan-byte-ranges.js';
import { selectNodes } from './select-paths.js';
import type { TreeNode } from './tree-at.js';
import { compareUtf8 } from '../scan/compare-utf8.js';
import type { Backend } from '../storage/backend.js';
import { isSpecialType } from '../scan/tree-entry.js';
import { closeSources, discardDownloads, localCopyOf, prepareSources, type ArchiveNeed, type Tier } from './archive-sources.js';
import { checkCopiesAhead, type CopyChecks, type CopyToCheck } from './verify-blocks.js';
import { startSpan, type Span } from './extract-span.js';
import { prepareTarget } from './prepare-target.js';
import { RestoreTarget, type RestoreTargetOptions } from '../archive/restore-target.js';
import { extractArchive } from '../archive/extract-archive.js';
import { GzipInflater } from '../archive/gzip-inflater.js';
import { agePrefixOf } from '../catalog/encryption-store.js';
import { decryptingSource, decryptWhole, openSealedArchive, type IdentitySource, type SealedArchive } from './decrypting-source.js';

/** What to restore and how. */
export interface CatalogRestoreRequest {
  to: string;
  point: RestorePoint;
  filter?: (path: string) => boolean;
  force: boolean;
  tier: Tier;
  wait: boolean;
}

/** What a restore did. */
export interface CatalogRestoreResult {
  seq: number;
  createdAt: string;
  archivesUsed: number;
  files: number;
  dirs: number;
  symlinks: number;
  /** Hard links, FIFOs and device nodes made. */
  others: number;
  /** Members left out with the reason, one line each (device nodes when not restoring as root). */
  warnings: string[];
  bytes: number;
  retrievedBytes: number;
  chainBytes: number;
  jobsStarted: number;
}

/** Restores from the catalog into `req.to`. Throws RETRIEVAL_PENDING while retrievals are running (without --wait). */
export async function restoreFromCatalog(
  deps: { db: Db; stateDir: string; backend?: () => Promise<Backend>; signal: AbortSignal; log: (line: string) => void; identity?: IdentitySource },
  req: CatalogRestoreRequest,
): Promise<CatalogRestoreResult> {
  const targetOpts = await prepareTarget(req.to, req.force);
  const { target, chain } = chainAt(deps.db, req.point);
  // restoring everything reads each needed local copy whole: their check starts now, on a
  // thread of its own, while this one loads the tree and plans
  const ahead = req.filter ? undefined : await checkCopiesAhead(wholeCopies(deps.db, chain));
  try {
    if (chain.some((a) => a.fileCount < 0)) return await restoreWholeChain(deps, req, targetOpts, target, chain, ahead);
    return await restoreTree(deps, req, targetOpts, target, chain, ahead);
  } finally {
    await ahead?.close();
  }
}

/** The local copies of the chain's archives that are checked against their block hashes (not the encrypted ones). */
function wholeCopies(db: Db, chain: readonly ArchiveRecord[]): CopyToCheck[] {
  return chain.flatMap((a) => {
    const path = localCopyOf(a);
    if (!path || a.fileName.endsWith('.age') || agePrefixOf(db, a.seq)) return [];
    return [{ seq: a.seq, path, size: a.size, blocks: archiveBlocks(db, a.seq) }];
  });
}

/** Restores the chain's tree at its target, each file from the archive that holds its version. */
async function restoreTree(
  deps: Parameters<typeof restoreFromCatalog>[0],
  req: CatalogRestoreRequest,
  targetOpts: RestoreTargetOptions,
  target: ArchiveRecord,
  chain: ArchiveRecord[],
  ahead: CopyChecks | undefined,
): Promise<CatalogRestoreResult> {
  const { db, signal } = deps;
  const { tree, offsets } = foldChain(db, chain);
  const nodes = selectNodes(tree, req.filter).sort((a, b) => compareUtf8(a.path, b.path));
  if (req.filter && nodes.length === 0) throw new BackupError('NOT_FOUND', `nothing at archive ${target.seq} (${target.createdAt}) matches --path; check it with "backup ls --seq ${target.seq}"`);

  const { files, links } = planHardLinks(db, tree, nodes);
  const bySeq = new Map<number, TreeNode[]>();
  for (const f of files) {
    const list = bySeq.get(f.seq);
    if (list) list.push(f);
    else bySeq.set(f.seq, [f]);
  }
  const archives = new Map(chain.map((a) => [a.seq, a]));
  const sealed = openSealed(db, [...bySeq.keys()].map((seq) => archives.get(seq)!), deps.identity);
  const plans = [...bySeq].map(([seq, wanted]) => planArchiveSpans(archives.get(seq)!, archiveBlocks(db, seq), offsets.get(seq)!, wanted, !!req.filter, sealed.get(seq)));
  const chainBytes = chain.reduce((n, a) => n + a.size, 0);
  const needBytes = plans.reduce((n, p) => n + (p.need.ranges ? rangeBytes(p.need.ranges) : p.need.archive.size), 0);
  deps.log(`restoring archive ${target.seq} (${target.createdAt}): ${files.length} files from ${plans.length} of the chain's ${chain.length} archives; ${needBytes} of ${chainBytes} compressed bytes needed`);

  const prepared = await prepareSources(deps, plans.map((p) => p.need), { tier: req.tier, wait: req.wait, ahead });
  await ahead?.close();
  for (const [seq, sa] of sealed) prepared.sources.set(seq, decryptingSource(prepared.sources.get(seq)!, archives.get(seq)!, sa));

  const out = new RestoreTarget(req.to, targetOpts);
  // one set of zlib contexts and output buffers for all the spans
  const inflater = new GzipInflater();
  let dirs = 0;
  let symlinks = 0;
  let others = 0;
  let written = 0;
  let bytes = 0;
  try {
    throwIfAborted(signal);
    for (const n of nodes) {
      if (n.type === 'dir') {
        await out.ensureDir(n.path);
        dirs++;
      }
    }
    for (const n of nodes) {
      if (n.type === 'symlink') {
        await out.writeSymlinkEntry(n.path, n.linkTarget ?? '', n);
        symlinks++;
      } else if (isSpecialType(n.type)) {
        const skippedBefore = out.skipped.length;
        await out.writeSpecialEntry(n.path, n.type, { major: n.devMajor ?? 0, minor: n.devMinor ?? 0 }, n);
        if (out.skipped.length === skippedBefore) others++;
      }
    }
    const jobs = plans.flatMap((p) => p.spans.map((span) => ({ source: prepared.sources.get(p.need.archive.seq)!, span })));
    const start = (i: number) => {
      if (i >= jobs.length) return undefined;
      const { source, span } = jobs[i];
      return startSpan(source.read({ start: span.gzStart, end: span.gzEnd }), span, { release: source.release, inflater });
    };
    let next = start(0);
    try {
      for (let i = 0; next; i++) {
        throwIfAborted(signal);
        const cur = next;
        // the next span starts inflating while this one is written
        next = start(i + 1);
        try {
          written += await cur.writeAll(async (node, m) => {
            await out.writeFileEntry(node.path, m.body, node, signal, m.sparse, m.xattrs);
            bytes += node.size;
          }, signal);
        } finally {
          await cur.close();
        }
      }
    } finally {
      await next?.close();
    }
    for (const l of links) {
      await out.writeHardLink(l.path, l.to);
      others++;
    }
    await out.setDirTimes(nodes.filter((n) => n.type === 'dir'));
  } finally {
    out.close();
    inflater.close();
    await closeSources(prepared);
  }
  await discardDownloads(db, prepared);
  return {
    seq: target.seq,
    createdAt: target.createdAt,
    archivesUsed: plans.length,
    files: written,
    dirs,
    symlinks,
    others,
    warnings: out.skipped,
    bytes,
    retrievedBytes: prepared.retrievedBytes,
    chainBytes,
    jobsStarted: prepared.jobsStarted,
  };
}

/**
 * Which nodes get content and which become hard links. A hard link node (a member naming
 * the file of the same archive that holds the content) links to that file when it is
 * restored too, from that archive; otherwise the first such name in the group gets the
 * content (read from the target's member) and the group's other names link to it. So a
 * --path restore of one name of a linked file still gets its content.
 */
export function planHardLinks(db: Db, tree: ReadonlyMap<string, TreeNode>, nodes: readonly TreeNode[]): { files: TreeNode[]; links: Array<{ path: string; to: string }> } {
  const selected = new Set(nodes.map((n) => n.path));
  const files: TreeNode[] = [];
  const links: Array<{ path: string; to: string }> = [];
  const holders = new Map<string, string>();
  for (const n of nodes) {
    if (n.type === 'file') files.push(n);
    if (n.type !== 'hardlink') continue;
    const to = n.linkTarget ?? '';
    const t = tree.get(to);
    if (t && t.type === 'file' && t.seq === n.seq && selected.has(to)) {
      links.push({ path: n.path, to });
      continue;
    }
    const key = `${n.seq}\0${to}`;
    const holder = holders.get(key);
    if (holder !== undefined) {
      links.push({ path: n.path, to: holder });
      continue;
    }
    const content = archiveMember(db, n.seq, to);
    if (!content || content.type !== 'file') {
      throw new BackupError('CATALOG', `the catalog lists ${n.path} as a hard link to ${to} in archive ${n.seq}, which holds no such file; run "backup catalog rebuild"`);
    }
    holders.set(key, n.path);
    files.push({ ...n, type: 'file', size: content.size, tarOffset: content.tarOffset });
  }
  return { files, links };
}

/** The spans of gzip blocks to read from one archive, and the ranges to retrieve when it is not local. */
export function planArchiveSpans(archive: ArchiveRecord, blocks: readonly GzipBlock[], offsets: readonly number[], wanted: TreeNode[], partial: boolean, sealed?: SealedArchive): { need: ArchiveNeed; spans: Span[] } {
  // compressed bytes: the stored file, or for an encrypted archive the .tar.gz inside it
  const gzSize = sealed ? sealed.layout.plainSize : archive.size;
  const extents = new Map(memberExtents(offsets, archive.rawSize).map((e) => [e.start, e]));
  const sorted = [...wanted].sort((a, b) => a.tarOffset - b.tarOffset);
  const spans: Span[] = [];
  let lastBlock = -2;
  for (const m of sorted) {
    const e = extents.get(m.tarOffset)!;
    const first = blockIndexFor(blocks, e.start);
    const last = blockIndexFor(blocks, e.end);
    const cur = spans[spans.length - 1];
    if (cur && first <= lastBlock + 1) {
      cur.members.push(m);
      if (last > lastBlock) {
        cur.gzEnd = last + 1 < blocks.length ? blocks[last + 1].gzOffset - 1 : gzSize - 1;
        lastBlock = last;
      }
    } else {
      spans.push({
        gzStart: blocks[first].gzOffset,
        gzEnd: last + 1 < blocks.length ? blocks[last + 1].gzOffset - 1 : gzSize - 1,
        rawStart: blocks[first].rawOffset,
        members: [m],
        memberLengths: [],
      });
      lastBlock = last;
    }
  }
  // an encrypted archive's chunks authenticate themselves: a span need not run to the end of its last block
  const cut = !!sealed && partial;
  for (const span of spans) {
    if (cut) {
      const lastMember = span.members[span.members.length - 1];
      const end = gzEndFor(blocks, gzSize, extents.get(lastMember.tarOffset)!.end, true);
      if (end < span.gzEnd) {
        span.gzEnd = end;
        span.lastIsCut = true;
      }
    }
    span.memberLengths = memberLengthsWithin(blocks, span);
  }
  const ranges = partial ? retrievalRanges(blocks, gzSize, sorted.map((m) => extents.get(m.tarOffset)!), sealed?.layout) : null;
  // retrieving nearly all of an archive by ranges costs more requests for nothing
  const whole = !ranges || rangeBytes(ranges) > archive.size * 0.9;
  // an encrypted archive's block hashes are of the .tar.gz inside it; its chunks authenticate themselves as they are decrypted
  return { need: { archive, ranges: whole ? null : ranges, blocks: sealed ? undefined : blocks }, spans };
}

/** Compressed lengths of the gzip blocks a span covers but its last (which runs to the span's end). */
function memberLengthsWithin(blocks: readonly GzipBlock[], span: Span): number[] {
  const lengths: number[] = [];
  for (let i = blockIndexForGz(blocks, span.gzStart); i + 1 < blocks.length && blocks[i + 1].gzOffset <= span.gzEnd; i++) {
    lengths.push(blocks[i + 1].gzOffset - blocks[i].gzOffset);
  }
  return lengths;
}

/** Index of the block that starts at compressed offset `gz` (blocks sorted by gzOffset). */
function blockIndexForGz(blocks: readonly GzipBlock[], gz: number): number {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].gzOffset <= gz) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Restores a chain whose members the catalog does not know (rebuilt from archive
 * descriptions): every archive is read whole and extracted in order with GNU tar's
 * incremental semantics.
 */
async function restoreWholeChain(
  deps: Parameters<typeof restoreFromCatalog>[0],
  req: CatalogRestoreRequest,
  targetOpts: RestoreTargetOptions,
  target: ArchiveRecord,
  chain: ArchiveRecord[],
  ahead: CopyChecks | undefined,
): Promise<CatalogRestoreResult> {
  const chainBytes = chain.reduce((n, a) => n + a.size, 0);
  deps.log(`restoring archive ${target.seq} (${target.createdAt}) from its whole chain of ${chain.length} archives (${chainBytes} bytes): the catalog does not list their members`);
  // archives the catalog knows the age prefix of are opened now; others (rebuilt from descriptions) as they are read
  const sealed = openSealed(deps.db, chain, deps.identity);
  const prepared = await prepareSources(deps, chain.map((archive) => ({ archive, ranges: null, blocks: sealed.has(archive.seq) ? undefined : archiveBlocks(deps.db, archive.seq) })), { tier: req.tier, wait: req.wait, ahead });
  await ahead?.close();
  const total = { files: 0, dirs: 0, symlinks: 0, others: 0 };
  const out = new RestoreTarget(req.to, targetOpts);
  try {
    for (const a of chain) {
      throwIfAborted(deps.signal);
      const stored = prepared.sources.get(a.seq)!;
      const sa = sealed.get(a.seq);
      const input = sa
        ? decryptingSource(stored, a, sa).read({ start: 0, end: sa.layout.plainSize - 1 })
        : a.fileName.endsWith('.age')
          ? decryptWhole(stored.read({ start: 0, end: a.size - 1 }), a, deps.identity)
          : stored.read({ start: 0, end: a.size - 1 });
      const r = await extractArchive(input, out, { filter: req.filter, signal: deps.signal });
      total.files += r.files;
      total.dirs = r.dirs;
      total.symlinks = r.symlinks;
      total.others += r.others;
    }
  } finally {
    out.close();
    await closeSources(prepared);
  }
  await discardDownloads(deps.db, prepared);
  return { seq: target.seq, createdAt: target.createdAt, archivesUsed: chain.length, ...total, warnings: out.skipped, bytes: 0, retrievedBytes: prepared.retrievedBytes, chainBytes, jobsStarted: prepared.jobsStarted };
}

/** Opens every encrypted archive among `archives` whose age prefix the catalog holds (throws IDENTITY when the identity does not fit). */
function openSealed(db: Db, archives: readonly ArchiveRecord[], identity: IdentitySource | undefined): Map<number, SealedArchive> {
  const out = new Map<number, SealedArchive>();
  for (const a of archives) {
    const prefix = agePrefixOf(db, a.seq);
    if (prefix) out.set(a.seq, openSealedArchive(a, prefix, identity));
  }
  return out;
}
