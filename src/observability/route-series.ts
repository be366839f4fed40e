// The per-request counters behind the gatehouse_http_* and gatehouse_upstream_* metrics, for one
// label set (namespace, ingress, host, service). Plain numeric arrays, so recording is array bumps
// and series from several workers could be summed cell by cell. A (method class × status class)
// cell gets its duration histogram on first use: most routes only ever see a few of the 48.

import { observeCell } from './metrics.ts';

export const METHOD_CLASSES = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'other'] as const;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
export const UPSTREAM_ERROR_KINDS = ['connect', 'reset', 'timeout', 'malformed'] as const;

/** Request and upstream duration buckets (seconds): sub-millisecond proxying up to slow uploads. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

/** Histogram cell layout: [count, sum, bucket 0 .. bucket n-1] (per-bucket counts, not cumulative; +Inf is the count). */
export const HISTOGRAM_STRIDE = DURATION_BUCKETS.length + 2;

export function methodClass(method: string | undefined): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'PATCH':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return 7;
  }
}

export function statusClassIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
}

/** Adds one observation (seconds) to a duration histogram cell. */
export function observeDuration(cells: Float64Array, seconds: number): void {
  observeCell(cells, 0, DURATION_BUCKETS, seconds);
}

export interface SeriesLabels {
  readonly namespace: string;
  readonly ingress: string;
  readonly host: string;
  readonly service: string;
}

export class RouteSeries {
  readonly labels: SeriesLabels;
  /** Per method class × status class: a duration histogram cell, allocated on first use. */
  readonly requests: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(METHOD_CLASSES.length * STATUS_CLASSES.length).fill(undefined);
  /** Upstream response time (last attempt), one histogram cell. */
  readonly upstream = new Float64Array(HISTOGRAM_STRIDE);
  /** [request bytes, response bytes, retries]. */
  readonly totals = new Float64Array(3);
  /** By UPSTREAM_ERROR_KINDS. */
  readonly errors = new Float64Array(UPSTREAM_ERROR_KINDS.length);

  constructor(labels: SeriesLabels) {
    this.labels = labels;
  }

  record(method: number, status: number, seconds: number): void {
    const i = method * STATUS_CLASSES.length + status;
    let cell = this.requests[i];
    if (cell === undefined) {
      cell = new Float64Array(HISTOGRAM_STRIDE);
      this.requests[i] = cell;
    }
    observeDuration(cell, seconds);
  }
}
