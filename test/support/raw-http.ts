// Raw-socket HTTP for tests that need exact bytes: send what you want, read what comes back.
import { connect, type Socket } from 'node:net';

export interface RawResult {
  /** Every byte received until the connection closed (or the timeout/stop condition). */
  raw: Buffer;
  /** The peer closed (or reset) the connection. */
  closed: boolean;
  /** The connection ended with an error (e.g. ECONNRESET). */
  error: string | undefined;
}

/**
 * Writes `bytes` to address:port and collects the answer until the server closes, `timeoutMs`
 * passes, or `until(received)` says enough.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer | (string | Buffer)[],
  o: { address?: string; timeoutMs?: number; until?: (received: Buffer) => boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: o.address ?? '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ raw: Buffer.concat(chunks), closed, error });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (o.until?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('error', (e: Error & { code?: string }) => finish(true, e.code ?? e.message));
    socket.on('close', () => finish(true));
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b);
  });
}

export interface ParsedResponse {
  status: number;
  /** Header pairs in order, names as sent. */
  headers: [string, string][];
  body: Buffer;
  /** Bytes left after this response (a pipelined next response). */
  rest: Buffer;
  /** The body was complete per its framing (Content-Length or chunked terminator). */
  complete: boolean;
}

/** Parses one HTTP/1.1 response from the front of `buf` (Content-Length, chunked or read-to-close framing). */
export function parseResponse(buf: Buffer, headRequest = false): ParsedResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: [string, string][] = lines.slice(1).map((l) => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  const get = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let rest = buf.subarray(end + 4);
  if (headRequest || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, headers, body: Buffer.alloc(0), rest, complete: true };
  }
  const cl = get('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    return { status, headers, body: rest.subarray(0, n), rest: rest.subarray(n), complete: rest.length >= n };
  }
  if (get('transfer-encoding')?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd === -1) return { status, headers, body: Buffer.concat(parts), rest, complete: false };
      const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd - 2 < 0 ? 0 : lineEnd - 2);
        const complete = trailerEnd !== -1;
        return { status, headers, body: Buffer.concat(parts), rest: complete ? rest.subarray(trailerEnd + 4) : Buffer.alloc(0), complete };
      }
      if (rest.length < lineEnd + 2 + size + 2) {
        parts.push(rest.subarray(lineEnd + 2));
        return { status, headers, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false };
      }
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
  }
  return { status, headers, body: rest, rest: Buffer.alloc(0), complete: false };
}

/** A `until` for rawExchange: stop once one complete response has arrived. */
export function oneResponse(headRequest = false): (b: Buffer) => boolean {
  return (b) => parseResponse(b, headRequest)?.complete === true;
}

// ---------------------------------------------------------------------------------------------
// A connection driven step by step (send, read one response, send again...), for the security
// suite: pipelining, probes on the same connection, exact accounting of what came back.

export interface RawResponse {
  version: string;
  status: number;
  reason: string;
  /** Header lines in order, names lower-cased, values trimmed. */
  headers: [string, string][];
  body: Buffer;
  /** The exact bytes of this response (head and body). */
  raw: Buffer;
  /** True when the body ended because the connection closed (no length, not chunked). */
  closeDelimited: boolean;
}

export function header(res: RawResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return res.headers.find(([k]) => k === n)?.[1];
}

export function headerAll(res: RawResponse, name: string): string[] {
  const n = name.toLowerCase();
  return res.headers.filter(([k]) => k === n).map(([, v]) => v);
}

type ParseResult = { res: RawResponse; used: number } | 'incomplete' | { error: string };

/**
 * Parses one response from the start of `buf`. `head` says the request was HEAD (no body);
 * `eof` says no more bytes will come (so a close-delimited body is complete).
 */
export function parseNextResponse(buf: Buffer, head: boolean, eof: boolean): ParseResult {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return eof && buf.length > 0 ? { error: 'truncated head' } : 'incomplete';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines.shift() ?? '';
  const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) return { error: `bad status line ${JSON.stringify(statusLine)}` };
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `bad header line ${JSON.stringify(line)}` };
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const status = Number(m[2]);
  const bodyStart = end + 4;
  const base = { version: m[1] ?? '', status, reason: m[3] ?? '', headers };
  const te = headers.find(([k]) => k === 'transfer-encoding')?.[1];
  const cl = headers.find(([k]) => k === 'content-length')?.[1];
  const noBody = head || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (noBody) {
    return { res: { ...base, body: Buffer.alloc(0), raw: buf.subarray(0, bodyStart), closeDelimited: false }, used: bodyStart };
  }
  if (te !== undefined && /chunked\s*$/i.test(te)) {
    let at = bodyStart;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd === -1) return eof ? { error: 'truncated chunked body' } : 'incomplete';
      const sizeText = buf.subarray(at, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { error: `bad chunk size ${JSON.stringify(sizeText)}` };
      const size = parseInt(sizeText, 16);
      at = lineEnd + 2;
      if (size === 0) {
        // trailers, then an empty line
        for (;;) {
          const tEnd = buf.indexOf('\r\n', at);
          if (tEnd === -1) return eof ? { error: 'truncated trailers' } : 'incomplete';
          const empty = tEnd === at;
          at = tEnd + 2;
          if (empty) break;
        }
        const body = Buffer.concat(parts);
        return { res: { ...base, body, raw: buf.subarray(0, at), closeDelimited: false }, used: at };
      }
      if (buf.length < at + size + 2) return eof ? { error: 'truncated chunk' } : 'incomplete';
      parts.push(buf.subarray(at, at + size));
      at += size + 2;
    }
  }
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) return { error: `bad content-length ${cl}` };
    const n = Number(cl);
    if (buf.length < bodyStart + n) return eof ? { error: 'truncated body' } : 'incomplete';
    return { res: { ...base, body: buf.subarray(bodyStart, bodyStart + n), raw: buf.subarray(0, bodyStart + n), closeDelimited: false }, used: bodyStart + n };
  }
  if (!eof) return 'incomplete';
  return { res: { ...base, body: buf.subarray(bodyStart), raw: buf, closeDelimited: true }, used: buf.length };
}

export interface RawConnectionOptions {
  host?: string;
  port: number;
  /** Bound on every wait, so a test never hangs: default 10 s. */
  timeoutMs?: number;
}

/** One TCP connection driven byte by byte. */
export class RawConnection {
  readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private closedFlag = false;
  private resetFlag = false;
  private waiters: (() => void)[] = [];
  private readonly timeoutMs: number;
  /** Every byte received, for assertions that nothing else came. */
  received: Buffer = Buffer.alloc(0);

  private constructor(socket: Socket, timeoutMs: number) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.resetFlag = true;
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.closedFlag = true;
      this.wake();
    });
  }

  static connect(opts: RawConnectionOptions): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
      socket.setNoDelay(true);
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new RawConnection(socket, opts.timeoutMs ?? 10_000));
      });
    });
  }

  /** The peer closed (FIN or reset) and no more bytes will come. */
  get isEnded(): boolean {
    return this.ended;
  }

  get wasReset(): boolean {
    return this.resetFlag;
  }

  send(bytes: string | Buffer): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.socket.writableEnded) return resolve();
      // A write to a socket the server already closed may fail; the reading side reports that.
      this.socket.write(data, () => resolve());
    });
  }

  /** Half-close our side (FIN). */
  endWrite(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor<T>(check: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw-http: timed out waiting for ${what}; got ${JSON.stringify(this.buffer.toString('latin1').slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * The next response, or 'closed' if the connection ended before a complete one arrived
   * (with no bytes pending). Throws on a malformed response or on timeout.
   */
  async readResponse(opts: { head?: boolean } = {}): Promise<RawResponse | 'closed'> {
    return this.waitFor(() => {
      const r = parseNextResponse(this.buffer, opts.head ?? false, this.ended);
      if (r === 'incomplete') return this.ended && this.buffer.length === 0 ? ('closed' as const) : undefined;
      if ('error' in r) {
        if (this.ended && this.buffer.length === 0) return 'closed' as const;
        throw new Error(`raw-http: ${r.error}: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 300))}`);
      }
      this.buffer = this.buffer.subarray(r.used);
      return r.res;
    }, 'a response');
  }

  /** Like readResponse, but a truncated response at close is returned as raw text instead of throwing. */
  async readResponseOrTruncation(opts: { head?: boolean } = {}): Promise<RawResponse | 'closed' | { truncated: Buffer }> {
    return this.waitFor(() => {
      const r = parseNextResponse(this.buffer, opts.head ?? false, this.ended);
      if (r === 'incomplete') return this.ended && this.buffer.length === 0 ? ('closed' as const) : undefined;
      if ('error' in r) {
        if (!this.ended) throw new Error(`raw-http: ${r.error}`);
        const truncated = this.buffer;
        this.buffer = Buffer.alloc(0);
        return truncated.length === 0 ? ('closed' as const) : { truncated };
      }
      this.buffer = this.buffer.subarray(r.used);
      return r.res;
    }, 'a response');
  }

  /** Waits until the peer closed the connection; returns the bytes still unread. */
  async waitClosed(): Promise<Buffer> {
    await this.waitFor(() => (this.ended ? true : undefined), 'the connection to close');
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  /** Reads until `n` bytes are buffered (or the peer closes); returns and consumes them. */
  async readBytes(n: number): Promise<Buffer> {
    await this.waitFor(() => (this.buffer.length >= n || this.ended ? true : undefined), `${n} bytes`);
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /** Bytes received and not yet consumed by a read. */
  get pending(): Buffer {
    return this.buffer;
  }
}

/** One request on a fresh connection: send, read one response (or 'closed'), then close. */
export async function rawRequest(port: number, bytes: string | Buffer, opts: { head?: boolean; host?: string } = {}): Promise<{ response: RawResponse | 'closed'; closedAfter: boolean; conn: RawConnection }> {
  const conn = await RawConnection.connect({ port, host: opts.host ?? '127.0.0.1' });
  await conn.send(bytes);
  const response = await conn.readResponse({ head: opts.head ?? false });
  const closedAfter = response === 'closed' || isConnectionClose(response);
  return { response, closedAfter, conn };
}

export function isConnectionClose(res: RawResponse): boolean {
  return headerAll(res, 'connection').some((v) => v.toLowerCase().split(',').some((t) => t.trim() === 'close'));
}

/** Polls `check` until it returns true or the bound passes; no timing assertion, just a bounded wait. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
