// The 'request' listener for every listener the data plane serves. It works with Node's HTTP/1
// (IncomingMessage/ServerResponse) and the HTTP/2 compatibility API (Http2ServerRequest/
// Http2ServerResponse), as an http2 secure server with allowHTTP1 hands out both.
import { ProxyExchange, type ClientRequest, type ClientResponse, type ExchangeRuntime } from '../proxy/proxy-exchange.ts';

export type RequestHandler = (req: ClientRequest, res: ClientResponse) => void;

export function createRequestHandler(rt: ExchangeRuntime, scheme: 'http' | 'https'): RequestHandler {
  return function handleRequest(req: ClientRequest, res: ClientResponse): void {
    new ProxyExchange(rt, scheme, req, res).run();
  };
}
