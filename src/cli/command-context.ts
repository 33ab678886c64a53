/**
 * What every command gets: the loaded config, the open catalog, the interrupt signal,
 * the global flags, and (lazily) the offsite backend. Built in one place so commands stay thin.
 */
import type { Command } from 'commander';
import { catalogFull } from '../catalog/catalog-full.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { catalogPath, isUnusableCatalog, moveCatalogAside, openCatalog, type Db } from '../catalog/open-catalog.js';
import { interruptSignal } from './interrupt.js';
import type { GlobalOptions } from './output.js';
import { acquireRunLock, type RunLock } from '../state/run-lock.js';
import { BackupError } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import type { VaultSession } from '../storage/glacier/open-vault.js';
import type { ConnectedBackend } from './connect-backend.js';
import type { StartedWalk } from '../scan/walk-tree-in-worker.js';

/** Dependencies a command runs with. `close()` releases them; call it in `finally`. */
export interface CommandContext {
  config: Config;
  db: Db;
  signal: AbortSignal;
  flags: GlobalOptions;
  /** Opens the configured backend on first use (starting the embedded server for endpoint "local"). Throws CONFIG_INVALID when none is configured. */
  backend(): Promise<Backend>;
  /** The Glacier session, for what only a vault has (vault create/describe/list, inventory jobs). Throws CONFIG_INVALID for other backends. */
  vault(): Promise<VaultSession>;
  /** Where storage events (retries, resumes) are logged; by default stderr with --debug only. */
  setVaultLog(log: (line: string) => void): void;
  /** The walk ContextOptions.walk started; whoever takes it ends it, and close() ends it if nobody did. */
  walk?: StartedWalk;
  close(): Promise<void>;
}

/** The global flags of the program, from any subcommand. */
export function globalFlags(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** How a context is opened. */
export interface ContextOptions {
  /** Names the command taking the run lock (omit for read-only commands). */
  lock?: string;
  /** false skips checking the data directory (commands that never read it). */
  checkDataDir?: boolean;
  /** 'move-aside' (catalog rebuild): an unusable catalog file is kept under another name and a fresh one opened. */
  brokenCatalog?: 'move-aside';
  /** Starts a walk as soon as the config is loaded, before the lock and the catalog (`backup run`: its scan runs while the rest sets up); ended if the context cannot open. */
  walk?: (config: Config) => StartedWalk;
}

/** Loads config and catalog. */
async function openContext(cmd: Command, opts: ContextOptions = {}): Promise<CommandContext> {
  const flags = globalFlags(cmd);
  const config = loadConfig({ path: flags.config, checkDirs: opts.checkDataDir ?? true });
  const walk = opts.walk?.(config);
  let lock: RunLock | undefined;
  let db: Db;
  const path = catalogPath(config.stateDir);
  try {
    if (opts.lock) lock = await acquireRunLock(config.stateDir, opts.lock);
    try {
      db = openCatalog(path);
    } catch (err) {
      if (!isUnusableCatalog(err)) throw err;
      // with nothing offsite, the inventory the message names does not exist: the local copies do
      if (opts.brokenCatalog !== 'move-aside' && !config.vault && !config.s3 && !config.migrate) {
        throw new BackupError('CATALOG', `${(err as Error).message.replace(/; restore it with .*$/, '')}; rebuild it from the local copies with "backup catalog rebuild --from-archives ${config.archive.localDir}"`, { cause: (err as Error).cause, subject: path });
      }
      if (opts.brokenCatalog !== 'move-aside') throw err;
      const aside = moveCatalogAside(path, new Date());
      process.stderr.write(`backup: catalog ${path} is unusable (${(err as Error).message.replace(/^.*is unusable: /, '').replace(/;.*$/, '')}); kept it as ${aside} and rebuilding into a new one\n`);
      db = openCatalog(path);
    }
  } catch (err) {
    await walk?.end();
    await lock?.release();
    throw err;
  }
  let connected: Promise<ConnectedBackend> | undefined;
  const signal = interruptSignal();
  let vaultLog = (line: string) => {
    if (flags.debug) process.stderr.write(`vault: ${line}\n`);
  };
  // loaded on first use: the storage clients take a tenth of a second to load, which commands working locally never need
  const connect = () => (connected ??= import('./connect-backend.js').then((m) => m.connectBackend(config, { signal, log: (l) => vaultLog(l) })));
  const ctx: CommandContext = {
    config,
    db,
    signal,
    flags,
    walk,
    backend: async () => (await connect()).backend,
    async vault() {
      const c = await connect();
      if (!c.session) throw new BackupError('CONFIG_INVALID', `this command needs a Glacier vault, and config ${config.configPath} stores archives in ${c.backend.info.location}`);
      return c.session;
    },
    setVaultLog: (log) => {
      vaultLog = log;
    },
    async close() {
      try {
        await walk?.end();
        if (connected) await (await connected.catch(() => undefined))?.close();
      } finally {
        ctx.db.close();
        await lock?.release();
      }
    },
  };
  return ctx;
}

/** Runs `fn` with a context, closes it afterwards, and sets the process exit code fn returns (if any). */
export async function withContext(cmd: Command, opts: ContextOptions, fn: (ctx: CommandContext) => number | void | Promise<number | void>): Promise<void> {
  const ctx = await openContext(cmd, opts);
  try {
    const code = await fn(ctx);
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  } catch (err) {
    throw catalogFull(err, ctx.config.stateDir) ?? err;
  } finally {
    await ctx.close();
  }
}
