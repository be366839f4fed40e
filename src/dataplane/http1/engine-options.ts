// The HTTP/1 engine's limits and timeouts. The defaults are the data plane's (DEFAULT_LIMITS in
// data-plane-options.ts), so an engine built from DataPlaneLimits answers as the listeners do today.

export interface Http1EngineOptions {
  /** Request line + header section in bytes; 431 beyond. */
  maxHeaderSize: number;
  /** Header fields per request (and trailer fields per chunked body); 431 beyond. */
  maxHeadersCount: number;
  /** Request target length; 414 beyond. */
  maxUrlLength: number;
  /** From the first byte of a head (or the connection's start) to its end; 408 and close beyond. */
  headersTimeoutMs: number;
  /** From the first byte of a head until its body is complete; 408 (or a cut) and close beyond. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection whose client accepts no response bytes for this long is destroyed. */
  sendTimeoutMs: number;
  /** How often the shared sweep checks every connection's deadlines (one timer per engine). */
  checkIntervalMs: number;
  /**
   * Bytes read ahead while a request is in flight (pipelined requests, early bytes): beyond this the
   * socket is not read until the response is done. Below it the socket stays read, so a client that
   * closes its connection is noticed while its request is still being answered.
   */
  maxReadAheadBytes: number;
  /**
   * Pipelined requests waiting behind the one served: when the request parsed is the
   * (n+1)th in a row with more requests already queued behind it, its response closes the connection.
   */
  maxPipelinedRequests: number;
  /** After the engine answers with `Connection: close`, the socket is destroyed this long after. */
  closeLingerMs: number;
}

export const DEFAULT_HTTP1_ENGINE_OPTIONS: Readonly<Http1EngineOptions> = Object.freeze({
  maxHeaderSize: 16 * 1024,
  maxHeadersCount: 100,
  maxUrlLength: 8192,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  checkIntervalMs: 1000,
  maxReadAheadBytes: 16 * 1024,
  closeLingerMs: 1000,
  maxPipelinedRequests: 16,
});
