// bench/minimal-proxy.ts rebuilt on the HTTP/1 engine: the engine serves the client side, undici's
// Pool.dispatch the upstream side, nothing else (no routing, checks beyond the engine's own, header
// hygiene, log or metrics). Compared with bench/minimal-proxy.ts (Node's http server + the same
// undici dispatch) by bench/engine-proxy.ts.
// With a third argument `own`, the upstream side is the engine's own client (src/dataplane/upstream/).
// Usage: node bench/engine-minimal-proxy.ts PORT BACKEND_PORT [undici|own]
import { createServer } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { Http1Engine } from '../src/dataplane/http1/http1-engine.ts';
import type { ExchangeListener, Http1Exchange } from '../src/dataplane/http1/http1-exchange.ts';
import { UpstreamPool } from '../src/dataplane/upstream/upstream-pool.ts';
import type { UpstreamCall, UpstreamHandler } from '../src/dataplane/upstream/upstream-connection.ts';
import type { ResponseHead } from '../src/dataplane/upstream/response-head-parser.ts';
import type { UpstreamError } from '../src/dataplane/upstream/upstream-error.ts';

const [port, backendPort] = process.argv.slice(2).map(Number);
const useOwnClient = process.argv[4] === 'own';
const ownPool = new UpstreamPool('127.0.0.2', backendPort!, { maxConnections: 256 });
const pool = new Pool(`http://127.0.0.2:${backendPort}`, { connections: 256, pipelining: 1 });

/** One upstream attempt: the undici dispatch handler and the exchange's listener in one object. */
class Attempt implements Dispatcher.DispatchHandler, ExchangeListener {
  private readonly ex: Http1Exchange;
  private controller: Dispatcher.DispatchController | undefined;
  constructor(ex: Http1Exchange) {
    this.ex = ex;
  }
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }
  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    const length = headers['content-length'];
    this.ex.writeHead(status, ['content-type', String(headers['content-type'] ?? 'application/octet-stream')], length === undefined ? -1 : Number(length));
  }
  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.ex.write(chunk)) c.pause();
  }
  onResponseEnd(): void {
    this.ex.end();
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (process.env['BENCH_DEBUG']) console.error(err);
    if (!this.ex.headersSent) this.ex.respond(502, [], undefined);
    else this.ex.destroy('upstream-error');
  }
  onWritable(): void {
    this.controller?.resume();
  }
  onAbort(): void {
    this.controller?.abort(new Error('client closed'));
  }
}

/** The same attempt over the engine's own upstream client. */
class OwnAttempt implements UpstreamHandler, ExchangeListener {
  private readonly ex: Http1Exchange;
  call: UpstreamCall | undefined;
  constructor(ex: Http1Exchange) {
    this.ex = ex;
  }
  onResponseStart(_c: UpstreamCall, head: ResponseHead): void {
    let type = 'application/octet-stream';
    const h = head.rawHeaders;
    for (let i = 0; i < h.length; i += 2) if (h[i]!.length === 12 && h[i]!.toLowerCase() === 'content-type') type = h[i + 1]!;
    this.ex.writeHead(head.status, ['content-type', type], head.chunked || head.toClose ? -1 : head.contentLength);
  }
  onResponseData(_c: UpstreamCall, chunk: Buffer): boolean {
    return this.ex.write(chunk);
  }
  onResponseEnd(): void {
    this.ex.end();
  }
  onResponseError(_c: UpstreamCall, err: UpstreamError): void {
    if (!this.ex.headersSent) this.ex.respond(err.status, [], undefined);
    else this.ex.destroy('upstream-error');
  }
  onWritable(): void {
    this.call?.resume();
  }
  onAbort(): void {
    this.call?.abort();
  }
}

const engine = new Http1Engine({
  onRequest(ex) {
    if (useOwnClient) {
      const own = new OwnAttempt(ex);
      ex.listener = own;
      own.call = ownPool.request({ method: ex.method, path: ex.head.target, headers: ['host', ex.head.host ?? ''] }, own);
      return;
    }
    const attempt = new Attempt(ex);
    ex.listener = attempt;
    pool.dispatch({ method: ex.method as Dispatcher.HttpMethod, path: ex.head.target, headers: ['host', ex.head.host ?? ''], body: null }, attempt);
  },
});
createServer({ noDelay: true }, (s) => engine.serve(s)).listen(port, '127.0.0.1');
// Exit cleanly on a signal, so `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
