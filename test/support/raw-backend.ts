// A TCP backend that answers with exact bytes, for tests of what a proxy does with responses a
// Node HTTP server would never produce (hop-by-hop headers, odd framing, invalid bytes). It reads
// one request head per exchange and answers with the bytes `respond` returns for it.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawBackend {
  address: string;
  port: number;
  server: Server;
  /** Request heads received, in order (text up to the blank line). */
  heads: string[];
  close(): Promise<void>;
}

/**
 * `respond` gets each request head and returns the bytes to write back; `close: true` ends the
 * connection after writing, `destroy: true` resets it. Request bodies with Content-Length are skipped.
 */
export async function startRawBackend(
  respond: (head: string) => { bytes: string | Buffer; close?: boolean; destroy?: boolean },
  address = '127.0.0.1',
): Promise<RawBackend> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let skip = 0;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
          if (skip > 0) return;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        heads.push(head);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (cl) skip = Number(cl[1]);
        const answer = respond(head);
        if (answer.destroy) {
          socket.write(answer.bytes, () => socket.destroy());
          return;
        }
        if (answer.close) {
          socket.end(answer.bytes);
          return;
        }
        socket.write(answer.bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: address, port: 0 }, () => resolve()));
  return {
    address,
    port: (server.address() as AddressInfo).port,
    server,
    heads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
