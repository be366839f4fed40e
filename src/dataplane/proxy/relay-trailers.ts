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

/** The trailers that may be relayed (undefined when none), values checked. */
export function relayableTrailers(trailers: IncomingHttpHeaders): Record<string, string | string[]> | undefined {
  let out: Record<string, string | string[]> | undefined;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || NOT_TRAILERS.has(name) || !isToken(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!values.every(isSafeHeaderValue)) continue;
    (out ??= {})[name] = value;
  }
  return out;
}

/** The trailer section of a chunked HTTP/1.1 response ('name: value\r\n' lines), '' when none. */
export function trailerSection(trailers: IncomingHttpHeaders | undefined): string {
  const out = trailers === undefined ? undefined : relayableTrailers(trailers);
  if (out === undefined) return '';
  let text = '';
  for (const name in out) {
    const value = out[name]!;
    for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r\n`;
  }
  return text;
}

export function relayTrailers(res: ServerResponse | Http2ServerResponse, trailers: IncomingHttpHeaders): void {
  const out = relayableTrailers(trailers);
  if (out === undefined) return;
  try {
    (res as ServerResponse).addTrailers(out);
  } catch {
    // Node refused a field: the response ends without trailers rather than not at all.
  }
}

/** Node's HTTP/2 single-value response fields (lib/internal/http2/util.js kSingleValueHeaders). */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/** The held head is gRPC's trailers-only answer: it carries grpc-status. */
export function isGrpcStatusHead(fields: readonly (string | string[])[] | undefined): boolean {
  if (fields === undefined) return false;
  for (let i = 0; i < fields.length; i += 2) if ((fields[i] as string).toLowerCase() === 'grpc-status') return true;
  return false;
}

/**
 * An HTTP/2 response without body nor trailers, written so that its HEADERS frame ends the stream
 * (Node's compatibility response does that when end() comes before the head is sent). gRPC's
 * "trailers-only" answers (an error status and no message) need it: a head followed by an empty
 * DATA frame is not one, and clients report INTERNAL instead of the status. False when Node refuses
 * a field (nothing is sent then).
 */
export function endHttp2WithHead(res: Http2ServerResponse, status: number, fields: readonly (string | string[])[]): boolean {
  const byName = new Map<string, string | string[]>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as string).toLowerCase();
    const value = fields[i + 1]!;
    const prev = byName.get(name);
    // Node's HTTP/2 refuses these twice, but only when the head is sent (inside end()): checked here.
    if (prev !== undefined && SINGLE_VALUE.has(name)) return false;
    byName.set(name, prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(value) ? value : [value])]);
  }
  try {
    res.statusCode = status;
    for (const [name, value] of byName) res.setHeader(name, value);
  } catch {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    return false;
  }
  res.end();
  return true;
}
