// The 'request' listener for every listener the data plane serves. It works with Node's HTTP/1
// (IncomingMessage/ServerResponse) and the HTTP/2 compatibility API (Http2ServerRequest/
// Http2ServerResponse), as an http2 secure server with allowHTTP1 hands out both.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { ProxyExchange, type ClientRequest, type ClientResponse, type ExchangeRuntime } from '../proxy/proxy-exchange.ts';
import { enterPipelineGate } from './pipeline-gate.ts';

export type RequestHandler = (req: ClientRequest, res: ClientResponse) => void;

export function createRequestHandler(rt: ExchangeRuntime, scheme: 'http' | 'https'): RequestHandler {
  const maxQueued = rt.options.limits.maxQueuedPipelinedRequests;
  const start = (req: ClientRequest, res: ClientResponse): void => {
    const exchange = new ProxyExchange(rt, scheme, req, res);
    try {
      exchange.run();
    } catch (err) {
      // A bug must cost one request, never the process (a throw here would be uncaught).
      failRequest(rt, exchange, res, err);
    }
  };
  return function handleRequest(req: ClientRequest, res: ClientResponse): void {
    // HTTP/2 streams are independent; an HTTP/1 connection's requests go upstream one at a time.
    if (req.httpVersionMajor === 2) return start(req, res);
    enterPipelineGate(req as IncomingMessage, res as ServerResponse, start, maxQueued);
  };
}

function failRequest(rt: ExchangeRuntime, exchange: ProxyExchange, res: ClientResponse, err: unknown): void {
  rt.options.logger.error('request handler failed', { err, path: exchange.path, host: exchange.host });
  exchange.error = 'ERR_INTERNAL';
  try {
    if (!res.headersSent) exchange.respondPlain(500, true);
    else exchange.abortClient();
  } catch {
    if (exchange.isH2) (res as Http2ServerResponse).stream.destroy();
    else (res as ServerResponse).destroy();
  }
}
