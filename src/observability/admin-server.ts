// The admin listener: probes, metrics and read-only debug views. Never tenant-facing; it serves
// only what Gatehouse computed (the table with key material redacted, diagnostics, counters).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Diagnostic } from '../core/diagnostics.ts';
import { redactTable, type RouteTable } from '../core/route-table.ts';
import { DASHBOARD_CSP, type DashboardAsset, type DashboardAssets } from './dashboard-assets.ts';
import type { Logger } from './logger.ts';
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from './metrics.ts';

export interface AdminState {
  /** undefined when ready; else why not (shown in the 503 body). */
  notReadyReason(): string | undefined;
  /** The table the data plane serves, or undefined before the first one. */
  table(): RouteTable | undefined;
  diagnostics(): readonly Diagnostic[];
}

export interface AdminServerOptions {
  state: AdminState;
  metrics: MetricsRegistry;
  logger: Logger;
  /** More read-only JSON views: `/debug/<name>` answers with what the function returns (or resolves to). */
  debug?: Record<string, () => unknown>;
  /** The /metrics text when it is gathered from elsewhere too (--workers N); else `metrics.render()`. */
  renderMetrics?: () => Promise<string>;
  /** The dashboard's pages (`/` and `/dashboard/...`), read-only, under a strict CSP. */
  dashboard?: DashboardAssets;
  /** /debug/explain?url=...&header=...&clientIp=...: where a URL goes (the app wires it). */
  explain?: (query: URLSearchParams) => AdminAnswer;
}

/** A JSON answer with its status, for views that take parameters. */
export interface AdminAnswer {
  status: number;
  body: unknown;
}

export function createAdminServer(options: AdminServerOptions): Server {
  const log = options.logger.child({ component: 'admin' });
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    try {
      handle(req, res, options);
    } catch (err) {
      log.error('admin request failed', { err, path: safePath(req.url) });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return server;
}

function handle(req: IncomingMessage, res: ServerResponse, options: AdminServerOptions): void {
  const path = safePath(req.url);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  const asset = options.dashboard?.get(path);
  if (asset !== undefined) return sendAsset(res, asset);
  switch (path) {
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz': {
      const reason = options.state.notReadyReason();
      return reason === undefined
        ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n')
        : send(res, 503, 'text/plain; charset=utf-8', `not ready: ${reason}\n`);
    }
    case '/metrics':
      options.state.notReadyReason(); // readiness is computed on demand; keep its gauge current
      if (options.renderMetrics !== undefined) return later(res, options.renderMetrics(), (text) => send(res, 200, METRICS_CONTENT_TYPE, text));
      return send(res, 200, METRICS_CONTENT_TYPE, options.metrics.render());
    case '/debug/routes': {
      const table = options.state.table();
      return sendJson(res, table === undefined ? { applied: false } : { applied: true, table: redactTable(table) });
    }
    case '/debug/explain': {
      if (options.explain === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      const answer = options.explain(queryOf(req.url));
      return send(res, answer.status, 'application/json; charset=utf-8', JSON.stringify(answer.body, null, 2) + '\n');
    }
    case '/debug/diagnostics': {
      const diagnostics = options.state.diagnostics();
      const counts = { error: 0, warning: 0, info: 0 };
      for (const d of diagnostics) counts[d.severity]++;
      return sendJson(res, { counts, diagnostics });
    }
    case '/': {
      const extra = Object.keys(options.debug ?? {}).map((n) => ` /debug/${n}`).join('');
      return send(res, 200, 'text/plain; charset=utf-8', `Gatehouse admin: /healthz /readyz /metrics /debug/routes /debug/diagnostics${extra}\n`);
    }
    default: {
      const name = path.startsWith('/debug/') ? path.slice('/debug/'.length) : '';
      const views = options.debug ?? {};
      // hasOwn: a path such as /debug/constructor must not reach Object.prototype.
      if (name !== '' && Object.hasOwn(views, name)) {
        const view = views[name]!();
        return view instanceof Promise ? later(res, view, (v) => sendJson(res, v)) : sendJson(res, view);
      }
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }
}

/** Answers once `value` resolves (views gathered from worker threads); 500 if it fails. */
function later<T>(res: ServerResponse, value: Promise<T>, answer: (v: T) => void): void {
  value.then(answer, () => {
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    else res.destroy();
  });
}

function sendJson(res: ServerResponse, body: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(body, null, 2) + '\n');
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

function sendAsset(res: ServerResponse, asset: DashboardAsset): void {
  res.writeHead(200, {
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.length,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(res.req.method === 'HEAD' ? undefined : asset.body);
}

function queryOf(url: string | undefined): URLSearchParams {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
}

function safePath(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return (q < 0 ? raw : raw.slice(0, q)).slice(0, 200);
}
