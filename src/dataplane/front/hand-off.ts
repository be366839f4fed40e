// Where the front door gives a connection away, in one place, so the listener behind it can change
// (the HTTP/1.1 engine's `engine.serve(socket)`) without touching the front door. The socket arrives
// paused, with whatever the front door read and did not consume put back with unshift().
import type { Server as NetServer, Socket } from 'node:net';

/**
 * An http.Server (or anything that serves a plain socket on 'connection'). Node's HTTP parser takes
 * the socket's handle over but reads the unshifted bytes through the stream, which must flow again.
 */
export function handOffToHttpServer(server: NetServer, socket: Socket): void {
  server.emit('connection', socket);
  socket.resume();
}

/**
 * A tls.Server or http2 secure server. Its TLSSocket reads the raw socket's buffered bytes itself;
 * resuming the raw socket here would hand those bytes to nobody, so it stays paused.
 */
export function handOffToTlsServer(server: NetServer, socket: Socket): void {
  server.emit('connection', socket);
}

/**
 * The HTTP/1 engine (DataPlane.serveHttp1): it reads through 'data' events, and a socket paused by
 * the front door stays paused until resumed; the unshifted bytes come first.
 */
export function handOffToEngine(serve: (socket: Socket) => void, socket: Socket): void {
  serve(socket);
  socket.resume();
}
