// A request-phase step: one policy unit the one exchange flow (proxy/proxy-exchange.ts) runs after
// routing, in the order of request-steps.ts, for HTTP/1, HTTP/2 and upgrades alike. A step looks
// at the route target and the request and either lets the request go on (undefined), answers it
// (a StepAnswer), or decides later (returns LATER and calls `req.resume(outcome)` once: an
// asynchronous check such as basic auth's hash verification). No closure per request is needed. A step may also edit what is sent upstream
// (`editUpstreamHeaders`), once the request is admitted.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteTarget } from '../compile-table.ts';
import type { AuthOutcome } from './external-auth.ts';
import type { RateLimiter } from './rate-limits.ts';

/** External auth's state on one request (steps/external-auth-step.ts). */
export interface ExternalAuthState {
  /** Aborts the subrequest when the client goes away. */
  abort?: AbortController;
  /** The answer that let the request through: its headers go upstream, its cookies back. */
  allowed?: Extract<AuthOutcome, { allow: true }>;
  /** auth-always-set-cookie: these Set-Cookie fields go on every answer, Gatehouse's own included. */
  alwaysCookies?: string[];
}

/** What a step may read about the request (the flow implements it). */
export interface StepRequest {
  readonly scheme: 'http' | 'https';
  readonly method: string;
  /** The routing host (lower-case, no port) and the authority as the client sent it. */
  readonly host: string;
  readonly authority: string | undefined;
  /** The canonical path, and the query with its '?' ('' when none). */
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** One field by its lower-case name (cheaper than `headers` when only a few are read). */
  header(name: string): string | string[] | undefined;
  /** The client (trusted proxies honoured) and whether the TCP peer is a trusted proxy. */
  readonly clientIp: string;
  readonly trustedPeer: boolean;
  /** The HTTPS port redirects point at. */
  readonly httpsPort: number;
  /** The client went away: an asynchronous step drops its work. */
  readonly clientGone: boolean;
  /** Headers for every answer of this request, Gatehouse's own included (the CORS step sets them). */
  corsHeaders: string[] | undefined;
  /** The path and query as received (canonical), before any rewrite. */
  readonly pathAndQuery: string;
  /** The client's headers as spelled, in order; the TCP peer (PROXY protocol honoured); the local port. */
  readonly rawHeaders: readonly string[];
  readonly peerAddress: string;
  readonly localPort: number;
  /** HTTP/2 splits Cookie into several fields (joined for an HTTP/1.1 upstream). */
  readonly joinCookies: boolean;
  /** The X-Request-ID sent upstream (a step that needs it earlier sets it; admission keeps it). */
  requestId: string | undefined;
  /** The controller-wide timeouts (a route's annotations override them). */
  readonly timeouts: { readonly connectTimeoutMs: number; readonly readTimeoutMs: number };
  /** The client connection (the TLSSocket over TLS), for what its handshake established. */
  readonly connection: object | undefined;
  /** The client-certificate headers for the upstream request (steps/client-certificate-step.ts). */
  clientCertificateHeaders: readonly string[] | undefined;
  /** limit-rps/-rpm/-connections state, shared across table swaps (steps/rate-limits.ts). */
  readonly rateLimiter: RateLimiter | undefined;
  /** For the access log: which limit answered the request. */
  limit: string | undefined;
  /** Ends this request's limit-connections count; the flow calls it once, when the request (or its tunnel) ends. */
  releaseLimit: (() => void) | undefined;
  /** External auth's state, when the route has it. */
  auth: ExternalAuthState | undefined;
  /** For a step that returned LATER: its outcome, once (ignored if the client went away). */
  resume(outcome: StepOutcome): void;
}

/** The step's own answer to the request. */
export interface StepAnswer {
  status: number;
  /** Extra response headers (flat name/value pairs). */
  headers?: string[];
  /** For the access log's `error` field. */
  error?: string;
  /** No further request on this connection. */
  close?: boolean;
  /** A CORS preflight: 204 without a body, as ingress-nginx answers it. */
  preflight?: boolean;
  /** The body of the answer (a snippet's `return` text); absent: the status's plain text. */
  body?: Buffer;
  /** Close the connection without any answer (nginx's `return 444`). */
  drop?: boolean;
}

/** Returned by a step that will call `done` later. */
export const LATER = 'later';

export type StepOutcome = StepAnswer | undefined;

export interface RequestStep {
  readonly name: string;
  run(target: RouteTarget, req: StepRequest): StepOutcome | typeof LATER;
  /** Edits the upstream header list (Host first) once the request is admitted. */
  editUpstreamHeaders?(target: RouteTarget, headers: string[], req: StepRequest): string[];
}

/**
 * Runs an asynchronous check for a step: an outcome that comes at once (a cached answer) is
 * returned; one that comes later resumes the request. `start` calls `done` exactly once.
 */
export function nowOrLater(req: StepRequest, start: (done: (outcome: StepOutcome) => void) => void): StepOutcome | typeof LATER {
  let sync = true;
  let settled = false;
  let result: StepOutcome;
  start((outcome) => {
    if (sync) {
      settled = true;
      result = outcome;
    } else {
      req.resume(outcome);
    }
  });
  sync = false;
  return settled ? result : LATER;
}
