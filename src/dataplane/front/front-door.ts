// The front door of a listener: a net.Server that accepts raw TCP connections, reads what must be
// read before any HTTP or TLS (the PROXY protocol header with --proxy-protocol), and then gives the
// socket to `accept` (hand-off.ts for a server; the HTTPS listener's ClientHello router). Without a
// valid header within the deadline a connection is closed: with --proxy-protocol every client is a
// load balancer that must send one, and a connection without it would otherwise carry a wrong address.
import type { Server, Socket } from 'node:net';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { rememberClientAddress } from './connection-address.ts';
import { listenSockets, type ListeningSockets } from './listen-sockets.ts';
import { MAX_V2_PAYLOAD, parseProxyHeader, type ProxiedAddress } from './proxy-protocol-header.ts';
import { readPrefix, type PrefixVerdict } from './read-prefix.ts';

export interface FrontDoorOptions {
  /** --proxy-protocol: every connection starts with a PROXY v1 or v2 header. */
  proxyProtocol: boolean;
  /** The header must have arrived within this. Default 5 s. */
  proxyHeaderTimeoutMs?: number;
  /** Concurrent connections; excess are closed at once (--max-connections). */
  maxConnections?: number;
  logger?: Logger;
  /** Gets each connection once the front door is done with it, paused, nothing consumed beyond the header. */
  accept: (socket: Socket) => void;
}

export interface FrontDoor {
  /** The listening sockets' servers (none before listen). */
  readonly servers: readonly Server[];
  /** Resolves with the bound port; `sockets` listening sockets share it (listen-sockets.ts, --listen-sockets). */
  listen(bind: string, port: number, options?: { reusePort?: boolean; sockets?: number }): Promise<number>;
  /** Stops accepting and closes the connections still being read; handed-off ones belong to their server (not waited for). */
  close(): Promise<void>;
  /** Connections closed because their PROXY header was missing, invalid or late. */
  readonly refused: number;
}

export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;

export function createFrontDoor(options: FrontDoorOptions): FrontDoor {
  const logger = (options.logger ?? silentLogger).child({ component: 'front-door' });
  const timeoutMs = options.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
  const reading = new Set<Socket>();
  let refused = 0;
  let listening: ListeningSockets | undefined;
  const onConnection = (socket: Socket): void => {
    // The floor under every socket: resets and errors never reach the process.
    socket.on('error', (error: Error) => logger.debug('client socket error', { code: (error as { code?: string }).code ?? 'ERR_UNKNOWN' }));
    if (!options.proxyProtocol) {
      socket.pause();
      options.accept(socket);
      return;
    }
    reading.add(socket);
    void readPrefix(socket, proxyHeaderVerdict, { timeoutMs, maxBytes: 16 + MAX_V2_PAYLOAD }).then((result) => {
      reading.delete(socket);
      if (socket.destroyed) return;
      if (!result.ok) {
        refused++;
        logger.debug('connection without a valid PROXY protocol header closed', { reason: result.reason });
        socket.destroy();
        return;
      }
      if (result.value !== undefined) rememberClientAddress(socket, result.value.address);
      options.accept(socket);
    });
  };

  return {
    get servers() {
      return listening?.servers ?? [];
    },
    get refused() {
      return refused;
    },
    async listen(bind, port, listenOptions) {
      // With --workers N every worker's front door binds the same port (SO_REUSEPORT).
      listening = await listenSockets({
        host: bind,
        port,
        count: listenOptions?.sockets ?? 1,
        reusePort: listenOptions?.reusePort === true,
        ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        server: { pauseOnConnect: false, noDelay: true },
        onConnection,
      });
      return listening.port;
    },
    close() {
      for (const socket of reading) socket.destroy();
      // Stop listening now. net.Server's close callback would wait for every connection it ever
      // accepted, and those handed on belong to (and are drained by) the server behind.
      void listening?.close();
      return Promise.resolve();
    },
  };
}

/** undefined: LOCAL / UNKNOWN / UNSPEC, the socket keeps its own address. */
function proxyHeaderVerdict(received: Buffer): PrefixVerdict<ProxiedAddress | undefined> {
  const parsed = parseProxyHeader(received);
  if (parsed.kind === 'header') return { kind: 'done', consumed: parsed.length, value: parsed.source };
  return parsed;
}
