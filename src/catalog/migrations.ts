/**
 * The catalog's schema as forward-only migrations. `user_version` holds the number of
 * migrations applied; each runs in its own transaction. Never edit a shipped migration:
 * append a new one.
 */
export const migrations: readonly string[] = [
  /* 1 */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'warnings', 'failed', 'interrupted')),
    level INTEGER,
    archive_seq INTEGER,
    files_added INTEGER NOT NULL DEFAULT 0,
    files_changed INTEGER NOT NULL DEFAULT 0,
    files_deleted INTEGER NOT NULL DEFAULT 0,
    files_unchanged INTEGER NOT NULL DEFAULT 0,
    bytes_read INTEGER NOT NULL DEFAULT 0,
    archive_bytes INTEGER,
    upload_bytes INTEGER,
    upload_ms INTEGER,
    archive_id TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    errors TEXT NOT NULL DEFAULT '[]',
    log_path TEXT,
    emailed INTEGER NOT NULL DEFAULT 0
  );

  -- One row per data archive. upload_state: 'none' (no vault), 'pending' (staged, not yet
  -- in the vault), 'uploaded', 'deleted' (pruned or deleted from the vault).
  CREATE TABLE archives (
    seq INTEGER PRIMARY KEY,
    level INTEGER NOT NULL,
    parent_seq INTEGER,
    chain_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    file_name TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    raw_size INTEGER NOT NULL,
    tree_hash TEXT NOT NULL,
    block_size INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    staged_path TEXT,
    local_path TEXT,
    upload_state TEXT NOT NULL CHECK (upload_state IN ('none', 'pending', 'uploaded', 'deleted')),
    archive_id TEXT UNIQUE,
    description TEXT,
    uploaded_at TEXT,
    upload_requests INTEGER,
    deleted_at TEXT,
    run_id INTEGER
  );
  CREATE INDEX archives_chain ON archives (chain_seq);

  -- The gzip block table of each archive: uncompressed offset -> compressed offset.
  CREATE TABLE archive_blocks (
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    raw_offset INTEGER NOT NULL,
    gz_offset INTEGER NOT NULL,
    PRIMARY KEY (seq, idx)
  ) WITHOUT ROWID;

  -- Every member stored in each archive (directories included), with its tar header offset.
  CREATE TABLE archive_files (
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('file', 'dir', 'symlink')),
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    tar_offset INTEGER NOT NULL,
    link_target TEXT,
    PRIMARY KEY (seq, path)
  ) WITHOUT ROWID;

  -- Paths an archive removes (absent since the previous archive, or changed type).
  CREATE TABLE archive_deletions (
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (seq, path)
  ) WITHOUT ROWID;

  -- The data directory as of the last committed archive: what change detection compares.
  CREATE TABLE snapshot (
    path TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    link_target TEXT
  ) WITHOUT ROWID;

  -- Multipart uploads in progress, keyed by the archive's file name, and their acknowledged parts.
  CREATE TABLE uploads (
    file_name TEXT PRIMARY KEY,
    upload_id TEXT NOT NULL,
    part_size INTEGER NOT NULL,
    completing INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE upload_parts (
    file_name TEXT NOT NULL,
    idx INTEGER NOT NULL,
    tree_hash TEXT NOT NULL,
    PRIMARY KEY (file_name, idx)
  ) WITHOUT ROWID;

  -- Glacier jobs this catalog started (archive and inventory retrievals), so a later
  -- invocation picks them up instead of paying for new ones.
  CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('archive', 'inventory')),
    archive_id TEXT,
    seq INTEGER,
    range_start INTEGER,
    range_end INTEGER,
    tier TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    output_path TEXT
  ) WITHOUT ROWID;

  CREATE TABLE inventories (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    inventory_date TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    archive_count INTEGER NOT NULL,
    body TEXT NOT NULL
  );

  -- Snapshots of this catalog uploaded to the vault for disaster recovery.
  CREATE TABLE catalog_backups (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    archive_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    tree_hash TEXT NOT NULL,
    description TEXT NOT NULL
  );
  `,
  /* 2 */ `
  -- SHA-256 (hex) of each gzip block's compressed bytes, kept at write time so local copies and
  -- retrieved ranges are verified block by block before anything from them is written; NULL for
  -- blocks recorded before this column existed.
  ALTER TABLE archive_blocks ADD COLUMN sha256 TEXT;

  -- The random identity of the chain an archive belongs to; it travels in the archive's file
  -- name and description so archives of two chains are never mixed. NULL for older archives.
  ALTER TABLE archives ADD COLUMN chain_id TEXT;

  -- Chains that can no longer be restored in full (an archive a later one depends on was
  -- deleted with --force): the next run starts a new full and says why.
  CREATE TABLE broken_chains (
    chain_seq INTEGER PRIMARY KEY,
    reason TEXT NOT NULL,
    marked_at TEXT NOT NULL
  );
  `,
  /* 3 */ `
  -- Members keep what GNU tar restores: owner ids and names, device numbers; hard links
  -- ('hardlink': link_target is the member of the same archive holding the content, size its
  -- size), FIFOs and device nodes. Rebuilt because the type CHECK cannot be altered.
  CREATE TABLE archive_files_new (
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('file', 'dir', 'symlink', 'hardlink', 'fifo', 'chardev', 'blockdev')),
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    tar_offset INTEGER NOT NULL,
    link_target TEXT,
    uid INTEGER,
    gid INTEGER,
    uname TEXT,
    gname TEXT,
    dev_major INTEGER,
    dev_minor INTEGER,
    PRIMARY KEY (seq, path)
  ) WITHOUT ROWID;
  INSERT INTO archive_files_new (seq, path, type, mode, size, mtime, tar_offset, link_target)
    SELECT seq, path, type, mode, size, mtime, tar_offset, link_target FROM archive_files;
  DROP TABLE archive_files;
  ALTER TABLE archive_files_new RENAME TO archive_files;

  -- Times as seconds (floor) and nanoseconds: nanoseconds since 1970 overflow 64 bits after
  -- 2262 and before 1678, and tar represents any second.
  CREATE TABLE snapshot_new (
    path TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_s INTEGER NOT NULL,
    mtime_nsec INTEGER NOT NULL,
    ctime_s INTEGER NOT NULL,
    ctime_nsec INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    link_target TEXT
  ) WITHOUT ROWID;
  INSERT INTO snapshot_new
    SELECT path, type, mode, size,
      (mtime_ns - (((mtime_ns % 1000000000) + 1000000000) % 1000000000)) / 1000000000, ((mtime_ns % 1000000000) + 1000000000) % 1000000000,
      (ctime_ns - (((ctime_ns % 1000000000) + 1000000000) % 1000000000)) / 1000000000, ((ctime_ns % 1000000000) + 1000000000) % 1000000000,
      dev, ino, uid, gid, link_target FROM snapshot;
  DROP TABLE snapshot;
  ALTER TABLE snapshot_new RENAME TO snapshot;
  `,
  /* 4 */ `
  -- Archives encrypted with age: everything before the first payload chunk (the header with
  -- its recipient stanzas and MAC, then the payload nonce). Holds no secret: it lets a ranged
  -- restore unwrap the file key with the identity without retrieving the archive's first MiB.
  -- An archive without a row here is plain tar.gz.
  CREATE TABLE archive_encryption (
    seq INTEGER PRIMARY KEY,
    age_prefix BLOB NOT NULL
  );
  `,
  /* 5 */ `
  -- Which storage holds each archive and catalog snapshot ('glacier': a vault, 's3': a bucket,
  -- 'memory': tests), so a vault moved to S3 one archive at a time always says where each one
  -- is. Rows from before this column are told apart by the id: an S3 key holds a '/', a
  -- Glacier archive id (138 URL-safe characters) never does.
  ALTER TABLE archives ADD COLUMN store TEXT CHECK (store IN ('glacier', 's3', 'memory'));
  UPDATE archives SET store = CASE WHEN archive_id IS NULL THEN NULL WHEN instr(archive_id, '/') > 0 THEN 's3' ELSE 'glacier' END;
  ALTER TABLE catalog_backups ADD COLUMN store TEXT CHECK (store IN ('glacier', 's3', 'memory'));
  UPDATE catalog_backups SET store = CASE WHEN instr(archive_id, '/') > 0 THEN 's3' ELSE 'glacier' END;

  -- Vault archives "backup migrate --to-s3" has moved (data: now at target_id in the bucket;
  -- catalog: a snapshot naming vault ids, superseded by a fresh one in the bucket), kept until
  -- they are deleted from the vault (--delete-source, past the minimum storage duration
  -- counted from stored_at).
  CREATE TABLE moved_archives (
    source_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('data', 'catalog')),
    seq INTEGER,
    target_id TEXT,
    size INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    moved_at TEXT NOT NULL,
    source_deleted_at TEXT
  ) WITHOUT ROWID;
  `,
  /* 6 */ `
  -- The S3 storage class each object was stored in (STANDARD, GLACIER_IR, DEEP_ARCHIVE, …),
  -- which sets its price and its minimum storage duration; NULL for vault archives and rows
  -- recorded before classes were.
  ALTER TABLE archives ADD COLUMN storage_class TEXT;
  ALTER TABLE catalog_backups ADD COLUMN storage_class TEXT;
  `,
  /* 7 */ `
  -- A run's scan while its archive is written, so that no run holds the tree in memory:
  -- every directory with its dumpdir body (ord: path order), and the non-directories this
  -- archive stores (new or changed) in path order. The commit applies them to the snapshot
  -- in its transaction and empties both; a run that died leaves rows the next run discards.
  CREATE TABLE scan_dirs (
    ord INTEGER PRIMARY KEY,
    changed INTEGER NOT NULL,
    dumpdir BLOB NOT NULL,
    path TEXT NOT NULL,
    type TEXT NOT NULL,
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_s INTEGER NOT NULL,
    mtime_nsec INTEGER NOT NULL,
    ctime_s INTEGER NOT NULL,
    ctime_nsec INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    link_target TEXT
  );
  CREATE TABLE scan_files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    type TEXT NOT NULL,
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_s INTEGER NOT NULL,
    mtime_nsec INTEGER NOT NULL,
    ctime_s INTEGER NOT NULL,
    ctime_nsec INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    link_target TEXT,
    nlink INTEGER,
    dev_major INTEGER,
    dev_minor INTEGER
  );
  `,
  /* 8 */ `
  -- A full run's scan becomes the snapshot: its commit drops the snapshot and renames
  -- scan_files to it instead of copying every row, then creates scan_files anew from this definition
  -- as sqlite_master holds it (the two tables always have this shape). So scan_files is keyed
  -- by path like the snapshot and also holds the scan's changed directories, and the snapshot
  -- gains the columns only the scan used (nlink, device numbers). A scan left by a run that
  -- died is dropped: the next run would discard it anyway.
  ALTER TABLE snapshot ADD COLUMN nlink INTEGER;
  ALTER TABLE snapshot ADD COLUMN dev_major INTEGER;
  ALTER TABLE snapshot ADD COLUMN dev_minor INTEGER;
  DROP TABLE scan_files;
  DELETE FROM scan_dirs;
  CREATE TABLE scan_files (
    path TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    mode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_s INTEGER NOT NULL,
    mtime_nsec INTEGER NOT NULL,
    ctime_s INTEGER NOT NULL,
    ctime_nsec INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    link_target TEXT,
    nlink INTEGER,
    dev_major INTEGER,
    dev_minor INTEGER
  ) WITHOUT ROWID;
  `,
];
