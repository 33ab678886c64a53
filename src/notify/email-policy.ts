/** When to email the accumulated run logs (pure). */
import type { RunSummary } from './run-summary.js';

/** The runs not yet emailed, and the configured policy. */
export interface EmailPolicyInput {
  /** Runs not yet included in an email, oldest first; runs still going are not counted. */
  unsent: readonly Pick<RunSummary, 'status'>[];
  /** Send once this many finished runs have accumulated. */
  every: number;
  /** Send at once when an unsent run failed or completed with warnings. */
  onFailure: boolean;
}

/** The decision and why: 'failure' (a failed or warning run, with onFailure), 'every' (N runs reached) or 'none'. */
export interface EmailDecision {
  send: boolean;
  reason: 'every' | 'failure' | 'none';
}

/**
 * Decides whether to send now. A mail that could not be sent leaves its runs unsent, so the
 * next run decides again with them included: a failure keeps asking until it is delivered.
 */
export function shouldSendEmail(input: EmailPolicyInput): EmailDecision {
  const finished = input.unsent.filter((r) => r.status !== 'running');
  if (finished.length === 0) return { send: false, reason: 'none' };
  if (input.onFailure && finished.some((r) => r.status === 'failed' || r.status === 'warnings')) return { send: true, reason: 'failure' };
  if (finished.length >= Math.max(1, input.every)) return { send: true, reason: 'every' };
  return { send: false, reason: 'none' };
}
