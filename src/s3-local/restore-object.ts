/**
 * RestoreObject (POST /bucket/key?restore): makes a cold object readable for `Days`
 * days after a tier-dependent delay. 202 when a restore starts, 200 when a restored
 * copy exists (its expiry is reset from now), 409 RestoreAlreadyInProgress while one
 * runs; warm objects and Expedited for DEEP_ARCHIVE are refused.
 */
import { requireBucket } from './s3-context.js';
import type { S3Context } from './s3-context.js';
import { S3Error, invalidArgument, malformedXml, noSuchKey } from './s3-error.js';
import { restoreState } from './object-attributes.js';
import { isColdClass, restoreDelayMs, restoreExpiry, tiersOf } from './restore-timing.js';
import type { RestoreTier } from './restore-timing.js';
import { child } from './s3-xml.js';
import { readRequestDocument } from './read-request-document.js';

const TIERS: readonly string[] = ['Expedited', 'Standard', 'Bulk'];

/** POST /bucket/key?restore */
export function restoreObject(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const doc = readRequestDocument(ctx.body, 'RestoreRequest');
  if (child(doc, 'Type') !== undefined || child(doc, 'SelectParameters') !== undefined) {
    throw new S3Error(501, 'NotImplemented', 'SELECT restores are not implemented by this server');
  }
  const daysText = child(doc, 'Days')?.text.trim();
  if (daysText === undefined) throw invalidArgument('Days is required for a restore of an archived object', 'Days');
  const days = Number(daysText);
  if (!/^\d+$/.test(daysText) || days < 1) throw invalidArgument('Days must be a positive integer', 'Days', daysText);
  const tierText = child(child(doc, 'GlacierJobParameters') ?? { name: '', text: '', children: [] }, 'Tier')?.text.trim() ?? child(doc, 'Tier')?.text.trim() ?? 'Standard';
  if (!TIERS.includes(tierText)) throw malformedXml();
  const tier = tierText as RestoreTier;

  const obj = ctx.store.getObject(bucket.id, ctx.route.key!);
  if (!obj) throw noSuchKey(ctx.route.key!);
  const storageClass = obj.storageClass;
  if (!isColdClass(storageClass)) throw new S3Error(403, 'InvalidObjectState', "Restore is not allowed for the object's current storage class", { StorageClass: storageClass });
  if (!tiersOf(storageClass).includes(tier)) {
    throw invalidArgument(`The ${tier} tier is not available for objects in the ${storageClass} storage class; use ${tiersOf(storageClass).join(' or ')}`, 'Tier', tier);
  }
  const state = restoreState(obj, ctx.now);
  if (state === 'ongoing') throw new S3Error(409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
  if (state === 'restored') {
    ctx.store.extendRestore(obj.id, restoreExpiry(ctx.now, days));
    ctx.reply(200, {});
    return;
  }
  const readyAt = ctx.now + restoreDelayMs(storageClass, tier, ctx.config.restoreDelaysMs);
  ctx.store.startRestore(obj.id, tier, ctx.now, readyAt, restoreExpiry(readyAt, days));
  ctx.reply(202, {});
}
