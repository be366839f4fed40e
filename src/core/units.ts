// Durations and byte sizes as people write them in flags and annotations. Pure and strict:
// anything outside the small grammar is undefined (the caller reports it), never a guess.

/** Longest input read: no legitimate value is longer, and it bounds the work on hostile text. */
const MAX_TEXT = 32;

/** Timers cannot wait longer than this (setTimeout's 32-bit limit, about 24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * '500ms', '5s', '1.5s', '2m', '1h', and Go-style sums such as '1m30s' → milliseconds (rounded).
 * A bare '0' is zero; other numbers without a unit are refused (seconds or milliseconds?).
 */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) return undefined;
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  const ms = Math.round(total);
  return Number.isFinite(ms) && ms <= MAX_DURATION_MS ? ms : undefined;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * A byte count ('1048576') or a size with a binary unit, as nginx reads them: '1k' = 1024,
 * '10m', '1g' (also 'kb'/'ki'/'kib'... any case). Decimals allowed with a unit ('1.5m'); the
 * result is a whole number of bytes.
 */
export function parseByteSize(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) return undefined;
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text);
  if (m === null) return undefined;
  const unit = m[2]!.toLowerCase();
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) return undefined;
  if (unit === '' && m[1]!.includes('.')) return undefined; // half a byte means a typo
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Inverse for messages and --help: 1536 → '1536', 1048576 → '1m'. */
export function formatByteSize(bytes: number): string {
  for (const [unit, factor] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Inverse for messages and --help: 1500 → '1500ms', 60000 → '1m'. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
