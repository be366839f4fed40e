// Requests Node's strict parser refuses, and connections its timeouts cut, never reach the
// handler as requests: they arrive here. The client gets a short plain answer (when its socket can
// still take one), the connection is closed, and an access-log line says which limit fired. When
// the cut request was already being proxied, its exchange reads the limit from here for its own line.
import type { Duplex } from 'node:stream';
import type { AccessLog, ClientErrorEntry } from './access-log.ts';
import { connectionPeerAddress } from '../front/connection-address.ts';
import { afterInFlightResponses, clientErrorStatus } from './client-error-status.ts';
import { rawPlainResponse } from './plain-response.ts';

const limitsFired = new WeakMap<object, string>();

/** The limit that cut this client connection, if one did ('request-timeout', 'headers-timeout'...). */
export function clientLimitFired(socket: object | null | undefined): string | undefined {
  return socket ? limitsFired.get(socket) : undefined;
}

export function handleClientError(err: Error & { code?: string }, socket: Duplex, accessLog: AccessLog | undefined): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(err);
  // A response attached to the socket means a request was being handled: its exchange logs it.
  const inFlight = (socket as { _httpMessage?: unknown })._httpMessage != null;
  const limit = status === 431 ? 'max-header-size' : status === 408 ? (inFlight ? 'request-timeout' : 'headers-timeout') : undefined;
  if (limit !== undefined) limitsFired.set(socket, limit);
  if (accessLog !== undefined && !inFlight) {
    const entry: ClientErrorEntry = { status, client: connectionPeerAddress(socket), error: code || err.message };
    if (limit !== undefined) entry.limit = limit;
    accessLog.write(entry);
  }
  // Responses to good requests pipelined before the bad one go out first, in order (hardening).
  afterInFlightResponses(socket, () => {
    if (!socket.writable) return void socket.destroy();
    socket.end(rawPlainResponse(status));
    // end() flushes; destroy soon after so a client that never reads cannot hold the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
