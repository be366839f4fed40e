// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format, plus families whose samples are read at scrape time from numeric arrays kept
// elsewhere (the per-request series, which must not pay for a labelled lookup per request). No
// dependency needed. Label values are escaped as the format requires, so a tenant string in a
// label cannot break the output.

export type Labels = Record<string, string>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels | undefined, value: number): void;
  inc(labels?: Labels, value?: number): void;
  get(labels?: Labels): number;
  /** Drops every labelled series (a gauge that describes the current state, rebuilt each time). */
  reset(): void;
}

export interface Histogram {
  observe(labels: Labels | undefined, value: number): void;
}

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending (+Inf is implied). */
  buckets: readonly number[];
}

/** A scrape-time sample: label values in labelNames order. */
export interface Sample {
  labels: readonly string[];
  value: number;
}

/**
 * A scrape-time histogram sample over a cell laid out as [count, sum, bucket 0 … bucket n-1] from
 * `offset` (per-bucket counts, not cumulative; observations above the last bound are in count only).
 */
export interface HistogramSample {
  labels: readonly string[];
  cells: ArrayLike<number>;
  offset?: number;
}

export type CollectedFamily =
  | (MetricOptions & { type: 'counter' | 'gauge'; samples(): Iterable<Sample> })
  | (HistogramOptions & { type: 'histogram'; samples(): Iterable<HistogramSample> });

export interface MetricsRegistry {
  counter(options: MetricOptions): Counter;
  gauge(options: MetricOptions): Gauge;
  histogram(options: HistogramOptions): Histogram;
  /** A family whose samples are produced at each scrape (the caller keeps the numbers). */
  collected(family: CollectedFamily): void;
  /** Runs before every render: for values read from elsewhere at scrape time (gauges of live state). */
  onCollect(collect: () => void): void;
  /** The exposition text (Content-Type: text/plain; version=0.0.4). */
  render(): string;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  type: 'counter' | 'gauge';
  options: MetricOptions;
  series: Map<string, { labels: Labels; value: number }>;
}

interface HistogramFamily {
  type: 'histogram';
  options: HistogramOptions;
  series: Map<string, { labels: readonly string[]; cells: Float64Array }>;
}

type AnyFamily = Family | HistogramFamily | { type: 'collected'; options: CollectedFamily };

export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, AnyFamily>();
  const collectors: (() => void)[] = [];

  const check = (options: MetricOptions): void => {
    if (!NAME.test(options.name)) throw new TypeError(`invalid metric name ${options.name}`);
    for (const l of options.labelNames ?? []) if (!LABEL.test(l) || l === 'le') throw new TypeError(`invalid label name ${l}`);
    if (families.has(options.name)) throw new TypeError(`metric ${options.name} registered twice`);
    if ('buckets' in options) {
      const b = (options as HistogramOptions).buckets;
      for (let i = 0; i < b.length; i++) {
        if (!Number.isFinite(b[i]) || (i > 0 && b[i]! <= b[i - 1]!)) throw new TypeError(`histogram ${options.name}: buckets must be finite and ascending`);
      }
    }
  };

  const register = (type: Family['type'], options: MetricOptions): Family => {
    check(options);
    const family: Family = { type, options, series: new Map() };
    families.set(options.name, family);
    return family;
  };

  const seriesOf = (family: Family, labels: Labels = {}): { labels: Labels; value: number } => {
    const names = family.options.labelNames ?? [];
    const clean: Labels = {};
    for (const n of names) clean[n] = labels[n] ?? '';
    const key = names.map((n) => clean[n]).join('\u0000');
    let s = family.series.get(key);
    if (s === undefined) {
      s = { labels: clean, value: 0 };
      family.series.set(key, s);
    }
    return s;
  };

  return {
    counter(options) {
      const family = register('counter', options);
      return {
        inc(labels, value = 1) {
          if (value < 0 || !Number.isFinite(value)) return; // counters only go up
          seriesOf(family, labels).value += value;
        },
        get: (labels) => seriesOf(family, labels).value,
      };
    },
    gauge(options) {
      const family = register('gauge', options);
      return {
        set(labels, value) {
          seriesOf(family, labels).value = value;
        },
        inc(labels, value = 1) {
          seriesOf(family, labels).value += value;
        },
        get: (labels) => seriesOf(family, labels).value,
        reset() {
          family.series.clear();
        },
      };
    },
    histogram(options) {
      check(options);
      const family: HistogramFamily = { type: 'histogram', options, series: new Map() };
      families.set(options.name, family);
      const names = options.labelNames ?? [];
      return {
        observe(labels, value) {
          if (!Number.isFinite(value)) return;
          const values = names.map((n) => labels?.[n] ?? '');
          const key = values.join('\u0000');
          let s = family.series.get(key);
          if (s === undefined) {
            s = { labels: values, cells: new Float64Array(options.buckets.length + 2) };
            family.series.set(key, s);
          }
          observeCell(s.cells, 0, options.buckets, value);
        },
      };
    },
    collected(family) {
      check(family);
      families.set(family.name, { type: 'collected', options: family });
    },
    onCollect(collect) {
      collectors.push(collect);
    },
    render() {
      for (const collect of collectors) {
        try {
          collect();
        } catch {
          // A failing collector leaves its gauges at their last values; the scrape still answers.
        }
      }
      const out: string[] = [];
      for (const family of families.values()) {
        const type = family.type === 'collected' ? family.options.type : family.type;
        out.push(`# HELP ${family.options.name} ${escapeHelp(family.options.help)}`);
        out.push(`# TYPE ${family.options.name} ${type}`);
        if (family.type === 'histogram') {
          const names = family.options.labelNames ?? [];
          for (const s of sortedByLabels([...family.series.values()], names)) renderHistogram(out, family.options.name, names, family.options.buckets, s.labels, s.cells, 0);
          continue;
        }
        if (family.type === 'collected') {
          renderCollected(out, family.options);
          continue;
        }
        // An unlabelled metric always shows, even at zero, so dashboards see it from the start.
        if (family.series.size === 0 && (family.options.labelNames ?? []).length === 0) seriesOf(family);
        const series = [...family.series.values()].sort((a, b) => compare(labelText(a.labels), labelText(b.labels)));
        for (const s of series) out.push(`${family.options.name}${labelText(s.labels)} ${formatValue(s.value)}`);
      }
      return out.join('\n') + '\n';
    },
  };
}

/** Adds one observation to a [count, sum, buckets…] cell. */
export function observeCell(cells: Float64Array, offset: number, bounds: readonly number[], value: number): void {
  cells[offset]!++;
  cells[offset + 1]! += value;
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]!) {
      cells[offset + 2 + i]!++;
      return;
    }
  }
}

function renderCollected(out: string[], family: CollectedFamily): void {
  const names = family.labelNames ?? [];
  if (family.type === 'histogram') {
    const samples = sortedByLabels([...family.samples()], names);
    for (const s of samples) renderHistogram(out, family.name, names, family.buckets, s.labels, s.cells, s.offset ?? 0);
    return;
  }
  const samples = sortedByLabels([...family.samples()], names);
  for (const s of samples) out.push(`${family.name}${pairsText(names, s.labels)} ${formatValue(s.value)}`);
}

function renderHistogram(out: string[], name: string, names: readonly string[], bounds: readonly number[], labels: readonly string[], cells: ArrayLike<number>, offset: number): void {
  const base = names.map((n, i) => `${n}="${escapeLabel(labels[i] ?? '')}"`);
  const prefix = base.length === 0 ? '{' : `{${base.join(',')},`;
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += cells[offset + 2 + i]!;
    out.push(`${name}_bucket${prefix}le="${formatValue(bounds[i]!)}"} ${formatValue(cumulative)}`);
  }
  const count = cells[offset]!;
  out.push(`${name}_bucket${prefix}le="+Inf"} ${formatValue(count)}`);
  const plain = base.length === 0 ? '' : `{${base.join(',')}}`;
  out.push(`${name}_sum${plain} ${formatValue(cells[offset + 1]!)}`);
  out.push(`${name}_count${plain} ${formatValue(count)}`);
}

function sortedByLabels<T extends { labels: readonly string[] }>(samples: T[], names: readonly string[]): T[] {
  const keyed = samples.map((s) => ({ s, k: pairsText(names, s.labels) }));
  keyed.sort((a, b) => compare(a.k, b.k));
  return keyed.map((x) => x.s);
}

function pairsText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
