// The client side of an exchange on the HTTP/1 engine (src/dataplane/http1/): the engine already
// parsed and checked the head and canonicalised the target; this adapter turns the engine's
// exchange into what the flow asks for. It is also the exchange's ExchangeListener, so engine
// events reach the flow without a closure per request.
import { trailerSection } from '../proxy/relay-trailers.ts';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ExchangeListener, Http1Exchange } from '../http1/http1-exchange.ts';
import { peerAddress } from '../http/client-address.ts';
import type { ClientEvents, ClientSide, ClientTarget } from './client-side.ts';
import { httpDate } from './http-date.ts';
import { requestHeader, requestHeaders } from './request-headers.ts';

const EMPTY = Buffer.alloc(0);

/** Only `Upgrade: websocket` takes the upgrade path; anything else (h2c...) is served as plain HTTP/1.1. */
export function isWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
}

export class Http1ClientSide implements ClientSide, ExchangeListener {
  readonly ex: Http1Exchange;
  readonly method: string;
  readonly protocol: string;
  readonly rawHeaders: readonly string[];
  readonly joinCookies = false;
  readonly peerAddress: string;
  readonly connection: object | undefined;
  readonly localPort: number;
  readonly hasBody: boolean;
  readonly contentLength: string | undefined;
  readonly upgrade: string | undefined;
  #headers: IncomingHttpHeaders | undefined = undefined;
  #events: ClientEvents | null = null;
  #body: Readable | null = null;
  #reported = false;

  constructor(ex: Http1Exchange) {
    const head = ex.head;
    const socket = ex.conn.socket;
    this.ex = ex;
    this.method = head.method;
    this.protocol = head.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
    this.rawHeaders = head.rawHeaders;
    this.peerAddress = peerAddress(socket);
    this.localPort = socket.localPort ?? 0;
    this.connection = socket;
    this.hasBody = head.chunked || head.contentLength > 0;
    this.contentLength = head.chunked || head.contentLength < 0 ? undefined : String(head.contentLength);
    this.upgrade = isWebSocket(head.upgrade) ? head.upgrade : undefined;
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= requestHeaders(this.ex.head.rawHeaders));
  }

  header(name: string): string | string[] | undefined {
    const built = this.#headers;
    return built === undefined ? requestHeader(this.ex.head.rawHeaders, name) : built[name];
  }

  get headersSent(): boolean {
    return this.ex.headersSent;
  }

  target(): ClientTarget {
    const head = this.ex.head;
    return { ok: true, path: head.path, query: head.query, authority: head.authority, asterisk: head.path === '*' };
  }

  bind(events: ClientEvents): void {
    this.#events = events;
    this.ex.listener = this;
  }

  body(): Readable | null {
    if (!this.hasBody) return null;
    if (this.#body !== null) return this.#body;
    const ex = this.ex;
    this.#body = new Readable({ read: () => ex.resumeBody() });
    ex.readBody();
    return this.#body;
  }

  writeContinue(): void {
    this.ex.writeContinue();
  }

  respond(status: number, headers: string[], body: Buffer | undefined, close: boolean): void {
    const ex = this.ex;
    if (close || this.upgrade !== undefined) ex.closeAfterResponse();
    headers.push('date', httpDate());
    ex.respond(status, headers, body);
    this.#reportDone();
  }

  writeHead(status: number, fields: (string | string[])[]): boolean {
    const flat: string[] = [];
    let length = -1;
    let hasDate = false;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i] as string;
      const value = fields[i + 1]!;
      if (name === 'content-length') {
        const first = typeof value === 'string' ? value : value[0];
        if (first !== undefined && /^\d{1,15}$/.test(first)) length = Number(first);
        continue;
      }
      if (name === 'date') hasDate = true;
      if (typeof value === 'string') flat.push(name, value);
      else for (const v of value) flat.push(name, v);
    }
    if (!hasDate) flat.push('date', httpDate());
    if (this.upgrade !== undefined) this.ex.closeAfterResponse();
    try {
      // The engine validates every name and value and throws before writing anything.
      this.ex.writeHead(status, flat, length);
    } catch {
      return false;
    }
    return true;
  }

  flushHead(): void {
    this.ex.write(EMPTY);
  }

  write(chunk: Buffer): boolean {
    return this.ex.write(chunk);
  }

  // The backend's trailers go out as chunked trailers (RFC 9112 §7.1.2); with Content-Length framing there is no room for them.
  end(trailers?: IncomingHttpHeaders): void {
    this.ex.end(undefined, trailerSection(trailers));
    this.#reportDone();
  }

  endWithHead(): undefined {
    return undefined;
  }

  abort(): void {
    this.ex.destroy('aborted');
  }

  detach(): { socket: Socket; head: Buffer } | undefined {
    if (this.upgrade === undefined) return undefined;
    return this.ex.detach();
  }

  /** The engine has no event for a response written whole: the flow hears it here. */
  #reportDone(): void {
    const ex = this.ex;
    if (this.#reported || !ex.finished || ex.aborted) return;
    this.#reported = true;
    this.#events?.clientClosed(true);
  }

  // ---- ExchangeListener (the engine's events) ----

  onBodyData(_ex: Http1Exchange, chunk: Buffer): boolean {
    return this.#body === null ? true : this.#body.push(chunk);
  }

  onBodyEnd(): void {
    this.#body?.push(null);
  }

  onBodyError(_ex: Http1Exchange, reason: string): void {
    this.#reported = true;
    this.#events?.clientBodyFailed(reason);
    this.#body?.destroy(Object.assign(new Error(reason), { code: 'ERR_CLIENT_BODY' }));
  }

  onWritable(): void {
    this.#events?.clientWritable();
  }

  onAbort(_ex: Http1Exchange, reason: string): void {
    if (this.#reported) return;
    this.#reported = true;
    const events = this.#events;
    if (events !== null) {
      if (reason === 'send-timeout') events.clientSendTimedOut();
      events.clientClosed(false, reason === 'request-timeout' ? 'request-timeout' : undefined);
    }
    this.#body?.destroy();
  }
}
