/** Whether the configured copy is really offsite: the bundled local server and local-only copies are not (pure). */
import type { Config } from '../config/load-config.js';

/** Why the copy is not offsite, short (for a summary line) and long (for `status`, the run log and the email); undefined when it is offsite. */
export function notOffsite(config: Pick<Config, 'vault' | 's3' | 'stateDir'>): { short: string; long: string } | undefined {
  if (config.s3) {
    if (config.s3.endpoint !== 'local') return undefined;
    return {
      short: 'bundled local S3 on this machine',
      long: `the bucket is the bundled local server in ${config.stateDir}/local-vault on this machine: this copy is NOT OFFSITE; remove "endpoint" from the s3 config to use Amazon S3`,
    };
  }
  if (!config.vault) {
    return { short: 'local copies only', long: 'there is no vault: archives are kept on this machine only, NOT OFFSITE; add a "vault" or "s3" to the config for an offsite copy' };
  }
  if (config.vault.endpoint === 'local') {
    return {
      short: 'bundled local vault on this machine',
      long: `the vault is the bundled local server in ${config.stateDir}/local-vault on this machine: this copy is NOT OFFSITE; remove "endpoint" from the vault config to use Amazon Glacier`,
    };
  }
  return undefined;
}
