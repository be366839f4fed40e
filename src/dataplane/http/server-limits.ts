// Explicit front-side limits for Node's HTTP servers. Node's strict parser always stays on.
// HTTP/1.x traffic is served by the data plane's own engine (http1/, configured from the same
// DataPlaneLimits); these settings remain for the node:http2 servers the data plane attaches
// (which carry the HTTP/1 properties too) and for assertStrictParser's check at start.
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { DataPlaneLimits } from '../data-plane-options.ts';

export type AnyServer = HttpServer | Http2SecureServer | Http2Server;

/** Options for http.createServer (some limits can only be given at construction). */
export function httpServerOptions(limits: DataPlaneLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderSize,
    insecureHTTPParser: false,
    // Node's built-in 400 still hands the requests pipelined behind it to the handler (pinned in
    // test/security/node-parser): off, as the data plane's HTTP/1 engine checks Host itself.
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
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
