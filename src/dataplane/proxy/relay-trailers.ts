// The backend's response trailers (gRPC sends its status as trailers: grpc-status, grpc-message)
// relayed to the client as trailers: HTTP/2 trailers, or HTTP/1.1 chunked-encoding trailers (Node
// drops them when the response is not chunked, as RFC 9112 §7.1.2 allows). Fields that must not be
// trailers (RFC 9110 §6.5.1: framing, routing, connection-specific) or that Node refuses are left out.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { isSafeHeaderValue, isToken } from '../http/header-value.ts';

const NOT_TRAILERS = new Set([
  'content-length',
  'content-encoding',
  'content-type',
  'content-range',
  'transfer-encoding',
  'trailer',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'upgrade',
  'set-cookie',
  'authorization',
  'cache-control',
  'expect',
  'max-forwards',
]);

export function relayTrailers(res: ServerResponse | Http2ServerResponse, trailers: IncomingHttpHeaders): void {
  let out: Record<string, string | string[]> | undefined;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || NOT_TRAILERS.has(name) || !isToken(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!values.every(isSafeHeaderValue)) continue;
    (out ??= {})[name] = value;
  }
  if (out === undefined) return;
  try {
    (res as ServerResponse).addTrailers(out);
  } catch {
    // Node refused a field: the response ends without trailers rather than not at all.
  }
}
