/**
 * A token bucket for bytes, shared by every part in flight so their sum stays under the
 * configured rate (`vault.maxBytesPerSecond`, `s3.maxBytesPerSecond`). Callers reserve bytes
 * before sending them, for every attempt (a retried part is sent, and paid for, again).
 * One limiter per backend, made where the backend is composed (cli/connect-backend.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted } from '../errors.js';

/**
 * Bytes-per-second limiter. Reservations are served in call order (virtual scheduling: each
 * reservation moves a shared "next free time" forward by bytes/rate), so concurrent parts
 * share the rate fairly. Unused credit accumulates up to `burstMs` worth of bytes, which
 * lets the first chunk go at once without letting an idle period be spent as a long burst.
 */
/** The limiter's clock: monotonic milliseconds and a sleep that rejects when the signal fires. Tests inject a virtual one. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: LimiterClock = { now: () => performance.now(), sleep: (ms, signal) => sleep(ms, undefined, { signal }) };

export class ByteRateLimiter {
  readonly bytesPerSecond: number;
  private readonly burstMs: number;
  private readonly clock: LimiterClock;
  /** Time (ms, monotonic) at which all bytes reserved so far may have been sent. */
  private nextFree: number;

  constructor(bytesPerSecond: number, opts: { burstMs?: number; clock?: LimiterClock } = {}) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
    this.bytesPerSecond = bytesPerSecond;
    this.burstMs = opts.burstMs ?? 100;
    this.clock = opts.clock ?? realClock;
    this.nextFree = this.clock.now() - this.burstMs;
  }

  /** Waits until `bytes` may be sent. Rejects with ABORTED when the signal fires while waiting. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const now = this.clock.now();
    this.nextFree = Math.max(this.nextFree, now - this.burstMs) + (bytes * 1000) / this.bytesPerSecond;
    const wait = this.nextFree - now;
    if (wait <= 0) return;
    try {
      await this.clock.sleep(wait, signal);
    } catch {
      throwIfAborted(signal);
    }
  }
}
