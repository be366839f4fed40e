// Listens on one address with several sockets (SO_REUSEPORT) and gives every connection any of them
// accepts to one handler.
//
// Why several: since libuv 1.45 (Node.js 20 and later) a listening socket accepts one connection
// per event-loop iteration and relies on level-triggered polling to be told again in the next one
// (libuv/libuv#3696). A busy data-plane thread's iteration runs the reads and writes of every ready
// connection, tens of milliseconds with a few hundred of them, so a burst of new connections waits
// in the kernel's accept queue for seconds: 500 at once (wrk -c500) waited up to 4 s, which the
// clients count as response time (wrk's timeouts), and beyond the backlog (511) the kernel drops
// handshakes that the client then retries after 1 s, 3 s... With N sockets the kernel spreads new
// connections over N accept queues and every iteration accepts one from each: N times the rate.
// The sockets of one group share the port with the other data-plane threads' (--workers), which bind
// it the same way.
import { createServer, type Server, type ServerOpts, type Socket } from 'node:net';

export interface ListenSocketsOptions {
  host: string;
  /** 0 picks a free port (the first socket's; the others bind the same). */
  port: number;
  /** Sockets bound to the address; 1 is one plain listener (SO_REUSEPORT only with `reusePort`). */
  count: number;
  /** SO_REUSEPORT even with one socket: other threads (--workers) bind the same port. */
  reusePort?: boolean;
  /** Concurrent connections over all the sockets; excess ones are closed at once (--max-connections). */
  maxConnections?: number;
  server?: ServerOpts;
  /** Gets every accepted connection. */
  onConnection(socket: Socket): void;
}

export interface ListeningSockets {
  /** The bound port. */
  readonly port: number;
  readonly servers: readonly Server[];
  /** Connections open now that these sockets accepted. */
  readonly connections: number;
  /** Connections closed at once because `maxConnections` were open. */
  readonly dropped: number;
  /** Stops accepting on every socket; resolves when every connection they accepted has closed. */
  close(): Promise<void>;
}

/** Binds `count` sockets; if one cannot bind, the ones bound are closed and the error rejects. */
export async function listenSockets(options: ListenSocketsOptions): Promise<ListeningSockets> {
  const count = Math.max(1, Math.floor(options.count));
  const reusePort = count > 1 || options.reusePort === true;
  const servers: Server[] = [];
  let open = 0;
  let dropped = 0;
  const accept = (socket: Socket): void => {
    // Counted here over the group: each net.Server's own maxConnections would count its socket only.
    if (options.maxConnections !== undefined && open >= options.maxConnections) {
      dropped++;
      socket.destroy();
      return;
    }
    open++;
    socket.once('close', () => open--);
    options.onConnection(socket);
  };
  let port = options.port;
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer(options.server ?? {}, accept);
      servers.push(server);
      port = await listenOne(server, options.host, port, reusePort);
    }
  } catch (err) {
    for (const server of servers) if (server.listening) server.close();
    throw err;
  }
  return {
    port,
    servers,
    get connections() {
      return open;
    },
    get dropped() {
      return dropped;
    },
    close() {
      return Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())))).then(() => undefined);
    },
  };
}

function listenOne(server: Server, host: string, port: number, reusePort: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
