/** A rate over a sliding time window, for progress displays. */

/** Samples of a growing count; `rate()` is the count's growth per second over about the last `windowMs`. */
export interface RateMeter {
  /** Records the count `done` at time `t` (ms). */
  sample(t: number, done: number): void;
  /** Units per second over the window; undefined until two samples lie apart in time. */
  rate(): number | undefined;
}

/** Creates a rate meter whose window spans `windowMs` (at least the two latest samples). */
export function createRateMeter(windowMs: number): RateMeter {
  const samples: { t: number; done: number }[] = [];
  // samples closer together than this replace the newest one: a few dozen samples per window, however often updates come
  const step = windowMs / 32;
  return {
    sample(t, done) {
      const n = samples.length;
      if (n >= 2 && t - samples[n - 2].t < step) samples[n - 1] = { t, done };
      else samples.push({ t, done });
      // keep one sample at or before the window's start, so the rate spans the whole window
      while (samples.length > 2 && samples[1].t <= t - windowMs) samples.shift();
    },
    rate() {
      if (samples.length < 2) return undefined;
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (last.t <= first.t) return undefined;
      return (last.done - first.done) / ((last.t - first.t) / 1000);
    },
  };
}
