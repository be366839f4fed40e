// The HTTPS listener's front door: PROXY protocol (front-door.ts), then the TLS server.
import type { Server as NetServer, Socket } from 'node:net';
import type { RouteTable } from '../../core/route-table.ts';
import type { Logger } from '../../observability/logger.ts';
import { createFrontDoor, type FrontDoor } from './front-door.ts';
import { handOffToTlsServer } from './hand-off.ts';

export interface TlsFrontDoorOptions {
  proxyProtocol: boolean;
  /** --enable-ssl-passthrough: read each ClientHello's SNI and pipe passthrough hosts to their backend. */
  passthrough?: boolean;
  proxyHeaderTimeoutMs?: number;
  maxConnections?: number;
}

export interface TlsFrontDoor extends FrontDoor {
  /** Takes the table's passthrough hosts (a no-op until passthrough is enabled). */
  apply(table: RouteTable): void;
}

export function createTlsFrontDoor(options: TlsFrontDoorOptions & { server: NetServer; logger: Logger }): TlsFrontDoor {
  const accept = (socket: Socket): void => handOffToTlsServer(options.server, socket);
  const door = createFrontDoor({
    proxyProtocol: options.proxyProtocol,
    ...(options.proxyHeaderTimeoutMs === undefined ? {} : { proxyHeaderTimeoutMs: options.proxyHeaderTimeoutMs }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    logger: options.logger,
    accept,
  });
  return {
    server: door.server,
    get refused() {
      return door.refused;
    },
    listen: (bind, port) => door.listen(bind, port),
    close: () => door.close(),
    apply(_table) {},
  };
}
