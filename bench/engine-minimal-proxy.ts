// bench/minimal-proxy.ts rebuilt on the HTTP/1 engine: the engine serves the client side, undici's
// Pool.dispatch the upstream side, nothing else (no routing, checks beyond the engine's own, header
// hygiene, log or metrics). Compared with bench/minimal-proxy.ts (Node's http server + the same
// undici dispatch) by bench/engine-proxy.ts.
// Usage: node bench/engine-minimal-proxy.ts PORT BACKEND_PORT
import { createServer } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { Http1Engine } from '../src/dataplane/http1/http1-engine.ts';
import type { ExchangeListener, Http1Exchange } from '../src/dataplane/http1/http1-exchange.ts';

const [port, backendPort] = process.argv.slice(2).map(Number);
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

const engine = new Http1Engine({
  onRequest(ex) {
    const attempt = new Attempt(ex);
    ex.listener = attempt;
    pool.dispatch({ method: ex.method as Dispatcher.HttpMethod, path: ex.head.target, headers: ['host', ex.head.host ?? ''], body: null }, attempt);
  },
});
createServer({ noDelay: true }, (s) => engine.serve(s)).listen(port, '127.0.0.1');
