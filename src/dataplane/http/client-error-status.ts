// What to answer when Node's parser refuses a request ('clientError'), and when.
//
// Status: 431 for heads over the size or count limit, 408 for heads or bodies that did not arrive
// in time, 505 only for a well-formed but unsupported version (llhttp reports malformed versions
// and bare LFs after the version with the same code, HPE_INVALID_VERSION, but another reason),
// 400 for everything else.
//
// When: a parse error can follow a good request pipelined on the same connection whose response
// is still being produced. That response is sent first, then the error, then the connection
// closes: answers stay in order, and nothing after the error is ever parsed (llhttp stops there).

import type { Duplex } from 'node:stream';

export function clientErrorStatus(err: Error & { code?: string; reason?: string }): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADER_TIMEOUT':
      return 408;
    case 'HPE_INVALID_VERSION':
      return err.reason === 'Invalid HTTP version' ? 505 : 400;
    default:
      return 400;
  }
}

/** The response Node is currently writing on this socket (internal field, stable since Node 0.x). */
interface ResponseLike {
  writableFinished?: boolean;
  destroyed?: boolean;
  headersSent?: boolean;
  req?: { complete?: boolean };
  once(event: 'finish' | 'close', fn: () => void): unknown;
}

function inFlight(socket: Duplex): ResponseLike | undefined {
  const res = (socket as { _httpMessage?: ResponseLike | null })._httpMessage;
  return res !== null && res !== undefined && res.writableFinished !== true && res.destroyed !== true ? res : undefined;
}

/**
 * Calls `fn` once every response already queued on the socket has been written (at once when
 * there is none). Node attaches queued pipelined responses one after another, so this waits for
 * each in turn. When the error is in the body of the request being answered (it is incomplete),
 * there is nothing to wait for: `fn` runs at once if that response has not started, otherwise the
 * socket is destroyed so the client sees an aborted response rather than bytes spliced into it.
 * `fn` is not called if the socket is destroyed meanwhile.
 */
export function afterInFlightResponses(socket: Duplex, fn: () => void): void {
  const res = inFlight(socket);
  if (res === undefined || res.req?.complete === false) {
    if (res?.headersSent === true) socket.destroy();
    else if (!socket.destroyed) fn();
    return;
  }
  let done = false;
  const next = (): void => {
    if (done) return;
    done = true;
    // Node detaches the finished response and attaches the next queued one in its own 'finish'
    // listener; look again once that has run.
    setImmediate(() => afterInFlightResponses(socket, fn));
  };
  res.once('finish', next);
  res.once('close', next);
}
