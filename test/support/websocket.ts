// A tiny WebSocket (RFC 6455) codec for tests: the handshake key, frame encoding, an incremental
// frame decoder, and a raw-socket client. Enough for echo tests; not a general implementation.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

export function websocketAccept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** One frame; clients must mask, servers must not. */
export function encodeFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + lenBytes);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, body]);
}

export class FrameDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns every complete frame now available (unmasked). */
  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) break;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (b.length < offset + len) break;
      const payload = Buffer.from(b.subarray(offset, offset + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ b[maskOffset + (i & 3)]!;
      frames.push({ fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload });
      this.#buffer = b.subarray(offset + len);
    }
    return frames;
  }
}

export interface WebSocketClient {
  socket: Socket;
  /** The response head of the handshake (status line and headers). */
  responseHead: string;
  status: number;
  send(data: string | Buffer): void;
  /** The next frame from the server (rejects if the connection closes first or after timeoutMs). */
  next(timeoutMs?: number): Promise<Frame>;
  close(): void;
}

/**
 * Opens a WebSocket over a raw socket to 127.0.0.x:port with the given Host. Resolves once the
 * response head arrives, whatever its status (a refused upgrade is a valid outcome to test).
 * `early` bytes are written right after the request head, before any response.
 */
export function connectWebSocket(
  port: number,
  options: { host: string; path?: string; address?: string; headers?: Record<string, string>; early?: Buffer; timeoutMs?: number },
): Promise<WebSocketClient> {
  const key = randomBytes(16).toString('base64');
  const socket = connect({ host: options.address ?? '127.0.0.1', port });
  const decoder = new FrameDecoder();
  const queue: Frame[] = [];
  const waiters: { resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
  let closedError: Error | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('websocket handshake timed out'));
    }, options.timeoutMs ?? 5000);
    let head = Buffer.alloc(0);
    let handshakeDone = false;
    const onFrames = (frames: Frame[]): void => {
      for (const f of frames) {
        const w = waiters.shift();
        if (w) w.resolve(f);
        else queue.push(f);
      }
    };
    socket.on('error', (err) => {
      closedError = err;
      if (!handshakeDone) reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      closedError ??= new Error('connection closed');
      for (const w of waiters.splice(0)) w.reject(closedError);
      if (!handshakeDone) reject(closedError);
    });
    socket.on('data', (chunk: Buffer) => {
      if (handshakeDone) return onFrames(decoder.push(chunk));
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      handshakeDone = true;
      clearTimeout(timer);
      const responseHead = head.subarray(0, end).toString('latin1');
      const status = Number(responseHead.split(' ')[1]);
      const rest = head.subarray(end + 4);
      resolve({
        socket,
        responseHead,
        status,
        send: (data) => socket.write(encodeFrame(typeof data === 'string' ? OPCODE_TEXT : OPCODE_BINARY, Buffer.from(data), true)),
        next: (timeoutMs = 5000) =>
          new Promise<Frame>((res, rej) => {
            const f = queue.shift();
            if (f) return res(f);
            if (closedError) return rej(closedError);
            const t = setTimeout(() => rej(new Error('no frame within timeout')), timeoutMs);
            waiters.push({
              resolve: (x) => {
                clearTimeout(t);
                res(x);
              },
              reject: (e) => {
                clearTimeout(t);
                rej(e);
              },
            });
          }),
        close: () => {
          if (!socket.destroyed) socket.end(encodeFrame(OPCODE_CLOSE, Buffer.alloc(0), true));
          socket.destroy();
        },
      });
      if (status === 101 && rest.length > 0) onFrames(decoder.push(rest));
    });
    const extra = Object.entries(options.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(
      `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${options.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n${extra}\r\n`,
    );
    if (options.early) socket.write(options.early);
  });
}
