/**
 * Full or incremental? A run makes a full (level 0) archive when there is no chain,
 * when asked, when the chain already has `fullEvery` incrementals, or when there is no
 * snapshot to compare against, or when the chain is marked broken (an archive it needs was
 * deleted); otherwise an incremental against the latest archive. Pure.
 * snapshot to compare against, or when encryption was turned on or off since the latest
 * archive (a chain never mixes plain and encrypted archives); otherwise an incremental against the latest archive. Pure.
 */

/** The next archive's place in the chains. */
export interface LevelChoice {
  level: number;
  parentSeq: number | null;
  /** Why a full archive was chosen, for the run log. */
  reason?: string;
}

/** Decides the level of the next archive. */
export function chooseLevel(input: {
  latest: { seq: number; level: number } | undefined;
  full: boolean;
  fullEvery: number;
  hasSnapshot: boolean;
  /** Why the latest archive's chain is broken, when it is. */
  broken?: string;
  /** Set when the latest archive is plain and this one will be encrypted ('on'), or the reverse ('off'). */
  encryptionChanged?: 'on' | 'off';
}): LevelChoice {
  const { latest } = input;
  if (!latest) return { level: 0, parentSeq: null, reason: 'first backup' };
  if (input.encryptionChanged) return { level: 0, parentSeq: null, reason: `encryption was turned ${input.encryptionChanged} (a chain never mixes plain and encrypted archives)` };
  if (input.full) return { level: 0, parentSeq: null, reason: '--full given' };
  if (input.broken) return { level: 0, parentSeq: null, reason: `the current chain is broken (${input.broken})` };
  if (!input.hasSnapshot) return { level: 0, parentSeq: null, reason: 'no snapshot state to compare against' };
  if (latest.level >= input.fullEvery) return { level: 0, parentSeq: null, reason: `chain reached fullEvery (${input.fullEvery}) incrementals` };
  return { level: latest.level + 1, parentSeq: latest.seq };
}
