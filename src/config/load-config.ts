/**
 * Finds, parses and validates the configuration file, then resolves every path.
 * Nothing is written before validation passes; the result is frozen.
 */
import { existsSync, readFileSync, statSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { makeDirs } from '../fs/make-dirs.js';
import { BackupError } from '../errors.js';
import { configSchema, type ParsedConfig } from './config-schema.js';

/** The validated configuration with every path absolute. */
export type Config = Readonly<
  Omit<ParsedConfig, 'stateDir' | 'set' | 'encryption'> & {
    /** Absolute path of the file this was loaded from. */
    configPath: string;
    set: string;
    stateDir: string;
    archive: ParsedConfig['archive'] & { localDir: string };
    encryption?: { recipients: string[]; identityFile: string };
  }
>;

/** Where the config is looked for when neither `--config` nor BACKUP_CONFIG names it: ./backup.config.json, then ~/.config/backup/config.json. */
export function defaultConfigPaths(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return [join(cwd, 'backup.config.json'), join(xdg, 'backup', 'config.json')];
}

/** Where `backup key generate` writes and `encryption.identityFile` points by default: ~/.config/backup/age.key. */
export function defaultIdentityFile(env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'backup', 'age.key');
}

/** Loads the config; `checkDirs` (default true) also checks the data directory and that stateDir is writable. */
export function loadConfig(opts: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv; checkDirs?: boolean } = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const configPath = findConfig(opts.path, cwd, env);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `is not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`;
    throw new BackupError('CONFIG_INVALID', `config ${configPath} ${why}; fix the file`, { cause: err, subject: configPath });
  }
  const parsed = configSchema.safeParse(stripComments(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError('CONFIG_INVALID', `config ${configPath}: ${describeIssue(issue)}`, { subject: configPath });
  }
  const c = parsed.data;
  const base = dirname(configPath);
  const home = env.HOME || homedir();
  const abs = (p: string) => resolve(base, p.startsWith('~/') ? join(home, p.slice(2)) : p);
  const data = abs(c.data);
  const stateDir = c.stateDir ? abs(c.stateDir) : join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'backup');
  const localDir = c.archive.localDir ? abs(c.archive.localDir) : join(stateDir, 'archives');
  if (c.vault && c.s3) {
    throw new BackupError('CONFIG_INVALID', `config ${configPath} has both "vault" and "s3"; keep the one the archives are stored in`, { subject: configPath });
  }
  if (c.migrate && !c.s3) {
    throw new BackupError('CONFIG_INVALID', `config ${configPath} has "migrate.fromVault" but no "s3": add the bucket the archives move to (see README "Moving a vault to S3")`, { subject: configPath });
  }
  if (c.migrate && c.vault) {
    throw new BackupError('CONFIG_INVALID', `config ${configPath} has both "vault" and "migrate.fromVault"; while moving to S3 the vault belongs in "migrate.fromVault" only`, { subject: configPath });
  }
  if (!c.vault && !c.s3 && !c.archive.keepLocalCopy) {
    throw new BackupError('CONFIG_INVALID', `config ${configPath}: archive.keepLocalCopy is false and there is no vault, so archives would be kept nowhere; add a "vault" or set keepLocalCopy to true`, { subject: configPath });
  }
  const config: Config = deepFreeze({
    ...c,
    configPath,
    data,
    set: c.set ?? (sanitizeSetName(basename(data)) || 'data'),
    stateDir,
    archive: { ...c.archive, localDir },
    encryption: c.encryption && { recipients: c.encryption.recipients, identityFile: abs(c.encryption.identityFile ?? defaultIdentityFile(env)) },
  });
  if (opts.checkDirs !== false) {
    checkDataDir(data, configPath);
    checkWritableDir(stateDir, 'stateDir', configPath);
    // made here, not after an archive was written to go there
    if (c.archive.keepLocalCopy) checkWritableDir(localDir, 'archive.localDir', configPath);
  }
  return config;
}

/** `--config`, else the BACKUP_CONFIG environment variable, else the first default location that exists. */
function findConfig(path: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string {
  if (path) {
    const p = resolve(cwd, path);
    if (!existsSync(p)) throw new BackupError('CONFIG_NOT_FOUND', `config file ${p} does not exist; create it from config.example.json`, { subject: p });
    return p;
  }
  if (env.BACKUP_CONFIG) {
    const p = resolve(cwd, env.BACKUP_CONFIG);
    if (!existsSync(p)) throw new BackupError('CONFIG_NOT_FOUND', `config file ${p} (from BACKUP_CONFIG) does not exist; fix the variable or create the file from config.example.json`, { subject: p });
    return p;
  }
  const candidates = defaultConfigPaths(cwd, env);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new BackupError('CONFIG_NOT_FOUND', `no config file: pass --config FILE or create ${candidates[0]} (or ${candidates[1]}) from config.example.json`);
  }
  return found;
}

/** Drops keys starting with "//" at any depth: the config file's comments. */
function stripComments(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripComments);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('//')).map(([k, x]) => [k, stripComments(x)]));
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
    return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}; remove it or check its spelling against config.example.json`;
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return `${key} is required; see config.example.json`;
  }
  return `${key}: ${issue.message.replace(/^Invalid input: /, '')}; see config.example.json`;
}

function checkDataDir(data: string, configPath: string): void {
  let st;
  try {
    st = statSync(data);
  } catch {
    throw new BackupError('DATA_DIR_MISSING', `data directory ${data} does not exist; fix "data" in ${configPath}`, { subject: data });
  }
  if (!st.isDirectory()) throw new BackupError('DATA_DIR_MISSING', `data ${data} is not a directory; fix "data" in ${configPath}`, { subject: data });
}

/** Creates `dir` if needed and checks it can be written; throws STATE_DIR_UNWRITABLE naming `key`. */
export function checkWritableDir(dir: string, key: string, configPath: string): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new BackupError('STATE_DIR_UNWRITABLE', `${key} ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions or change "${key}" in ${configPath}`, { cause: err, subject: dir });
  }
}

function sanitizeSetName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 64);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

