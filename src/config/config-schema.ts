/**
 * The configuration file's schema: every key, its type and default. config.example.json
 * documents the same keys for users; keep the two in step.
 */
import * as z from 'zod';
import { parseRecipient } from '../age/age-keys.js';
import { parseCron } from '../schedule/cron-expression.js';

/** A cron expression cron(8) accepts; checked when the config loads, so no command starts work on a bad one. */
const cronField = z
  .string()
  .min(1)
  .superRefine((expr, ctx) => {
    try {
      parseCron(expr);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^schedule /, '') });
    }
  });

/** True for an absolute http(s) URL. */
function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const vaultSchema = z
  .strictObject({
    /** Glacier vault name: 1–255 of a-z A-Z 0-9 _ - . */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'must be 1–255 characters from a-z A-Z 0-9 _ - .'),
    region: z.string().min(1).default('us-east-1'),
    /** "local" runs the bundled Glacier-compatible server over stateDir/local-vault; a URL points at another endpoint; omit for AWS. */
    endpoint: z
      .string()
      .min(1)
      .refine((s) => s === 'local' || isHttpUrl(s), 'must be "local" or an http(s) URL such as "https://glacier.eu-west-1.amazonaws.com"')
      .optional(),
    accountId: z.string().regex(/^(-|\d{12})$/, 'must be "-" or a 12-digit account id').default('-'),
    /** AWS shared-config profile; credentials otherwise come from the standard AWS chain. */
    profile: z.string().min(1).optional(),
    /** Multipart part size: a power of two from 1 to 4096 MiB. Raised automatically when an archive would exceed 10,000 parts. */
    partSizeMiB: z
      .number()
      .int()
      .refine((n) => n >= 1 && n <= 4096 && (n & (n - 1)) === 0, 'must be a power of two from 1 to 4096')
      .default(32),
    /** Parts in flight at once. Memory use is about concurrency × partSizeMiB. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Bandwidth cap shared by all parts in flight; omit for none. */
    maxBytesPerSecond: z.number().int().positive().optional(),
    /** Retries per request on throttling, 5xx, timeouts and resets. */
    maxRetries: z.number().int().min(0).max(20).default(8),
    /** Upload a snapshot of the catalog after each successful run, for disaster recovery. */
    uploadCatalog: z.boolean().default(true),
    /** Catalog snapshots kept in storage (the newest; a rebuild uses the newest); older ones are deleted after each upload. Default 3. */
    keepCatalogSnapshots: z.number().int().min(1).optional(),
  });

/** An age recipient: `age1…` or an `ssh-ed25519 …` public key line. */
const ageRecipient = z.string().superRefine((s, ctx) => {
  try {
    parseRecipient(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 24)}${s.length > 24 ? '…' : ''}" ${(err as Error).message}` });
  }
});

export const encryptionSchema = z.strictObject({
  /** Who can decrypt the archives: age1… recipients (from `backup key generate` or age-keygen) or ssh-ed25519 public keys. */
  recipients: z.array(ageRecipient).min(1),
  /** The age identity file (needed only to restore, check data, or rebuild from an encrypted catalog snapshot). Default: ~/.config/backup/age.key. */
  identityFile: z.string().min(1).optional(),
});

/** S3 storage classes the s3 backend writes. */
export const S3_STORAGE_CLASSES = ['DEEP_ARCHIVE', 'GLACIER', 'GLACIER_IR', 'STANDARD_IA', 'STANDARD'] as const;

export const s3Schema = z.strictObject({
  /** Bucket name (3–63 of a-z 0-9 . -); it must exist. */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3–63 characters from a-z 0-9 . -'),
  /** Key prefix, e.g. "backups/"; objects go to prefix + set + "/". */
  prefix: z.string().regex(/^$|^[A-Za-z0-9!_.*'()/-]*\/$/, 'must be empty or end in "/" (letters, digits and !_.*\'()- only)').default(''),
  region: z.string().min(1).default('us-east-1'),
  /** "local" uses the S3 side of the bundled server over stateDir/local-vault; a URL points at another endpoint (path-style); omit for AWS. */
  endpoint: z.string().min(1).optional(),
  /** AWS shared-config profile; credentials otherwise come from the standard AWS chain. */
  profile: z.string().min(1).optional(),
  /** Class of the data archives. DEEP_ARCHIVE is the cheapest to keep and needs a restore (hours) to read. */
  storageClass: z.enum(S3_STORAGE_CLASSES).default('DEEP_ARCHIVE'),
  /** Class of the catalog snapshots: one readable without a restore, so a lost catalog is rebuilt without waiting. */
  catalogStorageClass: z.enum(['GLACIER_IR', 'STANDARD', 'STANDARD_IA']).default('GLACIER_IR'),
  /** Multipart part size in MiB (S3: 5 MiB minimum); raised automatically to stay within 10,000 parts. */
  partSizeMiB: z.number().int().min(5).max(5120).default(16),
  /** Parts in flight at once. Memory use is about concurrency × partSizeMiB. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Bandwidth cap shared by all parts in flight; omit for none. */
  maxBytesPerSecond: z.number().int().positive().optional(),
  /** Retries per request on throttling, 5xx, timeouts and resets. */
  maxRetries: z.number().int().min(0).max(20).default(8),
  /** Upload a snapshot of the catalog after each successful run, for disaster recovery. */
  uploadCatalog: z.boolean().default(true),
  /** Days a restored copy of a cold object stays readable. */
  restoreDays: z.number().int().min(1).max(30).default(3),
});

export const configSchema = z.strictObject({
  /** Directory to back up. Relative paths are resolved against the config file's directory. */
  data: z.string().min(1),
  /** Name of this backup set, used in archive names and descriptions. Default: the data directory's base name. */
  set: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters from a-z A-Z 0-9 _ - .')
    .optional(),
  /** Glob patterns (relative to data) to leave out; a pattern matching a directory leaves out all below it. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Catalog, staging, logs, local copies and the local vault. Default: ~/.local/state/backup. */
  stateDir: z.string().min(1).optional(),
  archive: z
    .strictObject({
      /** gzip level 1–9. */
      level: z.number().int().min(1).max(9).default(6),
      /** Start a new full chain after this many incrementals. */
      fullEvery: z.number().int().min(0).default(13),
      /** Uncompressed bytes per independent gzip member. */
      blockSizeKiB: z.number().int().min(64).max(65536).default(1024),
      /** Keep a copy of each archive on local disk, so restores need no retrieval. */
      keepLocalCopy: z.boolean().default(true),
      /** Where local copies go. Default: stateDir/archives. */
      localDir: z.string().min(1).optional(),
      /** Like tar --one-file-system: directories on other filesystems are kept (empty), their contents left out. */
      oneFileSystem: z.boolean().default(false),
      /** Store files' user.* extended attributes as GNU tar --xattrs does (needs getfattr/setfattr from the "attr" package). */
      xattrs: z.boolean().default(false),
    })
    .prefault({}),
  /** Omit to keep archives on local disk only. */
  vault: vaultSchema.optional(),
  /** Omit to keep archives on local disk only (or in the vault); at most one of vault and s3. */
  s3: s3Schema.optional(),
  /**
   * Only while moving a vault to S3 (`backup migrate --to-s3`): the vault the archives come
   * from, with "s3" naming the bucket they go to (and where every other command already
   * works). Remove it once the migration has finished.
   */
  migrate: z.strictObject({ fromVault: vaultSchema }).optional(),
  /** Encrypt every archive and catalog snapshot with age to these recipients; omit for plain tar.gz. */
  encryption: encryptionSchema.optional(),
  /** Cron expression for `backup schedule print` and `backup daemon`. */
  schedule: cronField.default('30 2 * * *'),
  logs: z
    .strictObject({
      /** Run log files kept under stateDir/logs, and generations of its cron.log (rotated as each run starts). */
      keep: z.number().int().min(1).default(60),
    })
    .prefault({}),
  check: z
    .strictObject({
      /** After each run, the local part of `backup check` (catalog integrity, chains, every local copy re-hashed); problems become warnings. */
      afterRun: z.boolean().default(false),
    })
    .prefault({}),
  email: z
    .strictObject({
      /** false keeps the settings but sends nothing. */
      enabled: z.boolean().default(true),
      to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
      from: z.string().min(3),
      /** Send the accumulated run logs every N runs. */
      every: z.number().int().min(1).default(7),
      /** Send at once when a run fails or completes with warnings. */
      onFailure: z.boolean().default(true),
      smtp: z.strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** true for implicit TLS (port 465); false uses STARTTLS when offered. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        /** Name of the environment variable that holds the SMTP password (never the password itself). */
        passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
        /** With a user and secure false, STARTTLS is required so the password never travels in clear; true allows plain-text login (a trusted local relay only). */
        allowPlaintextAuth: z.boolean().default(false),
      }),
    })
    .optional(),
  retention: z
    .strictObject({
      /** Keep the newest N full chains. */
      keepChains: z.number().int().min(1).optional(),
      /** Keep chains whose newest archive is younger than D days. */
      keepDays: z.number().int().min(1).optional(),
      /** Never go below this many chains, whatever the other rules say. */
      minChains: z.number().int().min(1).default(2),
      /** Prune with these rules after every run that made a restorable point (as \`backup prune\` does, deleting early only with allowEarlyDelete). */
      afterRun: z.boolean().default(false),
      /**
       * Delete archives younger than their storage's minimum storage duration (vault 90 days;
       * S3 by class: STANDARD_IA 30, GLACIER_IR and GLACIER 90, DEEP_ARCHIVE 180), paying the
       * early-deletion charge, in prune and archive delete as if --allow-early-delete were given.
       */
      allowEarlyDelete: z.boolean().default(false),
    })
    .prefault({}),
  notify: z
    .strictObject({
      /** A healthchecks.io-style URL: GET URL/start when a run starts, POST URL (success) or URL/fail with the summary as body when it ends. */
      pingUrl: z.string().refine(isHttpUrl, 'must be an http(s) URL').optional(),
    })
    .prefault({}),
  /** Price table for `backup cost`, in USD. Defaults: us-east-1 Glacier prices as of 2026-11. */
  prices: z
    .strictObject({
      storagePerGiBMonth: z.number().nonnegative().default(0.0036),
      uploadPer1000Requests: z.number().nonnegative().default(0.05),
      minimumStorageDays: z.number().int().nonnegative().default(90),
      retrievalPerGiB: z
        .strictObject({
          Expedited: z.number().nonnegative().default(0.03),
          Standard: z.number().nonnegative().default(0.01),
          Bulk: z.number().nonnegative().default(0.0025),
        })
        .prefault({}),
      retrievalPer1000Requests: z
        .strictObject({
          Expedited: z.number().nonnegative().default(10),
          Standard: z.number().nonnegative().default(0.05),
          Bulk: z.number().nonnegative().default(0.025),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type VaultConfig = z.output<typeof vaultSchema>;
export type S3Config = z.output<typeof s3Schema>;
