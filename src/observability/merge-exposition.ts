// /metrics for a process group (--workers N): the control plane's exposition text and each data-plane
// worker's, merged into one. Series (a metric name with its exact label set) are summed across the
// texts: right for counters, for histogram buckets, sums and counts (each cumulative per worker, so
// their sum is cumulative too), and for gauges that count things (connections, requests in flight,
// ejected endpoints). Two kinds of gauge are not sums: `max` families report the worst worker (the
// event-loop lag), `first` families describe the same thing in every worker (certificate expiry)
// and keep the first text's value. Families keep the order they first appear in; a family's HELP
// and TYPE come from its first text. Only our own renderer's output is read (metrics.ts), so a
// series line is `name{labels} value` with the value after the last space.

export interface MergePolicy {
  /** Families whose series take the largest value. */
  max?: ReadonlySet<string>;
  /** Families whose series keep the first text's value. */
  first?: ReadonlySet<string>;
}

interface MergedFamily {
  help: string | undefined;
  type: string | undefined;
  series: Map<string, number>;
}

export const WORKER_MERGE_POLICY: MergePolicy = {
  max: new Set(['gatehouse_event_loop_lag_seconds']),
  first: new Set(['gatehouse_certificate_expiry_timestamp_seconds']),
};

export function mergeExposition(texts: readonly string[], policy: MergePolicy = WORKER_MERGE_POLICY): string {
  const families = new Map<string, MergedFamily>();
  const family = (name: string): MergedFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: undefined, type: undefined, series: new Map() };
      families.set(name, f);
    }
    return f;
  };
  for (const text of texts) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('# HELP ')) {
        const rest = line.slice(7);
        const name = rest.slice(0, rest.indexOf(' ') < 0 ? rest.length : rest.indexOf(' '));
        const f = family(name);
        f.help ??= line;
        current = name;
        continue;
      }
      if (line.startsWith('# TYPE ')) {
        const rest = line.slice(7);
        const name = rest.slice(0, rest.indexOf(' ') < 0 ? rest.length : rest.indexOf(' '));
        const f = family(name);
        f.type ??= line;
        current = name;
        continue;
      }
      if (line.startsWith('#') || current === undefined) continue;
      const space = line.lastIndexOf(' ');
      if (space <= 0) continue;
      const key = line.slice(0, space);
      const value = parseValue(line.slice(space + 1));
      const f = family(current);
      const before = f.series.get(key);
      if (before === undefined) f.series.set(key, value);
      else if (policy.max?.has(current)) f.series.set(key, Math.max(before, value));
      else if (policy.first?.has(current)) continue; // the first text's value stays
      else f.series.set(key, before + value);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help !== undefined) out.push(f.help);
    if (f.type !== undefined) out.push(f.type);
    for (const [key, value] of f.series) out.push(`${key} ${formatValue(value)}`);
  }
  return out.join('\n') + '\n';
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
