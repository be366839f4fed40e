// Where client requests enter the one flow: the HTTP/1 engine's handler (one per scheme) and the
// 'request' listener of node:http2 servers. A bug in the flow costs one request, never the process.
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Http1Handler, Http1Rejection } from '../http1/http1-engine.ts';
import type { ClientErrorEntry } from '../http/access-log.ts';
import { plainAddress } from '../http/client-address.ts';
import { ProxyExchange, type ExchangeRuntime } from '../proxy/proxy-exchange.ts';
import type { ClientSide } from './client-side.ts';
import { Http1ClientSide } from './http1-client-side.ts';
import { Http2ClientSide } from './http2-client-side.ts';

// Engine refusals that happen while an exchange is in flight: the exchange writes their line.
const LOGGED_BY_EXCHANGE = new Set(['request-timeout', 'send-timeout', 'invalid-body']);

/** The engine's handler: every checked request becomes an exchange; refusals go to the access log. */
export function http1Handler(rt: ExchangeRuntime, scheme: 'http' | 'https'): Http1Handler {
  return {
    onRequest(ex) {
      run(rt, scheme, new Http1ClientSide(ex));
    },
    onRejected(rejection: Http1Rejection) {
      const log = rt.options.accessLog;
      if (log === undefined || LOGGED_BY_EXCHANGE.has(rejection.code)) return;
      // As Node's clientError path logged them: the status, the client, which limit fired.
      const entry: ClientErrorEntry = { status: rejection.status, client: plainAddress(rejection.remoteAddress), error: rejection.code };
      const limit = rejection.status === 431 ? 'max-header-size' : rejection.status === 408 ? 'headers-timeout' : undefined;
      if (limit !== undefined) entry.limit = limit;
      log.write(entry);
    },
    onHandlerError(err) {
      rt.options.logger.error('request handler failed', { err });
    },
  };
}

export type Http2RequestListener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** The 'request' (and 'checkContinue') listener of an HTTP/2 server (TLS or h2c). */
export function http2RequestListener(rt: ExchangeRuntime, scheme: 'http' | 'https'): Http2RequestListener {
  const checks = rt.requestChecks;
  const sendTimeoutMs = rt.options.limits.clientSendTimeoutMs;
  return (req, res) => run(rt, scheme, new Http2ClientSide(req, res, checks, sendTimeoutMs));
}

function run(rt: ExchangeRuntime, scheme: 'http' | 'https', client: ClientSide): void {
  const exchange = new ProxyExchange(rt, scheme, client);
  try {
    exchange.run();
  } catch (err) {
    rt.options.logger.error('request handler failed', { err, path: exchange.path, host: exchange.host });
    exchange.error = 'ERR_INTERNAL';
    try {
      if (!client.headersSent) exchange.respondPlain(500, true);
      else exchange.abortClient();
    } catch {
      client.abort('error');
    }
  }
}
