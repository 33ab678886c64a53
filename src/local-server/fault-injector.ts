/**
 * Fault injection: rules that make chosen requests fail the way a real service or
 * network does, deterministically, so client retry logic can be tested.
 */
import { mulberry32 } from '../random/mulberry32.js';

/** The ways a request can be made to fail. */
export type FaultKind = 'error500' | 'error503' | 'throttle' | 'reset' | 'delay' | 'timeout408' | 'lostResponse';

/**
 * One fault rule. It matches requests of `operation` ('*' = any operation) and fires
 * on the `nth` occurrences (1-based, counted per operation since the rules were set;
 * for '*' across all operations), or on a `rate` fraction of them drawn from a PRNG
 * seeded by `seed` (so a run is reproducible), or on every match when neither is given.
 *
 * Effects: 'error500' → 500 ServiceUnavailableException; 'error503' → 503
 * ServiceUnavailableException; 'throttle' → 400 ThrottlingException (retryable
 * throttling for the AWS SDK and botocore); 'timeout408' → 408 RequestTimeoutException;
 * 'delay' → the request is served normally after `delayMs`; 'reset' → the connection is
 * destroyed: mid-request-body for uploads (nothing is stored), mid-response-body for
 * GetJobOutput, and after the operation took effect (the response is lost) for others;
 * 'lostResponse' → the operation takes effect (an upload is stored) and then the
 * connection is destroyed instead of answering: the instant a client dies after the
 * service did the work but before it heard so.
 * Error faults take effect before the operation does anything.
 */
export interface FaultRule {
  operation: string;
  kind: FaultKind;
  rate?: number;
  nth?: number[];
  delayMs?: number;
  seed?: number;
}

const kinds: ReadonlySet<string> = new Set(['error500', 'error503', 'throttle', 'reset', 'delay', 'timeout408', 'lostResponse']);

interface ArmedRule {
  rule: FaultRule;
  random: () => number;
}

/** Decides, request by request, which fault (if any) applies. */
export class FaultInjector {
  private armed: ArmedRule[] = [];
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(rules: readonly FaultRule[] = []) {
    this.set(rules);
  }

  /** Replaces the rules and restarts occurrence counting. Throws RangeError on an invalid rule. */
  set(rules: readonly FaultRule[]): void {
    const armed = rules.map((rule) => {
      validateRule(rule);
      return { rule: { ...rule, nth: rule.nth ? [...rule.nth] : undefined }, random: mulberry32(rule.seed ?? 1) };
    });
    this.armed = armed;
    this.counts.clear();
    this.total = 0;
  }

  /** Records one request of `operation` and returns the first rule that fires for it, if any. */
  next(operation: string): FaultRule | undefined {
    const n = (this.counts.get(operation) ?? 0) + 1;
    this.counts.set(operation, n);
    this.total += 1;
    let fired: FaultRule | undefined;
    for (const { rule, random } of this.armed) {
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      const occurrence = rule.operation === '*' ? this.total : n;
      let fires: boolean;
      if (rule.nth) fires = rule.nth.includes(occurrence);
      else if (rule.rate !== undefined) fires = random() < rule.rate;
      else fires = true;
      if (fires && fired === undefined) fired = rule;
    }
    return fired;
  }
}

function validateRule(rule: FaultRule): void {
  if (!rule || typeof rule.operation !== 'string' || rule.operation === '') throw new RangeError('fault rule needs an operation name or "*"');
  if (!kinds.has(rule.kind)) throw new RangeError(`unknown fault kind ${JSON.stringify(rule.kind)}; use one of ${[...kinds].join(', ')}`);
  if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new RangeError(`fault rate must be within 0..1, got ${rule.rate}`);
  if (rule.nth !== undefined && !rule.nth.every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError('fault nth must list 1-based occurrence numbers');
  if (rule.kind === 'delay' && !(Number.isFinite(rule.delayMs) && (rule.delayMs as number) >= 0)) {
    throw new RangeError('a delay fault needs delayMs ≥ 0');
  }
}
