// The client side of one exchange, whatever the protocol: what the one request flow
// (proxy/proxy-exchange.ts) reads from the request and how it answers. One adapter per client
// protocol: HTTP/1.x on the engine (http1-client-side.ts) and an HTTP/2 stream through Node's
// compatibility API (http2-client-side.ts). Every protocol difference lives in an adapter; the
// flow has no protocol branches.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** The request target after the adapter's checks: routing facts, or the refusal to answer. */
export type ClientTarget =
  | {
      ok: true;
      /** Canonical path ('*' for `OPTIONS *`). */
      path: string;
      /** The query with its '?', as received; '' when none. */
      query: string;
      /** The authority as the client sent it (absolute-form's, Host or :authority). */
      authority: string | undefined;
      /** `OPTIONS *`: about the server, never routed. */
      asterisk: boolean;
    }
  | { ok: false; status: number; reason: string };

/** What the client side tells the flow (the flow is the only implementation). */
export interface ClientEvents {
  /** The response went out whole (`completed`), or the client left / a client-side limit cut it first. */
  clientClosed(completed: boolean, limit?: string): void;
  /** The client can take more response bytes after write() returned false. */
  clientWritable(): void;
  /** The client accepted no response bytes for --client-send-timeout. */
  clientSendTimedOut(): void;
  /** The request body is malformed; the adapter answers the client itself (400 or a cut). */
  clientBodyFailed(reason: string): void;
}

export interface ClientSide {
  readonly method: string;
  /** For the access log: 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'. */
  readonly protocol: string;
  /** Lower-cased names, as Node's IncomingMessage presents them (built on first use: see header()). */
  readonly headers: IncomingHttpHeaders;
  /** One field by its lower-case name, as `headers[name]` would give it, without building `headers`. */
  header(name: string): string | string[] | undefined;
  /** Names as spelled, in order: the source of the upstream headers. */
  readonly rawHeaders: readonly string[];
  /** Several Cookie fields (HTTP/2) must be joined for an HTTP/1.1 upstream. */
  readonly joinCookies: boolean;
  /** The TCP peer, read once through client-address.ts (plain form, '' when unknown). */
  readonly peerAddress: string;
  readonly localPort: number;
  /** The connection (the TLSSocket over TLS): what its handshake established is read from it (steps/client-certificate.ts). */
  readonly connection: object | undefined;
  /** The request has a body to forward. */
  readonly hasBody: boolean;
  /** The Content-Length to forward (digits) when the body is framed by length. */
  readonly contentLength: string | undefined;
  /** A WebSocket upgrade request on a connection that can be handed over: the Upgrade value. */
  readonly upgrade: string | undefined;
  /** The response head was written (or is queued to be written with the first body bytes). */
  readonly headersSent: boolean;

  /** Checks the head (what the protocol's parser left to us) and canonicalises the target. */
  target(): ClientTarget;
  /** Starts reporting events to the flow. Called once, first. */
  bind(events: ClientEvents): void;
  /** The request body as a stream for the upstream request (read with back-pressure); null without one. */
  body(): Readable | null;
  /** `100 Continue` when the client asked for it (the body is about to be read). */
  writeContinue(): void;
  /** A complete answer of Gatehouse's own. `close`: no further request on this connection. Throws on a bad header. */
  respond(status: number, headers: string[], body: Buffer | undefined, close: boolean): void;
  /** Starts relaying a response; false (nothing written) when a field cannot be sent on this protocol. */
  writeHead(status: number, fields: (string | string[])[]): boolean;
  /** Sends a held head now, without body bytes. */
  flushHead(): void;
  /** Body bytes; false: wait for clientWritable(). */
  write(chunk: Buffer): boolean;
  /** Ends the response; the backend's trailers go on where the protocol carries them (HTTP/2). */
  end(trailers?: IncomingHttpHeaders): void;
  /**
   * gRPC's trailers-only answer: the held head ends the response (HTTP/2 HEADERS with END_STREAM).
   * true: done; false: a field could not be sent; undefined: this protocol has no such form.
   */
  endWithHead(status: number, fields: (string | string[])[]): boolean | undefined;
  /** Cuts the response: the client sees an aborted one ('cancel' when a client-side limit fired). */
  abort(kind: 'error' | 'cancel'): void;
  /** Upgrade: takes the connection over (the socket and the bytes after the head), or undefined. */
  detach(): { socket: Socket; head: Buffer } | undefined;
}
