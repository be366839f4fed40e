// One SSL passthrough connection: the client's bytes (the ClientHello still unread in its buffer)
// piped unchanged to an endpoint and back. pipe() gives back-pressure both ways (a slow reader
// pauses the other side); a connection with no byte either way for the idle timeout is closed; an
// error on either side closes both. Endpoints are tried in turn while connecting fails.
import { connect, type Socket } from 'node:net';
import type { Logger } from '../../observability/logger.ts';

export interface PassthroughPipeOptions {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  logger: Logger;
}

/** Pipes `client` to the first of `endpoints` (in this order) that accepts. Resolves when both sides are closed. */
export function pipePassthrough(client: Socket, endpoints: readonly { address: string; port: number }[], options: PassthroughPipeOptions): Promise<void> {
  return new Promise((resolve) => {
    let upstream: Socket | undefined;
    let attempt = 0;
    const closeBoth = (): void => {
      client.destroy();
      upstream?.destroy();
    };
    const clientGone = (): void => {
      if (upstream === undefined || upstream.connecting) closeBoth();
    };
    // Until connected, a client that goes away ends the attempt; afterwards the pipes handle it.
    client.once('close', clientGone);
    client.on('error', closeBoth);

    const tryNext = (): void => {
      if (client.destroyed) return resolve();
      const endpoint = endpoints[attempt++];
      if (endpoint === undefined) {
        options.logger.debug('passthrough: no endpoint accepted the connection', { endpoints: endpoints.length });
        client.destroy();
        return resolve();
      }
      const socket = connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
      upstream = socket;
      const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), options.connectTimeoutMs);
      const failed = (): void => {
        clearTimeout(connectTimer);
        socket.removeAllListeners('close');
        tryNext();
      };
      socket.once('error', failed);
      socket.once('close', failed);
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        socket.off('error', failed);
        socket.off('close', failed);
        client.off('close', clientGone);
        socket.on('error', closeBoth);
        // Either side closing ends the tunnel: nothing is half-kept once one socket is gone.
        let closed = 0;
        const onClose = (): void => {
          // The other side may still be flushing what pipe() wrote: end it, then destroy if it lingers.
          if (++closed === 2) resolve();
        };
        socket.once('close', () => {
          onClose();
          if (!client.destroyed) client.end();
        });
        client.once('close', () => {
          onClose();
          if (!socket.destroyed) socket.destroy();
        });
        for (const s of [client, socket]) {
          s.setTimeout(options.idleTimeoutMs, () => {
            options.logger.debug('passthrough: idle timeout', { idleTimeoutMs: options.idleTimeoutMs });
            closeBoth();
          });
        }
        socket.pipe(client);
        client.pipe(socket);
      });
    };
    tryNext();
  });
}
