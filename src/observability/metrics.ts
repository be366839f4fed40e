// A small Prometheus registry: counters and gauges with labels, rendered in the text exposition
// format. Enough for what Gatehouse exports; no dependency needed. Label values are escaped as
// the format requires, so a tenant string in a label cannot break the output.

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

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface MetricsRegistry {
  counter(options: MetricOptions): Counter;
  gauge(options: MetricOptions): Gauge;
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

export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const collectors: (() => void)[] = [];

  const register = (type: Family['type'], options: MetricOptions): Family => {
    if (!NAME.test(options.name)) throw new TypeError(`invalid metric name ${options.name}`);
    for (const l of options.labelNames ?? []) if (!LABEL.test(l)) throw new TypeError(`invalid label name ${l}`);
    if (families.has(options.name)) throw new TypeError(`metric ${options.name} registered twice`);
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
        out.push(`# HELP ${family.options.name} ${escapeHelp(family.options.help)}`);
        out.push(`# TYPE ${family.options.name} ${family.type}`);
        // An unlabelled metric always shows, even at zero, so dashboards see it from the start.
        if (family.series.size === 0 && (family.options.labelNames ?? []).length === 0) seriesOf(family);
        const series = [...family.series.values()].sort((a, b) => compare(labelText(a.labels), labelText(b.labels)));
        for (const s of series) out.push(`${family.options.name}${labelText(s.labels)} ${formatValue(s.value)}`);
      }
      return out.join('\n') + '\n';
    },
  };
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
