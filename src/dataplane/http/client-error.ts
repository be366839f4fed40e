// Requests Node's strict parser refuses never reach the handler: they arrive here. The client gets
// a short plain answer (when its socket can still take one) and the connection is closed.
import type { Duplex } from 'node:stream';
import type { Logger } from '../../observability/logger.ts';
import { afterInFlightResponses, clientErrorStatus } from './client-error-status.ts';
import { rawPlainResponse } from './plain-response.ts';

export function handleClientError(err: Error & { code?: string }, socket: Duplex, logger: Logger): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(err);
  if (logger.enabled('debug')) logger.debug('client error', { code, status, client: (socket as { remoteAddress?: string }).remoteAddress });
  // Responses to good requests pipelined before the bad one go out first, in order (hardening).
  afterInFlightResponses(socket, () => {
    if (!socket.writable) return void socket.destroy();
    socket.end(rawPlainResponse(status));
    // end() flushes; destroy soon after so a client that never reads cannot hold the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
