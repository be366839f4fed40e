// A backend for the security suite that records every byte it receives, per connection, before
// anything parses it. Requests are then answered by a real Node HTTP server fed from that record
// (so tests can also see what a strict parser made of the bytes), or, in raw mode, by a function
// that writes exact response bytes (malformed responses, unsolicited 101s, deaths mid-body).
//
// Default answer: 200, JSON { backend, method, url, httpVersion, rawHeaders, bodyBytes }.

import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

export interface RecordedConnection {
  id: number;
  /** Every byte received on this connection, in order. */
  data: Buffer;
  /** When the proxy closed (FIN/reset) or we destroyed it. */
  closed: boolean;
  socket: Socket;
}

export interface SeenRequest {
  connection: number;
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  body: Buffer;
}

export type HttpResponder = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/**
 * Raw mode: called for each request head received on a connection (bodies by Content-Length or
 * chunked are skipped over). Write any bytes to `socket`; destroy it to simulate a crash.
 */
export type RawResponder = (head: string, socket: Socket, conn: RecordedConnection) => void;

export interface RecordingBackend {
  name: string;
  address: string;
  port: number;
  /** 'address:port', as a route table endpoint. */
  endpoint: string;
  connections: RecordedConnection[];
  /** Requests the HTTP server parsed (not in raw mode). */
  requests: SeenRequest[];
  /** Every byte received, on every connection, concatenated in connection order. */
  allBytes(): Buffer;
  /** Forgets what was recorded so far; open connections keep recording from empty. */
  reset(): void;
  /** Replaces the default JSON answer (undefined restores it). */
  respondWith(fn: HttpResponder | undefined): void;
  /** Switches to raw mode (undefined goes back to HTTP). Affects connections opened afterwards. */
  respondRaw(fn: RawResponder | undefined): void;
  /** Connections opened since start (not reset by reset()). */
  connectionCount(): number;
  close(): Promise<void>;
}

export interface RecordingBackendOptions {
  address?: string;
  name?: string;
}

/** A Duplex fed from the recorded socket, so the HTTP server sees the same bytes we logged. */
class Tap extends Duplex {
  readonly socket: Socket;
  constructor(socket: Socket) {
    super({ allowHalfOpen: true });
    this.socket = socket;
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  override _read(): void {
    this.socket.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    this.socket.write(chunk, () => cb());
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

export async function startRecordingBackend(options: RecordingBackendOptions = {}): Promise<RecordingBackend> {
  const address = options.address ?? '127.0.0.1';
  const name = options.name ?? address;
  let connections: RecordedConnection[] = [];
  let requests: SeenRequest[] = [];
  let responder: HttpResponder | undefined;
  let raw: RawResponder | undefined;
  let nextId = 0;
  const open = new Set<Socket>();

  const http = createHttpServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const connId = (req.socket as unknown as { recordingId?: number }).recordingId ?? -1;
      requests.push({ connection: connId, method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, body });
      if (responder !== undefined) return responder(req, res, body);
      const out = Buffer.from(
        JSON.stringify({ backend: name, method: req.method, url: req.url, httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, bodyBytes: body.length }),
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length, 'x-backend': name });
      res.end(req.method === 'HEAD' ? undefined : out);
    });
  });
  http.on('clientError', (_err, socket) => socket.destroy());

  const server: NetServer = createNetServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    const conn: RecordedConnection = { id: nextId++, data: Buffer.alloc(0), closed: false, socket };
    connections.push(conn);
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = true;
      open.delete(socket);
    });
    const rawMode = raw;
    if (rawMode !== undefined) {
      let pending = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        conn.data = Buffer.concat([conn.data, d]);
        pending = Buffer.concat([pending, d]);
        for (;;) {
          const consumed = takeRequest(pending);
          if (consumed === undefined) break;
          pending = pending.subarray(consumed.used);
          rawMode(consumed.head, socket, conn);
        }
      });
      socket.on('end', () => socket.end());
      return;
    }
    const tap = new Tap(socket);
    (tap as unknown as { recordingId: number }).recordingId = conn.id;
    socket.on('data', (d: Buffer) => {
      conn.data = Buffer.concat([conn.data, d]);
      if (!tap.push(d)) socket.pause();
    });
    socket.on('end', () => tap.push(null));
    socket.on('close', () => tap.destroy());
    tap.on('error', () => {});
    http.emit('connection', tap);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port: 0 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    address,
    port,
    endpoint: `${address}:${port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    allBytes: () => Buffer.concat(connections.map((c) => c.data)),
    reset: () => {
      // Open connections (the proxy's pooled ones) stay listed and keep recording, from empty.
      connections = connections.filter((c) => !c.closed);
      for (const c of connections) c.data = Buffer.alloc(0);
      requests = [];
    },
    respondWith: (fn) => {
      responder = fn;
    },
    respondRaw: (fn) => {
      raw = fn;
    },
    connectionCount: () => nextId,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        http.close();
        server.close(() => resolve());
      }),
  } satisfies RecordingBackend;
}

/** One request head (and its body, skipped) from the front of `buf`, or undefined if incomplete. */
function takeRequest(buf: Buffer): { head: string; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  let used = end + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl) {
    const n = Number(cl[1]);
    if (buf.length < used + n) return undefined;
    used += n;
  } else if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
    const term = buf.indexOf('\r\n0\r\n\r\n', used - 2);
    if (term === -1) return undefined;
    used = term + 7;
  }
  return { head, used };
}
