// Live statistics of one route for /debug/traffic and the dashboard: a total, a ring of per-second
// buckets (requests and 5xx answers) for rates over the last 10 s, and a small log-scale latency
// histogram per 10 s slice (six slices: the last minute) for p50/p99. Fixed size, plain numeric
// arrays: recording a request is a few array bumps, nothing is allocated.

/** Seconds of per-second buckets kept for rates. */
export const RATE_WINDOW_SECONDS = 10;
/** Seconds covered by the latency quantiles. */
export const QUANTILE_WINDOW_SECONDS = 60;
const SLICE_SECONDS = 10;
const SLICES = QUANTILE_WINDOW_SECONDS / SLICE_SECONDS;

// Latency buckets: bound(i) = 0.1 ms × 2^(i/4), i = 0..79 (0.1 ms to about 100 s, 19% apart), plus
// one overflow bucket. A quantile is interpolated inside its bucket.
const MIN_MS = 0.1;
const STEPS_PER_DOUBLING = 4;
export const LATENCY_BUCKETS = 80;
const BUCKET_STRIDE = LATENCY_BUCKETS + 1;

export function latencyBucket(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log2(ms / MIN_MS) * STEPS_PER_DOUBLING);
  return i > LATENCY_BUCKETS ? LATENCY_BUCKETS : i;
}

/** Upper bound (ms) of bucket i; the overflow bucket has none (Infinity). */
export function latencyBound(i: number): number {
  return i >= LATENCY_BUCKETS ? Infinity : MIN_MS * 2 ** (i / STEPS_PER_DOUBLING);
}

export class RouteWindow {
  /** Requests since start (or since this route first appeared). */
  total = 0;
  readonly #requests = new Float64Array(RATE_WINDOW_SECONDS);
  readonly #errors = new Float64Array(RATE_WINDOW_SECONDS);
  /** The second (monotonic, whole) of the newest rate bucket; -1 before the first request. */
  #second = -1;
  readonly #latency = new Uint32Array(SLICES * BUCKET_STRIDE);
  #slice = -1;

  /** One finished request: its status and duration, at monotonic time nowMs. */
  record(status: number, durationMs: number, nowMs: number): void {
    this.total++;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) this.#advanceSeconds(second);
    const r = second % RATE_WINDOW_SECONDS;
    this.#requests[r]!++;
    if (status >= 500 && status < 600) this.#errors[r]!++;
    const slice = Math.floor(second / SLICE_SECONDS);
    if (slice !== this.#slice) this.#advanceSlices(slice);
    this.#latency[(slice % SLICES) * BUCKET_STRIDE + latencyBucket(durationMs)]!++;
  }

  /** Requests and 5xx answers per second over the last 10 s (the current second pro rata). */
  rates(nowMs: number): { ratePerSecond: number; errorRatePerSecond: number } {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second && this.#second >= 0) this.#advanceSeconds(second);
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < RATE_WINDOW_SECONDS; i++) {
      requests += this.#requests[i]!;
      errors += this.#errors[i]!;
    }
    // Nine whole seconds plus the part of the current one that has passed.
    const span = RATE_WINDOW_SECONDS - 1 + (nowMs - second * 1000) / 1000;
    return { ratePerSecond: round3(requests / span), errorRatePerSecond: round3(errors / span) };
  }

  /** Latency quantiles (ms) over the last minute, or null without requests in it. */
  quantiles(nowMs: number, qs: readonly number[]): (number | null)[] {
    const slice = Math.floor(Math.floor(nowMs / 1000) / SLICE_SECONDS);
    if (slice !== this.#slice && this.#slice >= 0) this.#advanceSlices(slice);
    const merged = new Float64Array(BUCKET_STRIDE);
    let count = 0;
    for (let s = 0; s < SLICES; s++) {
      for (let b = 0; b < BUCKET_STRIDE; b++) {
        const n = this.#latency[s * BUCKET_STRIDE + b]!;
        merged[b]! += n;
        count += n;
      }
    }
    return qs.map((q) => (count === 0 ? null : quantileOf(merged, count, q)));
  }

  #advanceSeconds(second: number): void {
    const steps = this.#second < 0 ? RATE_WINDOW_SECONDS : Math.min(second - this.#second, RATE_WINDOW_SECONDS);
    for (let s = 1; s <= steps; s++) {
      const i = (this.#second < 0 ? second + s : this.#second + s) % RATE_WINDOW_SECONDS;
      this.#requests[i] = 0;
      this.#errors[i] = 0;
    }
    this.#second = second;
  }

  #advanceSlices(slice: number): void {
    const steps = this.#slice < 0 ? SLICES : Math.min(slice - this.#slice, SLICES);
    for (let s = 1; s <= steps; s++) {
      const i = ((this.#slice < 0 ? slice + s : this.#slice + s) % SLICES) * BUCKET_STRIDE;
      this.#latency.fill(0, i, i + BUCKET_STRIDE);
    }
    this.#slice = slice;
  }
}

/** The q-quantile of a bucketed distribution, interpolated linearly inside its bucket. */
function quantileOf(buckets: Float64Array, count: number, q: number): number {
  const rank = q * count;
  let seen = 0;
  for (let b = 0; b < buckets.length; b++) {
    const n = buckets[b]!;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = b === 0 ? 0 : latencyBound(b - 1);
      // The overflow bucket has no upper bound: report its lower one.
      const upper = b >= LATENCY_BUCKETS ? lower : latencyBound(b);
      return round3(lower + ((upper - lower) * Math.max(0, rank - seen)) / n);
    }
    seen += n;
  }
  return round3(latencyBound(LATENCY_BUCKETS - 1));
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
