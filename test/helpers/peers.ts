/**
 * Test helper: the one rule for third-party peers (GNU tar, the AWS CLI, boto3, the age CLI,
 * another Node). With BACKUP_REQUIRE_PEERS set to anything but '' or '0' (CI sets 1) a
 * missing peer is a failure; without it, tests that need one are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

/** True when CI demands the peers. */
export function peersRequired(): boolean {
  const v = process.env.BACKUP_REQUIRE_PEERS;
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * A describe() block that needs the peers named in `missing` (empty when all are present):
 * runs when nothing is missing; otherwise skipped with the reason, or — when peers are
 * required — replaced by one failing test that names what is missing and `install` (how to get it).
 */
export function describeNeedingPeers(name: string, missing: readonly string[], install: string, body: () => void): void {
  if (missing.length === 0) describe(name, body);
  else if (peersRequired()) {
    describe(name, () => {
      test('required third-party peers are installed', () => assert.fail(`BACKUP_REQUIRE_PEERS is set but ${missing.join(', ')} is missing on this machine; ${install}`));
    });
  } else describe(name, { skip: `not run: ${missing.join(', ')} not installed (set BACKUP_REQUIRE_PEERS=1 to make this a failure)` }, body);
}
