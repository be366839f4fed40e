// A real Http1Engine on 127.0.0.1 with a trivial handler, for the engine's tests: every request
// that reaches the handler is recorded (so a test can assert a smuggled one never did), the body
// is read whole, and the answer is JSON describing what the handler saw. OPTIONS * is answered
// with an Allow header, as the data plane does.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Http1Engine, type Http1Handler, type Http1Rejection } from '../../src/dataplane/http1/http1-engine.ts';
import type { Http1EngineOptions } from '../../src/dataplane/http1/engine-options.ts';
import type { ExchangeListener, Http1Exchange } from '../../src/dataplane/http1/http1-exchange.ts';

export interface SeenRequest {
  method: string;
  target: string;
  path: string;
  query: string;
  authority: string | undefined;
  rawHeaders: string[];
  body: Buffer;
  complete: boolean;
  aborted: string;
}

export interface EngineFixture {
  port: number;
  engine: Http1Engine;
  server: Server | TlsServer;
  seen: SeenRequest[];
  rejections: Http1Rejection[];
  /** Replace the handler's answer once the body is read (default: echo). */
  handle: ((ex: Http1Exchange, rec: SeenRequest) => void) | undefined;
  /** Called first for every request head; returning true means it took the request over. */
  intercept: ((ex: Http1Exchange, rec: SeenRequest) => boolean) | undefined;
  reset(): void;
  close(): Promise<void>;
}

/** Reads the whole body, then echoes what was seen as JSON. */
class EchoListener implements ExchangeListener {
  private readonly f: EngineFixture;
  constructor(f: EngineFixture) {
    this.f = f;
  }
  onBodyData(ex: Http1Exchange, chunk: Buffer): boolean {
    const rec = ex.context as SeenRequest;
    rec.body = Buffer.concat([rec.body, chunk]);
    return true;
  }
  onBodyEnd(ex: Http1Exchange): void {
    const rec = ex.context as SeenRequest;
    rec.complete = true;
    if (this.f.handle !== undefined) return this.f.handle(ex, rec);
    echo(ex, rec);
  }
  onAbort(ex: Http1Exchange, reason: string): void {
    (ex.context as SeenRequest).aborted = reason;
  }
}

export function echo(ex: Http1Exchange, rec: SeenRequest): void {
  const body = JSON.stringify({ method: rec.method, url: rec.target, path: rec.path, query: rec.query, authority: rec.authority, rawHeaders: rec.rawHeaders, bodyBytes: rec.body.length, body: rec.body.toString('latin1') });
  ex.respond(200, ['content-type', 'application/json'], body);
}

export async function startEngineFixture(options: Partial<Http1EngineOptions> = {}, tls?: { key: string | Buffer; cert: string | Buffer }): Promise<EngineFixture> {
  const f = { seen: [], rejections: [], handle: undefined, intercept: undefined } as unknown as EngineFixture;
  const listener = new EchoListener(f);
  const handler: Http1Handler = {
    onRequest(ex) {
      const h = ex.head;
      const rec: SeenRequest = { method: h.method, target: h.target, path: h.path, query: h.query, authority: h.authority, rawHeaders: h.rawHeaders, body: Buffer.alloc(0), complete: false, aborted: '' };
      f.seen.push(rec);
      ex.context = rec;
      if (f.intercept?.(ex, rec) === true) return;
      if (h.method === 'OPTIONS' && h.path === '*') {
        ex.respond(200, ['allow', 'OPTIONS, GET, HEAD, POST, PUT, PATCH, DELETE'], undefined);
        return;
      }
      if (h.expectContinue) ex.writeContinue();
      ex.readBody(listener);
    },
    onRejected(r) {
      f.rejections.push(r);
    },
  };
  const engine = new Http1Engine(handler, options);
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert, ALPNProtocols: ['http/1.1'] }, (s) => engine.serve(s)) : createServer({ noDelay: true }, (s: Socket) => engine.serve(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  f.port = (server.address() as AddressInfo).port;
  f.engine = engine;
  f.server = server;
  f.reset = () => {
    f.seen.length = 0;
    f.rejections.length = 0;
    f.handle = undefined;
    f.intercept = undefined;
  };
  f.close = async () => {
    engine.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return f;
}
