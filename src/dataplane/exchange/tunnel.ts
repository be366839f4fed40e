// An upgraded connection (WebSocket): once the backend answered 101, the client's socket (handed
// over by the engine) and the upstream socket are spliced. Bytes the client sent after its request
// head go to the backend only now. Either side closing or failing ends both.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Upgraded connections, so a drain can end them. */
export interface TunnelRegistry {
  add(socket: Duplex): void;
}

/**
 * A tunnel with no byte either way for `idleMs` is closed. nginx closes when the backend alone is
 * silent that long (proxy_read_timeout); requiring both sides to be idle keeps protocols whose
 * client pings (and whose server only answers when there is news) alive.
 */
export function openTunnel(client: Socket, early: Buffer, upstream: Duplex, head: string, idleMs: number, onIdle: () => void): void {
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
  client.write(head, 'latin1');
  if (early.length > 0) upstream.write(early);
  upstream.pipe(client);
  client.pipe(upstream);
  const timer = setTimeout(() => {
    onIdle();
    client.destroy();
    upstream.destroy();
  }, idleMs);
  timer.unref();
  const active = (): void => void timer.refresh();
  client.on('data', active);
  upstream.on('data', active);
  client.once('close', () => clearTimeout(timer));
}
