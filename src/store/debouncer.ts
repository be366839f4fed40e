// Coalesces bursts of changes into one rebuild: run `holdOffMs` after the last trigger, but never
// later than `maxDelayMs` after the first trigger of a burst, so a steady stream of changes still
// gets applied. Gating on the first `synced` is the caller's job (it simply does not trigger).

export interface DebouncerOptions {
  holdOffMs: number;
  maxDelayMs: number;
  run: () => void;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
}

export interface Debouncer {
  trigger(): void;
  /** Runs now if a run is pending (or `force`), cancelling the timer. */
  flush(force?: boolean): void;
  pending(): boolean;
  cancel(): void;
}

export function createDebouncer(options: DebouncerOptions): Debouncer {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let burstStart: number | undefined;

  const fire = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    burstStart = undefined;
    options.run();
  };

  return {
    trigger() {
      const t = now();
      burstStart ??= t;
      const deadline = burstStart + options.maxDelayMs;
      const delay = Math.max(0, Math.min(options.holdOffMs, deadline - t));
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, delay);
    },
    flush(force = false) {
      if (timer !== undefined || force) fire();
    },
    pending: () => timer !== undefined,
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      burstStart = undefined;
    },
  };
}
