/** `backup list`: the chains and archives in the catalog. */
import type { Command } from 'commander';
import { listArchives, type ArchiveRecord } from '../../catalog/archive-store.js';
import { withContext } from '../command-context.js';
import { say, sayJson, table } from '../output.js';
import { jsonTime, jsonTimeOrNull } from '../json-values.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup list`. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the chains and archives in the catalog')
    .addHelpText('after', '\nExample:\n  backup list --json')
    .action((_opts, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, (ctx) => {
        const archives = listArchives(ctx.db);
        if (ctx.flags.json) return sayJson({ set: ctx.config.set, archives: archives.map(publicArchive) });
        if (archives.length === 0) return say('no archives yet; run "backup run"');
        const rows = archives.map((a) => [
          String(a.seq),
          a.level === 0 ? 'full' : `inc L${a.level}`,
          a.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          String(a.fileCount),
          formatBytes(a.size),
          where(a),
        ]);
        say(table(['seq', 'level', 'created', 'files', 'size', 'stored'], rows));
      }),
    );
}

/** An archive as shown to users and scripts. */
export function publicArchive(a: ArchiveRecord) {
  return {
    seq: a.seq,
    level: a.level,
    parentSeq: a.parentSeq,
    chainSeq: a.chainSeq,
    chainId: a.chainId,
    createdAt: jsonTime(a.createdAt),
    fileName: a.fileName,
    files: a.fileCount,
    size: a.size,
    treeHash: a.treeHash,
    localPath: a.localPath,
    uploadState: a.uploadState,
    archiveId: a.archiveId,
    uploadedAt: jsonTimeOrNull(a.uploadedAt),
    storageClass: a.storageClass,
  };
}

function where(a: ArchiveRecord): string {
  const parts: string[] = [];
  if (a.uploadState === 'uploaded') parts.push(a.storageClass ? `S3 ${a.storageClass}` : 'vault');
  if (a.uploadState === 'pending') parts.push('upload pending');
  if (a.uploadState === 'deleted') parts.push('deleted');
  if (a.localPath) parts.push('local');
  return parts.join(', ') || '-';
}
