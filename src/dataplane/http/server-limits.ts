// Explicit front-side limits for Node's HTTP servers. Node's strict parser always stays on.
// The same settings apply to a plain http.Server and to the HTTP/1 side of an http2 secure server
// with allowHTTP1 (which reads these properties from the server object).
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { DataPlaneLimits } from '../data-plane-options.ts';

export type AnyServer = HttpServer | Http2SecureServer | Http2Server;

/** Options for http.createServer (some limits can only be given at construction). */
export function httpServerOptions(limits: DataPlaneLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderSize,
    insecureHTTPParser: false,
    // checkRequestHead answers an HTTP/1.1 request without Host itself: Node's built-in 400 still
    // hands the requests pipelined behind it to the handler (pinned in test/security/node-parser).
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    // Not optimizeEmptyRequests: it leaves bodiless requests with complete === false, which the
    // pipelining order of clientError answers relies on (client-error-status.ts).
  };
}

/** Sets every limit that is a server property. Call before listen(). */
export function applyServerLimits(server: AnyServer, limits: DataPlaneLimits): void {
  // Both server kinds carry these for their HTTP/1 connections; the types only know http.Server's.
  const s = server as HttpServer & { maxHeaderSize?: number; insecureHTTPParser?: boolean };
  s.maxHeaderSize = limits.maxHeaderSize;
  s.insecureHTTPParser = false;
  s.headersTimeout = limits.headersTimeoutMs;
  s.requestTimeout = limits.requestTimeoutMs;
  s.keepAliveTimeout = limits.keepAliveTimeoutMs;
  s.maxHeadersCount = limits.maxHeadersCount;
  s.maxRequestsPerSocket = 0; // no per-connection request cap
  (s as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = limits.connectionsCheckingIntervalMs;
  // Idle sockets are governed by keepAliveTimeout/headersTimeout, not the legacy socket timeout.
  s.timeout = 0;
  if (limits.maxConnections !== undefined) s.maxConnections = limits.maxConnections;
}
