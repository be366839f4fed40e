// Raw HTTP/2 frames over TLS (ALPN h2) for tests that must misbehave exactly: floods, huge
// flow-control windows, streams never read, sockets closed with data unread.
import tls from 'node:tls';
import assert from 'node:assert/strict';

export const DATA = 0;
export const HEADERS = 1;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const CONTINUATION = 9;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK: GET https <path> with :authority as a literal (no indexing), so every block is independent. */
export function requestBlock(host: string, path = '/'): Buffer {
  const authority = Buffer.from(host);
  const p = Buffer.from(path);
  assert.ok(p.length < 127 && authority.length < 127, 'short literals only');
  const pathField = path === '/' ? Buffer.from([0x84]) : Buffer.concat([Buffer.from([0x04, p.length]), p]);
  return Buffer.concat([Buffer.from([0x82, 0x87]), pathField, Buffer.from([0x01, authority.length]), authority]);
}

export function settingsFrame(settings: [id: number, value: number][]): Buffer {
  const payload = Buffer.alloc(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(SETTINGS, 0, 0, payload);
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment);
  return frame(WINDOW_UPDATE, 0, streamId, payload);
}

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export interface ParsedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A TLS connection negotiated to h2, with the frames it receives parsed (when it reads). */
export interface RawH2 {
  socket: tls.TLSSocket;
  frames: ParsedFrame[];
  closed(): boolean;
  write(bytes: Buffer): void;
}

export async function connectRawH2(port: number, servername: string, o: { read: boolean }): Promise<RawH2> {
  const socket = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], servername, rejectUnauthorized: false });
  socket.on('error', () => {});
  let closed = false;
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  assert.equal(socket.alpnProtocol, 'h2');
  const frames: ParsedFrame[] = [];
  let inbound = Buffer.alloc(0);
  if (o.read) {
    socket.on('data', (d: Buffer) => {
      inbound = Buffer.concat([inbound, d]);
      while (inbound.length >= 9) {
        const len = inbound.readUIntBE(0, 3);
        if (inbound.length < 9 + len) break;
        frames.push({ type: inbound[3]!, flags: inbound[4]!, streamId: inbound.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(inbound.subarray(9, 9 + len)) });
        inbound = inbound.subarray(9 + len);
      }
    });
  } else {
    socket.pause();
  }
  return { socket, frames, closed: () => closed, write: (bytes) => void socket.write(bytes) };
}
