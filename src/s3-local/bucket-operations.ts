/** S3 bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation. */
import { isoDate, requireBucket } from './s3-context.js';
import type { S3Context } from './s3-context.js';
import { S3Error, invalidArgument } from './s3-error.js';
import { child, xmlEscape } from './s3-xml.js';
import { readRequestDocument } from './read-request-document.js';

/** The S3 XML namespace. */
export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The one owner every bucket and object has here. */
export const OWNER_XML = '<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>local</DisplayName></Owner>';

/** GET / */
export function listBuckets(ctx: S3Context): void {
  const buckets = ctx.store.listBuckets().map((b) => `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${isoDate(b.createdAt)}</CreationDate></Bucket>`);
  ctx.replyXml(200, `<ListAllMyBucketsResult xmlns="${S3_NS}">${OWNER_XML}<Buckets>${buckets.join('')}</Buckets></ListAllMyBucketsResult>`);
}

/** PUT /bucket — in us-east-1 creating a bucket one already owns succeeds, elsewhere it is BucketAlreadyOwnedByYou, as in AWS. */
export function createBucket(ctx: S3Context): void {
  const name = ctx.route.bucket!;
  checkBucketName(name);
  const region = ctx.config.region;
  let constraint: string | undefined;
  if (ctx.body.length > 0) {
    const doc = readRequestDocument(ctx.body, 'CreateBucketConfiguration');
    constraint = child(doc, 'LocationConstraint')?.text.trim();
  }
  if (constraint === '') constraint = undefined;
  if (region === 'us-east-1' ? constraint !== undefined : constraint !== region) {
    if (region === 'us-east-1' && constraint === 'us-east-1') throw new S3Error(400, 'InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: constraint });
    throw new S3Error(400, 'IllegalLocationConstraintException', `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`);
  }
  const created = ctx.store.createBucket(name, ctx.now);
  if (!created && region !== 'us-east-1') {
    throw new S3Error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
  }
  ctx.reply(200, { Location: `/${name}` });
}

/** HEAD /bucket */
export function headBucket(ctx: S3Context): void {
  requireBucket(ctx);
  ctx.reply(200, { 'x-amz-bucket-region': ctx.config.region });
}

/** DELETE /bucket — only when it holds no objects and no uploads. */
export function deleteBucket(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  if (ctx.store.bucketInUse(bucket.id)) throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucket.name });
  ctx.store.deleteBucket(bucket.id);
  ctx.reply(204, {});
}

/** GET /bucket?location — empty for us-east-1, as S3 answers. */
export function getBucketLocation(ctx: S3Context): void {
  requireBucket(ctx);
  const region = ctx.config.region === 'us-east-1' ? '' : ctx.config.region;
  ctx.replyXml(200, `<LocationConstraint xmlns="${S3_NS}">${region}</LocationConstraint>`);
}

/** S3's naming rules for new general-purpose buckets. */
export function checkBucketName(name: string): void {
  const ok =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias');
  if (!ok) throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
}

/** Parses a max-keys style parameter: a non-negative integer, at most `max` (larger values are capped as S3 does). */
export function maxParam(query: URLSearchParams, name: string, max: number): number {
  const raw = query.get(name);
  if (raw === null) return max;
  if (!/^-?\d+$/.test(raw)) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  const n = Number(raw);
  if (n < 0) throw invalidArgument(`Argument ${name} must be an integer between 0 and 2147483647`, name, raw);
  return Math.min(n, max);
}

