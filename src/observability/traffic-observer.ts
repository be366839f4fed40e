// The exchange observer behind the per-request metrics and /debug/traffic. Each route target the
// data plane hands over is resolved once (labels from the route table: the route's Ingress, its
// virtual host, its Service) to a handle holding its counters; every later request on that target
// is a WeakMap hit and a few array bumps, never a string key built per request.
//
// Counters are keyed by label set, not by target: targets are rebuilt with every table, the
// counters must carry on. Series of routes gone from the table are dropped when the next view or
// scrape sees the new table (Prometheus treats a vanished series as ended).
import type { Backend, RouteTable } from '../core/route-table.ts';
import type { RouteTarget } from '../dataplane/compile-table.ts';
import { upstreamErrorKind, type ExchangeObserver, type ObservedExchange } from '../dataplane/proxy/exchange-observer.ts';
import type { EndpointHealthSnapshot } from '../dataplane/proxy/passive-health.ts';
import { methodClass, observeDuration, RouteSeries, statusClassIndex, UPSTREAM_ERROR_KINDS, type SeriesLabels } from './route-series.ts';
import { QUANTILE_WINDOW_SECONDS, RouteWindow } from './route-window.ts';

interface Handle {
  /** The rule's path ('' for a default backend), for span names and attributes. */
  readonly path: string;
  readonly series: RouteSeries;
  /** undefined for requests that matched no route. */
  readonly window: RouteWindow | undefined;
}

export interface TrafficObserverOptions {
  /** The active route table (labels are resolved against it). */
  table(): RouteTable | undefined;
  /** Per-request Prometheus series; when false only the live route statistics are kept. Default true. */
  metrics?: boolean;
  /** Monotonic milliseconds (tests). Default performance.now. */
  now?: () => number;
}

export interface TrafficRouteView {
  route: string;
  namespace: string;
  ingress: string;
  host: string;
  /** The rule's path; '' for a default backend (any path no rule matched). */
  path: string;
  service: string;
  requests: number;
  ratePerSecond: number;
  errorRatePerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface TrafficEndpointView {
  backend: string;
  address: string;
  ejected: boolean;
  inFlight: number;
}

export interface TrafficView {
  at: number;
  windowSeconds: number;
  routes: TrafficRouteView[];
  endpoints: TrafficEndpointView[];
}

const NO_LABELS: SeriesLabels = Object.freeze({ namespace: '', ingress: '', host: '', service: '' });
const QS = [0.5, 0.99] as const;

export class TrafficObserver implements ExchangeObserver {
  readonly metricsEnabled: boolean;
  readonly #table: () => RouteTable | undefined;
  readonly #now: () => number;
  readonly #byTarget = new WeakMap<RouteTarget, Handle>();
  /** By label key: the Prometheus series. */
  readonly #series = new Map<string, RouteSeries>();
  /** By route id + host: the live windows. */
  readonly #windows = new Map<string, RouteWindow>();
  readonly #unrouted: Handle = { path: '', series: new RouteSeries(NO_LABELS), window: undefined };
  /** Route id → virtual host and path, per table (built on first use). */
  readonly #routesOf = new WeakMap<RouteTable, Map<string, { host: string; path: string }>>();
  #prunedFor: RouteTable | undefined;

  constructor(options: TrafficObserverOptions) {
    this.#table = options.table;
    this.metricsEnabled = options.metrics ?? true;
    this.#now = options.now ?? (() => performance.now());
  }

  exchangeEnded(x: ObservedExchange, status: number, durationMs: number): void {
    const t = x.target;
    const h = t === undefined ? this.#unrouted : (this.#byTarget.get(t) ?? this.#resolve(t, x.host));
    if (h.window !== undefined) h.window.record(status, durationMs, x.startedAt + durationMs);
    if (!this.metricsEnabled) return;
    const s = h.series;
    s.record(methodClass(x.req.method), statusClassIndex(status), durationMs / 1000);
    s.totals[0]! += x.bytesIn;
    s.totals[1]! += x.bytesOut;
    if (x.attempts > 1) s.totals[2]! += x.attempts - 1;
    if (x.upstreamStartedAt > 0) {
      const end = x.upstreamEndedAt > 0 ? x.upstreamEndedAt : x.startedAt + durationMs;
      observeDuration(s.upstream, Math.max(0, end - x.upstreamStartedAt) / 1000);
    }
  }

  upstreamFailed(x: ObservedExchange, err: Error): void {
    if (!this.metricsEnabled || x.target === undefined) return;
    const kind = upstreamErrorKind(err);
    if (kind === undefined) return;
    const h = this.#byTarget.get(x.target) ?? this.#resolve(x.target, x.host);
    h.series.errors[UPSTREAM_ERROR_KINDS.indexOf(kind)]!++;
  }

  /** A target's labels (from the route table) and its rule's path; resolved once, then cached. */
  describe(t: RouteTarget, requestHost: string): { labels: SeriesLabels; path: string } {
    const h = this.#byTarget.get(t) ?? this.#resolve(t, requestHost);
    return { labels: h.series.labels, path: h.path };
  }

  /** Every Prometheus series with its labels (the table's routes' and the unrouted one). */
  series(): RouteSeries[] {
    this.#prune();
    return [this.#unrouted.series, ...this.#series.values()];
  }

  /** The /debug/traffic document: every route of the active table, and every endpoint with its health. */
  view(health: readonly EndpointHealthSnapshot[]): TrafficView {
    this.#prune();
    const table = this.#table();
    const now = this.#now();
    const routes: TrafficRouteView[] = [];
    const endpoints: TrafficEndpointView[] = [];
    if (table !== undefined) {
      const add = (route: string, ingress: string, host: string, path: string, backendId: string): void => {
        const { namespace, name } = splitIngress(ingress, table.backends[backendId]);
        const w = this.#windows.get(windowKey(route, host));
        const rates = w?.rates(now) ?? { ratePerSecond: 0, errorRatePerSecond: 0 };
        const [p50, p99] = w?.quantiles(now, QS) ?? [null, null];
        routes.push({ route, namespace, ingress: name, host, path, service: backendId, requests: w?.total ?? 0, ...rates, p50Ms: p50 ?? null, p99Ms: p99 ?? null });
      };
      for (const vh of table.virtualHosts) {
        for (const r of vh.routes) add(r.id, r.ingress, vh.host, r.path, r.backend);
        if (vh.defaultBackend !== undefined) add(`default:${vh.defaultBackend.ingress}`, vh.defaultBackend.ingress, vh.host, '', vh.defaultBackend.backend);
      }
      const d = table.defaultBackend;
      if (d !== undefined) add(d.ingress === undefined ? 'default' : `default:${d.ingress}`, d.ingress ?? '', '', '', d.backend);

      const byKey = new Map<string, EndpointHealthSnapshot>();
      for (const s of health) byKey.set(s.endpoint, s);
      for (const id of Object.keys(table.backends).sort()) {
        for (const e of table.backends[id]!.endpoints) {
          const address = e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
          const s = byKey.get(address);
          endpoints.push({ backend: id, address, ejected: s?.ejected ?? false, inFlight: s?.inFlight ?? 0 });
        }
      }
    }
    return { at: Date.now(), windowSeconds: QUANTILE_WINDOW_SECONDS, routes, endpoints };
  }

  /** First request on a target: its labels from the route table, then its handle, cached. */
  #resolve(t: RouteTarget, requestHost: string): Handle {
    const table = this.#table();
    const { host, path } = table === undefined ? { host: '', path: '' } : this.#routeOf(table, t, requestHost);
    const id = t.routeId;
    let ingress = '';
    if (id.startsWith('default:')) ingress = id.slice('default:'.length);
    else if (id !== 'default') {
      const hash = id.indexOf('#');
      ingress = hash < 0 ? id : id.slice(0, hash);
    }
    const { namespace, name } = splitIngress(ingress, t.backend);
    const labels: SeriesLabels = { namespace, ingress: name, host, service: t.backend.id };
    const key = `${labels.namespace}\u0000${labels.ingress}\u0000${labels.host}\u0000${labels.service}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new RouteSeries(labels);
      this.#series.set(key, series);
    }
    const wk = windowKey(id, host);
    let window = this.#windows.get(wk);
    if (window === undefined) {
      window = new RouteWindow();
      this.#windows.set(wk, window);
    }
    const handle: Handle = { path, series, window };
    this.#byTarget.set(t, handle);
    return handle;
  }

  /**
   * The virtual host (and path) a target belongs to, from the table: a rule's route by its id; a host's default
   * backend by the virtual host the request's host selects (targets are per virtual host, so the
   * first request tells); the table's catch-all has none ('').
   */
  #routeOf(table: RouteTable, t: RouteTarget, requestHost: string): { host: string; path: string } {
    let routes = this.#routesOf.get(table);
    if (routes === undefined) {
      routes = new Map();
      for (const vh of table.virtualHosts) for (const r of vh.routes) routes.set(r.id, { host: vh.host, path: r.path });
      this.#routesOf.set(table, routes);
    }
    const known = routes.get(t.routeId);
    if (known !== undefined) return known;
    if (!t.routeId.startsWith('default:')) return { host: '', path: '' };
    const vh = selectVirtualHost(table, requestHost);
    const d = vh?.defaultBackend;
    return { host: vh !== undefined && d !== undefined && `default:${d.ingress}` === t.routeId && d.backend === t.backend.id ? vh.host : '', path: '' };
  }

  /** Drops series and windows of routes no longer in the active table (once per new table). */
  #prune(): void {
    const table = this.#table();
    if (table === undefined || table === this.#prunedFor) return;
    this.#prunedFor = table;
    const windows = new Set<string>();
    const labels = new Set<string>();
    const keep = (route: string, ingress: string, host: string, backendId: string): void => {
      windows.add(windowKey(route, host));
      const { namespace, name } = splitIngress(ingress, table.backends[backendId]);
      labels.add(`${namespace}\u0000${name}\u0000${host}\u0000${backendId}`);
    };
    for (const vh of table.virtualHosts) {
      for (const r of vh.routes) keep(r.id, r.ingress, vh.host, r.backend);
      if (vh.defaultBackend !== undefined) keep(`default:${vh.defaultBackend.ingress}`, vh.defaultBackend.ingress, vh.host, vh.defaultBackend.backend);
    }
    const d = table.defaultBackend;
    if (d !== undefined) keep(d.ingress === undefined ? 'default' : `default:${d.ingress}`, d.ingress ?? '', '', d.backend);
    for (const k of this.#windows.keys()) if (!windows.has(k)) this.#windows.delete(k);
    for (const k of this.#series.keys()) if (!labels.has(k)) this.#series.delete(k);
  }
}

function windowKey(route: string, host: string): string {
  return `${route}\u0000${host}`;
}

/** 'ns/name' → its parts; without an Ingress (the --default-backend) the namespace is the Service's. */
function splitIngress(ingress: string, backend: Backend | undefined): { namespace: string; name: string } {
  const slash = ingress.indexOf('/');
  if (slash > 0) return { namespace: ingress.slice(0, slash), name: ingress.slice(slash + 1) };
  return { namespace: backend?.namespace ?? '', name: '' };
}

/** The virtual host a request host selects: exact, then one-label wildcard, then '*' (docs/routing.md). */
function selectVirtualHost(table: RouteTable, host: string): RouteTable['virtualHosts'][number] | undefined {
  const find = (name: string): RouteTable['virtualHosts'][number] | undefined => table.virtualHosts.find((v) => v.host === name);
  const dot = host.indexOf('.');
  return find(host) ?? (dot > 0 ? find(`*${host.slice(dot)}`) : undefined) ?? find('*');
}
