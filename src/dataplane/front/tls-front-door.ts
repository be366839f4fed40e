// The HTTPS listener's front door: the PROXY protocol header (front-door.ts, with --proxy-protocol),
// then, with --enable-ssl-passthrough, the ClientHello's server name read without consuming it: a
// passthrough host's connection is piped unchanged to its backend (passthrough-pipe.ts), any other
// goes to the TLS server. A ClientHello that does not parse, or does not arrive within the deadline,
// is closed. Without passthrough the TLS server reads the ClientHello itself.
import type { Server as NetServer, Socket } from 'node:net';
import type { RouteTable } from '../../core/route-table.ts';
import type { Logger } from '../../observability/logger.ts';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello.ts';
import { connectionPeerAddress } from './connection-address.ts';
import { createFrontDoor, type FrontDoor } from './front-door.ts';
import { handOffToTlsServer } from './hand-off.ts';
import { compilePassthroughIndex, lookupPassthrough, type PassthroughIndex } from './passthrough-index.ts';
import { pipePassthrough } from './passthrough-pipe.ts';
import { readPrefix, type PrefixVerdict } from './read-prefix.ts';

export interface TlsFrontDoorOptions {
  proxyProtocol: boolean;
  /** --enable-ssl-passthrough: read each ClientHello's SNI and pipe passthrough hosts to their backend. */
  passthrough?: boolean;
  proxyHeaderTimeoutMs?: number;
  /** The ClientHello must have arrived within this. Default 10 s (the TLS handshake timeout). */
  clientHelloTimeoutMs?: number;
  /** Connecting to a passthrough endpoint. Default 5 s. */
  passthroughConnectTimeoutMs?: number;
  /** A passthrough connection with no byte either way for this long is closed. Default 600 s (nginx stream's proxy_timeout). */
  passthroughIdleTimeoutMs?: number;
  maxConnections?: number;
}

export interface TlsFrontDoor extends FrontDoor {
  /** Takes the table's passthrough hosts; connections already piped keep their endpoint. */
  apply(table: RouteTable): void;
  /** Passthrough connections open now. */
  readonly passthroughConnections: number;
}

/** mtls: the TLS server for hosts that ask for client certificates (tls/client-certificate-server.ts). */
export interface ClientCertificateRouting {
  readonly server: NetServer;
  /** A host of the current table asks for client certificates: ClientHellos are read. */
  readonly active: boolean;
  handles(servername: string): boolean;
}

export function createTlsFrontDoor(options: TlsFrontDoorOptions & { server: NetServer; logger: Logger; clientCertificates?: ClientCertificateRouting }): TlsFrontDoor {
  const logger = options.logger.child({ component: 'front-door' });
  let index: PassthroughIndex = { exact: new Map(), wildcard: new Map() };
  // Round-robin position per passthrough host; survives table swaps.
  const turns = new Map<string, number>();
  const open = new Set<Socket>();
  const helloTimeoutMs = options.clientHelloTimeoutMs ?? 10_000;

  const route = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void readPrefix(socket, helloVerdict, { timeoutMs: helloTimeoutMs, maxBytes: MAX_CLIENT_HELLO_BYTES + 2048 }).then((result) => {
      if (socket.destroyed) return;
      if (!result.ok) {
        logger.debug('TLS connection closed: no valid ClientHello', { reason: result.reason, client: connectionPeerAddress(socket) });
        socket.destroy();
        return;
      }
      const target = result.value === undefined ? undefined : lookupPassthrough(index, result.value);
      if (target === undefined) {
        open.delete(socket);
        // mtls: a name whose host asks for client certificates goes to the TLS server that asks for them.
        const mtls = options.clientCertificates;
        const tlsServer = mtls !== undefined && result.value !== undefined && mtls.handles(result.value) ? mtls.server : options.server;
        handOffToTlsServer(tlsServer, socket);
        return;
      }
      if (target.refused !== undefined || target.endpoints.length === 0) {
        logger.debug('passthrough connection closed', { host: target.host, reason: target.refused ?? 'no ready endpoint' });
        socket.destroy();
        return;
      }
      const start = (turns.get(target.host) ?? 0) % target.endpoints.length;
      turns.set(target.host, start + 1);
      const order = [...target.endpoints.slice(start), ...target.endpoints.slice(0, start)];
      logger.debug('passthrough', { host: target.host, backend: target.backend, client: connectionPeerAddress(socket) });
      void pipePassthrough(socket, order, {
        connectTimeoutMs: options.passthroughConnectTimeoutMs ?? 5_000,
        idleTimeoutMs: options.passthroughIdleTimeoutMs ?? 600_000,
        logger,
      });
    });
  };

  const door = createFrontDoor({
    proxyProtocol: options.proxyProtocol,
    ...(options.proxyHeaderTimeoutMs === undefined ? {} : { proxyHeaderTimeoutMs: options.proxyHeaderTimeoutMs }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    logger: options.logger,
    // mtls: the ClientHello is read while passthrough is on or a host asks for client certificates.
    accept: (socket) => (options.passthrough === true || options.clientCertificates?.active === true ? route(socket) : handOffToTlsServer(options.server, socket)),
  });
  return {
    get servers() {
      return door.servers;
    },
    get refused() {
      return door.refused;
    },
    get passthroughConnections() {
      return open.size;
    },
    listen: (bind, port, options) => door.listen(bind, port, options),
    async close() {
      // Passthrough pipes first: the accepting server's close() waits for every connection it accepted.
      for (const socket of open) socket.destroy();
      await door.close();
    },
    apply(table) {
      if (options.passthrough !== true) return;
      index = compilePassthroughIndex(table);
      for (const host of turns.keys()) if (!index.exact.has(host) && !index.wildcard.has(host.slice(2))) turns.delete(host);
    },
  };
}

/** Never consumes: the TLS server or the backend reads the ClientHello again. undefined: no SNI. */
function helloVerdict(received: Buffer): PrefixVerdict<string | undefined> {
  const parsed = parseClientHello(received);
  if (parsed.kind === 'hello') return { kind: 'done', consumed: 0, value: parsed.serverName };
  return parsed;
}
