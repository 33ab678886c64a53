/**
 * Job operations: InitiateJob (archive-retrieval, inventory-retrieval), DescribeJob,
 * ListJobs, GetJobOutput. A job completes a configured delay after initiation (see
 * job-timing.ts) and its output stays available for the output TTL afterwards.
 */
import { open } from 'node:fs/promises';
import type { OperationContext } from './operation-context.js';
import type { ArchiveRow, JobRow, JobStatus, VaultRow } from './glacier-store.js';
import { GlacierError, invalidParameter, missingParameter, notFound } from './glacier-error.js';
import { newJobId } from './glacier-ids.js';
import { checkDescription, checkVaultName, parseDecimal, parseListLimit, parseListMarker, parseRangeHeader, parseRetrievalByteRange } from './glacier-rules.js';
import { isoMillis, renderInventoryCsv, renderInventoryJson } from './inventory.js';
import { jobCompletionTime } from './job-timing.js';
import type { JobTimingKind } from './job-timing.js';
import { locationOf, requireVault, vaultArn } from './operation-context.js';
import { currentInventory } from './vault-inventory.js';
import { findArchive } from './archive-operations.js';
import { combineDigests, isTreeHashAligned, MiB } from '../treehash/tree-hash.js';

const tiers = new Set(['Expedited', 'Standard', 'Bulk']);

/** The JSON fields of InitiateJob's body this server reads. */
interface JobParameters {
  Type?: unknown;
  ArchiveId?: unknown;
  Description?: unknown;
  Format?: unknown;
  RetrievalByteRange?: unknown;
  SNSTopic?: unknown;
  Tier?: unknown;
  InventoryRetrievalParameters?: unknown;
  SelectParameters?: unknown;
  OutputLocation?: unknown;
}

/** POST /{account}/vaults/{name}/jobs with a JSON jobParameters body: 202 with Location and x-amz-job-id. */
export async function initiateJob(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const params = parseJobParameters(ctx.body);
  if (params.Type === undefined || params.Type === null || params.Type === '') throw missingParameter('Type');
  const description = checkDescription(optionalString(params.Description, 'Description'), 'job description');
  const snsTopic = optionalString(params.SNSTopic, 'SNSTopic') ?? null;
  if (params.SelectParameters !== undefined || params.OutputLocation !== undefined) {
    throw invalidParameter('SelectParameters and OutputLocation are only valid for select jobs, which this server does not support');
  }
  const jobId = newJobId();
  let job: JobRow;
  if (params.Type === 'archive-retrieval') job = await initiateArchiveRetrieval(ctx, vault, jobId, params, description, snsTopic);
  else if (params.Type === 'inventory-retrieval') job = await initiateInventoryRetrieval(ctx, vault, jobId, params, description, snsTopic);
  else if (params.Type === 'select') throw invalidParameter('Select jobs are not supported by this server');
  else throw invalidParameter(`Invalid job type: ${(typeof params.Type === 'string' ? params.Type : JSON.stringify(params.Type)).slice(0, 100)}. Valid types are archive-retrieval and inventory-retrieval`);
  ctx.reply(202, { Location: locationOf(ctx.config, vault.name, 'jobs', job.jobId), 'x-amz-job-id': job.jobId });
}

/** GET …/jobs/{id}: the job's description. */
export function describeJob(ctx: OperationContext): void {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  ctx.replyJson(200, describe(ctx, vault, findJob(ctx, vault)));
}

/** GET /{account}/vaults/{name}/jobs?completed=&statuscode=&marker=&limit=: jobs in creation order, 50 per page by default. */
export function listJobs(ctx: OperationContext): void {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const limit = parseListLimit(ctx.query.get('limit'), 50, 1000);
  let statuses: JobStatus[] = ['InProgress', 'Succeeded', 'Failed'];
  const completed = ctx.query.get('completed');
  if (completed !== null && completed !== '') {
    if (completed !== 'true' && completed !== 'false') throw invalidParameter(`The completed value is not valid: ${completed.slice(0, 100)}. Use true or false`);
    statuses = completed === 'true' ? ['Succeeded', 'Failed'] : ['InProgress'];
  }
  const statusCode = ctx.query.get('statuscode');
  if (statusCode !== null && statusCode !== '') {
    if (!['InProgress', 'Succeeded', 'Failed'].includes(statusCode)) throw invalidParameter(`The job status code is not valid: ${statusCode.slice(0, 100)}`);
    statuses = statuses.filter((s) => s === statusCode);
  }
  const fromRow = parseListMarker(ctx.query.get('marker'), (m) => ctx.store.jobRowOf(vault.id, m));
  const rows = statuses.length === 0 ? [] : ctx.store.listJobs(vault.id, fromRow, limit + 1, { statuses });
  ctx.replyJson(200, {
    JobList: rows.slice(0, limit).map((j) => describe(ctx, vault, j)),
    Marker: rows.length > limit ? rows[limit].jobId : null,
  });
}

/**
 * GET …/jobs/{id}/output, optionally with Range: 200 (or 206 with Content-Range
 * when a Range was asked). x-amz-sha256-tree-hash accompanies archive output when
 * both the job's range and the downloaded range are tree-hash aligned.
 */
export async function getJobOutput(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const job = findJob(ctx, vault);
  if (job.status !== 'Succeeded') {
    throw invalidParameter(
      job.status === 'InProgress' ? `The job is not currently available for download: ${job.jobId}` : `The job failed and has no output: ${job.jobId}`,
    );
  }
  const rangeHeader = ctx.header('range');
  if (job.action === 'InventoryRetrieval') {
    const size = job.outputSize ?? 0;
    const range = rangeHeader ? parseRangeHeader(rangeHeader, size) : { start: 0, end: size - 1 };
    const headers: Record<string, string> = { 'Content-Type': job.format === 'CSV' ? 'text/csv' : 'application/json', 'Accept-Ranges': 'bytes' };
    if (rangeHeader) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    const fh = await open(ctx.files.jobOutputPath(job.jobId), 'r');
    try {
      const stream = fh.createReadStream({ start: range.start, end: range.end, autoClose: false });
      await ctx.replyStream(rangeHeader ? 206 : 200, headers, stream, range.end - range.start + 1);
    } finally {
      await fh.close();
    }
    return;
  }

  const archive = ctx.store.getArchiveByRow(job.archiveRow!)!;
  const jobStart = job.rangeStart!;
  const size = job.rangeEnd! - jobStart + 1;
  const range = rangeHeader ? parseRangeHeader(rangeHeader, size) : { start: 0, end: size - 1 };
  const absStart = jobStart + range.start;
  const absEnd = jobStart + range.end;
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
  if (rangeHeader) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (archive.description !== null) headers['x-amz-archive-description'] = archive.description;
  if (job.rangeTreeHash !== null && isTreeHashAligned(absStart, absEnd, archive.size)) {
    headers['x-amz-sha256-tree-hash'] = range.start === 0 && range.end === size - 1 ? job.rangeTreeHash : await rangeTreeHash(ctx, archive, absStart, absEnd);
  }
  const chunks = ctx.store.chunks(archive);
  await ctx.replyStream(rangeHeader ? 206 : 200, headers, ctx.files.readRange(archive.archiveId, chunks, archive.chunkSize, absStart, absEnd), absEnd - absStart + 1);
}

async function initiateArchiveRetrieval(
  ctx: OperationContext,
  vault: VaultRow,
  jobId: string,
  params: JobParameters,
  description: string | null,
  snsTopic: string | null,
): Promise<JobRow> {
  const archiveId = optionalString(params.ArchiveId, 'ArchiveId');
  if (archiveId === undefined || archiveId === '') throw missingParameter('ArchiveId');
  if (params.Format !== undefined && params.Format !== null) throw invalidParameter('Format is only valid for inventory-retrieval jobs');
  if (params.InventoryRetrievalParameters !== undefined && params.InventoryRetrievalParameters !== null) {
    throw invalidParameter('InventoryRetrievalParameters is only valid for inventory-retrieval jobs');
  }
  const tier = optionalString(params.Tier, 'Tier') ?? 'Standard';
  if (!tiers.has(tier)) throw invalidParameter(`Invalid tier: ${tier.slice(0, 100)}. Valid tiers are Expedited, Standard and Bulk`);
  const archive = findArchive(ctx, vault, archiveId);
  const byteRange = optionalString(params.RetrievalByteRange, 'RetrievalByteRange');
  const range = byteRange ? parseRetrievalByteRange(byteRange, archive.size) : { start: 0, end: archive.size - 1 };
  let treeHash: string | null = null;
  if (archive.deletedAt === null && isTreeHashAligned(range.start, range.end, archive.size)) {
    treeHash = range.start === 0 && range.end === archive.size - 1 ? archive.treeHash : await rangeTreeHash(ctx, archive, range.start, range.end);
  }
  const completeAt = jobCompletionTime(ctx.now, tier as JobTimingKind, ctx.config.jobDelaysMs);
  return ctx.store.insertJob({
    jobId,
    vaultId: vault.id,
    action: 'ArchiveRetrieval',
    archiveRow: archive.id,
    description,
    tier,
    snsTopic,
    rangeStart: range.start,
    rangeEnd: range.end,
    rangeTreeHash: treeHash,
    format: null,
    inventoryParams: null,
    nextMarker: null,
    outputSize: range.end - range.start + 1,
    createdAt: ctx.now,
    completeAt,
    expiresAt: completeAt + ctx.config.jobOutputTtlMs,
  });
}

async function initiateInventoryRetrieval(
  ctx: OperationContext,
  vault: VaultRow,
  jobId: string,
  params: JobParameters,
  description: string | null,
  snsTopic: string | null,
): Promise<JobRow> {
  if (params.ArchiveId !== undefined && params.ArchiveId !== null) throw invalidParameter('ArchiveId is only valid for archive-retrieval jobs');
  if (params.RetrievalByteRange !== undefined && params.RetrievalByteRange !== null) throw invalidParameter('RetrievalByteRange is only valid for archive-retrieval jobs');
  const tier = optionalString(params.Tier, 'Tier') ?? null;
  if (tier !== null && !tiers.has(tier)) throw invalidParameter(`Invalid tier: ${tier.slice(0, 100)}. Valid tiers are Expedited, Standard and Bulk`);
  const format = optionalString(params.Format, 'Format') ?? 'JSON';
  if (format !== 'JSON' && format !== 'CSV') throw invalidParameter(`Invalid format: ${format.slice(0, 100)}. Valid formats are JSON and CSV`);
  const filter = parseInventoryParameters(params.InventoryRetrievalParameters);

  const inventory = currentInventory(ctx.store, vault, ctx.now, ctx.config.inventoryRefreshMs);
  if (!inventory) {
    throw notFound(`Inventory not found for vault ARN: ${vaultArn(ctx.config, vault.name)}. A vault has an inventory once archives were added and the inventory was refreshed`);
  }
  let items = ctx.store.archivesAsOf(vault.id, inventory.at, filter.startMs, filter.endMs);
  if (filter.Marker !== undefined) {
    const at = items.findIndex((a) => a.archiveId === filter.Marker);
    if (at < 0) throw invalidParameter(`Invalid marker: ${filter.Marker.slice(0, 300)}`);
    items = items.slice(at);
  }
  let nextMarker: string | null = null;
  if (filter.limit !== undefined && items.length > filter.limit) {
    nextMarker = items[filter.limit].archiveId;
    items = items.slice(0, filter.limit);
  }
  const list = items.map((a) => ({ archiveId: a.archiveId, description: a.description, createdAt: a.createdAt, size: a.size, treeHash: a.treeHash }));
  const content = format === 'CSV' ? renderInventoryCsv(list) : renderInventoryJson(vaultArn(ctx.config, vault.name), inventory.date, list);
  await ctx.files.writeJobOutput(jobId, content);
  const completeAt = jobCompletionTime(ctx.now, 'Inventory', ctx.config.jobDelaysMs);
  return ctx.store.insertJob({
    jobId,
    vaultId: vault.id,
    action: 'InventoryRetrieval',
    archiveRow: null,
    description,
    tier,
    snsTopic,
    rangeStart: null,
    rangeEnd: null,
    rangeTreeHash: null,
    format,
    inventoryParams: JSON.stringify(filter.given),
    nextMarker,
    outputSize: Buffer.byteLength(content),
    createdAt: ctx.now,
    completeAt,
    expiresAt: completeAt + ctx.config.jobOutputTtlMs,
  });
}

/** Tree hash of the aligned archive range [start, end] from the stored leaf digests. */
async function rangeTreeHash(ctx: OperationContext, archive: ArchiveRow, start: number, end: number): Promise<string> {
  const leaves = await ctx.files.leafDigests(archive.archiveId, ctx.store.chunks(archive), archive.chunkSize, Math.floor(start / MiB), Math.floor(end / MiB));
  return combineDigests(leaves).toString('hex');
}

function describe(ctx: OperationContext, vault: VaultRow, job: JobRow): Record<string, unknown> {
  const completed = job.status !== 'InProgress';
  const base = {
    Action: job.action,
    Completed: completed,
    CompletionDate: completed ? isoMillis(job.completeAt) : null,
    CreationDate: isoMillis(job.createdAt),
    JobDescription: job.description,
    JobId: job.jobId,
    SNSTopic: job.snsTopic,
    StatusCode: job.status,
    StatusMessage: job.status === 'InProgress' ? 'Operation in progress.' : job.statusMessage,
    VaultARN: vaultArn(ctx.config, vault.name),
  };
  if (job.action === 'InventoryRetrieval') {
    const given = JSON.parse(job.inventoryParams ?? '{}') as Record<string, string>;
    return {
      ...base,
      ArchiveId: null,
      ArchiveSHA256TreeHash: null,
      ArchiveSizeInBytes: null,
      InventorySizeInBytes: completed ? job.outputSize : null,
      InventoryRetrievalParameters: {
        Format: job.format,
        StartDate: given.StartDate ?? null,
        EndDate: given.EndDate ?? null,
        Limit: given.Limit ?? null,
        Marker: completed ? job.nextMarker : null,
      },
      RetrievalByteRange: null,
      SHA256TreeHash: null,
      ...(job.tier !== null ? { Tier: job.tier } : {}),
    };
  }
  const archive = ctx.store.getArchiveByRow(job.archiveRow!);
  const whole = archive !== undefined && job.rangeStart === 0 && job.rangeEnd === archive.size - 1;
  return {
    ...base,
    ArchiveId: archive?.archiveId ?? null,
    ArchiveSHA256TreeHash: archive?.treeHash ?? null,
    ArchiveSizeInBytes: archive?.size ?? null,
    InventorySizeInBytes: null,
    RetrievalByteRange: `${job.rangeStart}-${job.rangeEnd}`,
    SHA256TreeHash: whole && !completed ? null : job.rangeTreeHash,
    Tier: job.tier,
  };
}

function findJob(ctx: OperationContext, vault: VaultRow): JobRow {
  const id = ctx.route.jobId!;
  const job = ctx.store.getJob(id);
  if (!job || job.vaultId !== vault.id) throw notFound(`The job ID was not found: ${id.slice(0, 300)}`);
  return job;
}

function parseJobParameters(body: Buffer): JobParameters {
  if (body.length === 0) throw missingParameter('jobParameters (the request body)');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GlacierError('SerializationException', `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GlacierError('SerializationException', 'The request body must be a JSON object of job parameters');
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new GlacierError('SerializationException', `${field} must be a string`);
  return value;
}

interface InventoryFilter {
  startMs: number;
  endMs: number;
  limit?: number;
  Marker?: string;
  /** The parameters as given, echoed by DescribeJob. */
  given: Record<string, string>;
}

function parseInventoryParameters(value: unknown): InventoryFilter {
  const filter: InventoryFilter = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER, given: {} };
  if (value === undefined || value === null) return filter;
  if (typeof value !== 'object' || Array.isArray(value)) throw new GlacierError('SerializationException', 'InventoryRetrievalParameters must be an object');
  const p = value as Record<string, unknown>;
  const startDate = optionalString(p.StartDate, 'StartDate');
  const endDate = optionalString(p.EndDate, 'EndDate');
  const limit = p.Limit === undefined || p.Limit === null ? undefined : typeof p.Limit === 'number' ? String(p.Limit) : optionalString(p.Limit, 'Limit');
  const marker = optionalString(p.Marker, 'Marker');
  if (startDate) {
    filter.startMs = parseIsoDate(startDate, 'StartDate');
    filter.given.StartDate = startDate;
  }
  if (endDate) {
    filter.endMs = parseIsoDate(endDate, 'EndDate');
    filter.given.EndDate = endDate;
  }
  if (filter.startMs >= filter.endMs) throw invalidParameter('The inventory StartDate must be earlier than its EndDate');
  if (limit !== undefined && limit !== '') {
    const n = parseDecimal(limit);
    if (n === undefined || n < 1) throw invalidParameter(`Invalid inventory Limit: ${limit.slice(0, 100)}. It must be an integer of at least 1`);
    filter.limit = n;
    filter.given.Limit = limit;
  }
  if (marker) {
    filter.Marker = marker;
    filter.given.Marker = marker;
  }
  return filter;
}

function parseIsoDate(value: string, field: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw invalidParameter(`Invalid ${field}: ${value.slice(0, 100)}. Use ISO 8601, for example 2013-03-20T17:03:43Z`);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid ${field}: ${value.slice(0, 100)}`);
  return ms;
}
