// A real HTTP backend for data-plane tests. By default every request is answered with JSON
// describing what arrived (method, url, headers exactly as received, body byte count), so tests can
// assert what a proxy forwarded. Query parameters change the answer, for error and streaming tests:
//   echo-status=N       answer with status N
//   echo-delay-ms=N     wait N ms before answering
//   echo-bytes=N        stream N bytes of body (generated, never held in memory), after the head
//   echo-chunked=1      with echo-bytes: no Content-Length (chunked)
//   echo-die-after=N    with echo-bytes: destroy the connection after N body bytes
//   echo-header=name:value  add a response header (repeatable)
// Request bodies are consumed as a stream and counted (and hashed), never buffered.
// WebSocket upgrades on any path are accepted and echo every frame back, unless the path starts
// with /ws-refuse (answered 403 with a small body).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { encodeFrame, FrameDecoder, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, websocketAccept } from './websocket.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  remoteAddress: string;
  bodyBytes: number;
  bodySha256: string;
}

export interface EchoReply extends RecordedRequest {
  /** The backend's name (tests use it to see which endpoint answered). */
  name: string;
}

export interface EchoBackend {
  name: string;
  address: string;
  port: number;
  server: Server;
  /** The last requests received (bounded), in arrival order. */
  requests: RecordedRequest[];
  /** Count of requests received. */
  count(): number;
  /** Open upgraded (WebSocket) connections. */
  openSockets(): number;
  /** TCP connections accepted since start (keep-alive reuse shows as a count that stops growing). */
  connectionsAccepted(): number;
  /** TCP connections open now. */
  openConnections(): number;
  close(): Promise<void>;
}

export interface EchoBackendOptions {
  /** Listen address; loopback aliases such as 127.0.0.2 work on Linux without setup. Default 127.0.0.1. */
  address?: string;
  port?: number;
  name?: string;
  /** Keep at most this many recorded requests. Default 1000. */
  keep?: number;
  /** Replaces the default echo behaviour for plain requests. */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
}

const CHUNK = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');

export async function startEchoBackend(options: EchoBackendOptions = {}): Promise<EchoBackend> {
  const address = options.address ?? '127.0.0.1';
  const name = options.name ?? address;
  const keep = options.keep ?? 1000;
  const requests: RecordedRequest[] = [];
  let total = 0;
  const sockets = new Set<Socket>();
  const upgraded = new Set<Socket>();

  // Plain requests and upgrades alike; only the last `keep` are kept.
  const recordRequest = (req: IncomingMessage, bodyBytes: number, bodySha256: string): RecordedRequest => {
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? '',
      bodyBytes,
      bodySha256,
    };
    requests.push(record);
    if (requests.length > keep) requests.shift();
    return record;
  };

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    total++;
    if (options.handler) return options.handler(req, res);
    const hash = createHash('sha256');
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      hash.update(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      const record = recordRequest(req, bodyBytes, hash.digest('hex'));
      respond(req, res, { ...record, name });
    });
  });
  let accepted = 0;
  server.on('connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    total++;
    socket.on('error', () => {});
    if ((req.url ?? '').startsWith('/ws-refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 7\r\nx-refused-by: ' + name + '\r\n\r\nrefused');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    recordRequest(req, 0, '');
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    // The HTTP server's sockets allow half-open connections; a WebSocket peer that ends is gone.
    socket.on('end', () => socket.end());
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(key)}\r\nX-Backend: ${name}\r\n\r\n`,
    );
    const decoder = new FrameDecoder();
    const onData = (chunk: Buffer): void => {
      for (const f of decoder.push(chunk)) {
        if (f.opcode === OPCODE_CLOSE) {
          socket.end(encodeFrame(OPCODE_CLOSE, Buffer.alloc(0), false));
          return;
        }
        if (f.opcode === OPCODE_PING) socket.write(encodeFrame(OPCODE_PONG, f.payload, false));
        else socket.write(encodeFrame(f.opcode, f.payload, false));
      }
    };
    if (head.length > 0) onData(head);
    socket.on('data', onData);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port: options.port ?? 0 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    address,
    port,
    server,
    requests,
    count: () => total,
    openSockets: () => upgraded.size,
    connectionsAccepted: () => accepted,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const s of upgraded) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function respond(req: IncomingMessage, res: ServerResponse, reply: EchoReply): void {
  const q = new URL(reply.url, 'http://x').searchParams;
  const status = Number(q.get('echo-status') ?? 200);
  const delay = Number(q.get('echo-delay-ms') ?? 0);
  const send = (): void => {
    if (res.destroyed) return;
    for (const h of q.getAll('echo-header')) {
      const colon = h.indexOf(':');
      if (colon > 0) res.appendHeader(h.slice(0, colon), h.slice(colon + 1));
    }
    const bytesParam = q.get('echo-bytes');
    if (bytesParam === null) {
      const body = Buffer.from(JSON.stringify(reply));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, 'x-backend': reply.name });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    streamBytes(res, status, Number(bytesParam), q.get('echo-chunked') === '1', q.has('echo-die-after') ? Number(q.get('echo-die-after')) : -1, reply.name);
  };
  if (delay > 0) {
    const timer = setTimeout(send, delay);
    res.on('close', () => clearTimeout(timer));
  } else send();
}

/** Streams `total` bytes honouring back-pressure; optionally dies after `dieAfter` bytes. */
function streamBytes(res: ServerResponse, status: number, total: number, chunked: boolean, dieAfter: number, name: string): void {
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'x-backend': name };
  if (!chunked) headers['content-length'] = total;
  res.writeHead(status, headers);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      if (dieAfter >= 0 && sent >= dieAfter) {
        res.socket?.destroy();
        return;
      }
      const n = Math.min(CHUNK.length, total - sent, dieAfter >= 0 ? dieAfter - sent : Infinity);
      sent += n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
