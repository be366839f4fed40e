// Requests Node's strict parser refuses never reach the handler: they arrive here. The client gets
// a short plain answer (when its socket can still take one) and the connection is closed.
import type { Duplex } from 'node:stream';
import type { Logger } from '../../observability/logger.ts';
import { rawPlainResponse } from './plain-response.ts';

export function handleClientError(err: Error & { code?: string }, socket: Duplex, logger: Logger): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_INVALID_VERSION' ? 505 : 400;
  if (logger.enabled('debug')) logger.debug('client error', { code, status, client: (socket as { remoteAddress?: string }).remoteAddress });
  // A response already being written on this socket cannot be followed by another.
  const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (busy) {
    socket.destroy();
    return;
  }
  socket.end(rawPlainResponse(status));
  // end() flushes; destroy soon after so a client that never reads cannot hold the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
