// Exponential backoff with jitter, so that many watches failing together (an API server restart)
// do not come back in lock-step.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1]. */
  jitter?: number;
}

// Capped at 10 s: after an API server outage Gatehouse is back within seconds of it, and even many
// replicas retrying five watches each every 10 s are no load for an API server.
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jitter = options.jitter ?? 0;
  return Math.round(exp * (1 - jitter * random()));
}

/** Resolves after ms, or early (without throwing) when signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
