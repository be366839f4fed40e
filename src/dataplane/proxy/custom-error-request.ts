// custom-http-errors, the decision: does this answer go to the error backend, and with which
// request. Pure: the facts of the exchange in, the request (or undefined: relay the answer) out.
//
// ingress-nginx's `@custom_<backend>_<code>` location (rootfs/etc/nginx/template/nginx.tmpl,
// CUSTOM_ERRORS) asks the error backend with `rewrite (.*) / break` (the path becomes `/`, the
// query stays), the client's headers, and these set:
//   X-Code          the status being replaced
//   X-Format        the request's Accept ($http_accept: not sent when the request has none)
//   X-Original-URI  the request URI as received ($request_uri)
//   X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port   the route's Ingress and Service
//   X-Request-ID    the request's id, the one the route's backend got
//   X-Forwarded-For the client address ($remote_addr)
//   Host            the request's host ($best_http_host)
// Gatehouse sends GET (HEAD for HEAD, so the answer stays body-less) and never the request body:
// the body was streamed to the route's backend and is gone (nginx's named location would keep the
// method). Not intercepted: upgrade requests (WebSocket: the backend's refusal is relayed as it is)
// and gRPC requests (their errors are trailers; an HTML page would be no gRPC answer); with
// disable-proxy-intercept-errors (nginx's `proxy_intercept_errors off`), the backend's answers.

import type { CompiledCustomErrors } from '../steps/custom-errors.ts';

export interface CustomErrorFacts {
  /** The status being replaced (the backend's, or Gatehouse's own 502/503/504). */
  readonly status: number;
  /** The backend's answer (false: Gatehouse's own); disable-proxy-intercept-errors relays the backend's. */
  readonly fromBackend: boolean;
  readonly method: string;
  readonly upgrade: boolean;
  /** The request's Content-Type and Accept, as received. */
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** The canonical path and the query with its '?' ('' when none). */
  readonly path: string;
  readonly query: string;
  /** The request's authority (Host or :authority), as the route's backend got it. */
  readonly authority: string;
  readonly clientIp: string;
  readonly requestId: string;
  /**
   * The header list the route's backend got (buildUpstreamHeaders, Host first): the client's
   * end-to-end headers and Gatehouse's forwarding headers, carried over minus what is set here.
   */
  readonly upstreamHeaders: readonly string[] | undefined;
}

export interface CustomErrorRequest {
  readonly method: 'GET' | 'HEAD';
  /** '/' and the request's query. */
  readonly path: string;
  /** Flat name/value pairs, Host first. */
  readonly headers: string[];
}

/** Names this request sets itself (and framing, which a request without a body does not carry). */
const OWN = new Set(['host', 'content-length', 'transfer-encoding', 'x-code', 'x-format', 'x-original-uri', 'x-namespace', 'x-ingress-name', 'x-service-name', 'x-service-port', 'x-request-id', 'x-forwarded-for']);

export function customErrorRequest(ce: CompiledCustomErrors, f: CustomErrorFacts): CustomErrorRequest | undefined {
  if (f.status < 400 || f.status > 599 || ce.codes[f.status] !== 1) return undefined;
  if (f.upgrade || (f.fromBackend && ce.ownAnswersOnly)) return undefined;
  if (f.contentType !== undefined && isGrpc(f.contentType)) return undefined;
  const headers: string[] = ['host', f.authority];
  const base = f.upstreamHeaders;
  if (base !== undefined) {
    for (let i = 0; i + 1 < base.length; i += 2) {
      const name = base[i]!;
      if (OWN.has(name.toLowerCase())) continue;
      headers.push(name, base[i + 1]!);
    }
  }
  headers.push('x-code', String(f.status));
  if (f.accept !== undefined && f.accept.length > 0) headers.push('x-format', f.accept);
  headers.push('x-original-uri', f.path + f.query, ...ce.routeHeaders, 'x-request-id', f.requestId);
  if (f.clientIp.length > 0) headers.push('x-forwarded-for', f.clientIp);
  return { method: f.method === 'HEAD' ? 'HEAD' : 'GET', path: `/${f.query}`, headers };
}

/** application/grpc, application/grpc+proto, application/grpc-web...: gRPC in any of its forms. */
function isGrpc(contentType: string): boolean {
  return contentType.length >= 16 && contentType.slice(0, 16).toLowerCase() === 'application/grpc';
}
