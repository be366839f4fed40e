// What the HTTP/1 engine's head parser produces: one object per request, built once, with every
// framing fact the connection and the handler need already worked out (so nobody re-scans the
// header list for Content-Length, Connection or Host).

export interface RequestHead {
  /** Upper-case method, one of the known ones (interned: compare with ===). */
  method: string;
  /** The request target exactly as received (origin-form, absolute-form or '*'). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor: 0 | 1;
  /** Header names and values in order, names as spelled, values without surrounding whitespace. */
  rawHeaders: string[];
  /** The Content-Length value, or -1 when the request has none. */
  contentLength: number;
  /** Transfer-Encoding: chunked (the only transfer coding accepted). */
  chunked: boolean;
  /** Whether the connection may carry another request after this one (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** The Upgrade header's value when Connection lists `upgrade` and the request has no body. */
  upgrade: string | undefined;
  /** `Expect: 100-continue` was sent (any other expectation is refused with 417). */
  expectContinue: boolean;
  /** The Host header's value (undefined only on HTTP/1.0 without Host). */
  host: string | undefined;
  /** Filled by the checks after parsing: the canonical path ('*' for OPTIONS *). */
  path: string;
  /** The query, with its '?', byte for byte as received; '' when none. */
  query: string;
  /** The authority to route by: the absolute-form's (validated, lower-cased) or the Host header's. */
  authority: string | undefined;
}

/** Why a head was refused: the status the client gets (the connection then closes). */
export class HeadError {
  readonly status: 400 | 408 | 413 | 414 | 417 | 431 | 501 | 505;
  /** A stable short code, for the access log and for tests that pin a case ('invalid-header-token'...). */
  readonly code: string;
  /** Human-readable, for the access log; never echoed to the client. */
  readonly reason: string;

  constructor(status: HeadError['status'], code: string, reason: string) {
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}
