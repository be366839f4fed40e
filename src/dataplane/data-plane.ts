// The data plane: holds the active compiled table (one reference, swapped whole), serves the
// listeners attached to it, forwards to endpoints through pools that outlive table swaps, and drains
// on stop. The app constructs one DataPlane; the TLS listener is built elsewhere and attached.
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable } from '../core/route-table.ts';
import { compileTable, type CompiledTable } from './compile-table.ts';
import { resolveDataPlaneOptions, type DataPlaneOptions, type ResolvedDataPlaneOptions } from './data-plane-options.ts';
import { handleClientError } from './http/client-error.ts';
import { createRequestHandler, type RequestHandler } from './http/request-handler.ts';
import { applyServerLimits, httpServerOptions, type AnyServer } from './http/server-limits.ts';
import type { ExchangeRuntime } from './proxy/proxy-exchange.ts';
import { UpgradeExchange } from './proxy/upgrade-exchange.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { RateLimiter } from './steps/rate-limits.ts';

export interface DataPlaneStats {
  /** Open client connections (TCP) across attached listeners. */
  connections: number;
  /** Requests being handled (routing to access-log line). */
  inFlightRequests: number;
  /** WebSocket/Upgrade tunnels open. */
  upgradedConnections: number;
  /** Requests handled since start. */
  requestsTotal: number;
  /** Upstream pools (one per endpoint, plus one per non-default connect timeout). */
  upstreamPools: number;
  /** Number of table swaps applied. */
  tablesApplied: number;
}

/** Only `Upgrade: websocket` takes the upgrade path; anything else (h2c...) is served as plain HTTP/1.1. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const u = req.headers.upgrade;
  return typeof u === 'string' && u.trim().toLowerCase() === 'websocket';
}

export class DataPlane {
  readonly options: ResolvedDataPlaneOptions;
  readonly pools: UpstreamPools;
  /** limit-rps/-rpm/-connections state: outlives table swaps, fixed size (steps/rate-limits.ts). */
  readonly rateLimiter: RateLimiter;
  #compiled: CompiledTable | undefined;
  #tablesApplied = 0;
  readonly #servers = new Set<AnyServer>();
  readonly #ownServers = new Set<AnyServer>();
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<Http2Session>();
  readonly #tunnels = new Set<Duplex>();
  #inFlight = 0;
  #requestsTotal = 0;
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  readonly #runtime: ExchangeRuntime;

  constructor(options: DataPlaneOptions = {}) {
    this.options = resolveDataPlaneOptions(options);
    this.pools = new UpstreamPools(this.options.upstream, this.options.timeouts.connectTimeoutMs);
    this.rateLimiter = new RateLimiter(this.options.rateLimits);
    const self = this;
    this.#runtime = {
      rateLimiter: this.rateLimiter,
      current: () => this.#compiled,
      pools: this.pools,
      options: this.options,
      // The body size limit is per route (an Ingress may raise or lower the global one): checked after routing.
      requestChecks: { maxHeadersCount: this.options.limits.maxHeadersCount },
      tracker: {
        begin(): void {
          self.#inFlight++;
          self.#requestsTotal++;
        },
        end(): void {
          if (--self.#inFlight === 0 && self.#idleWaiters.length > 0) {
            const waiters = self.#idleWaiters;
            self.#idleWaiters = [];
            for (const w of waiters) w();
          }
        },
        get draining(): boolean {
          return self.#draining;
        },
      },
    };
  }

  /**
   * Compiles and swaps in a new table. Requests already routed keep the table they started with;
   * pickers of unchanged backends keep their state; pools of endpoints that left are closed after
   * the grace period. If compiling throws, the previous table keeps serving and the error propagates.
   */
  apply(table: RouteTable): CompiledTable {
    const compiled = compileTable(table, { previous: this.#compiled, createPicker: this.options.createEndpointPicker });
    this.#compiled = compiled;
    this.#tablesApplied++;
    this.pools.retain(compiled.endpointKeys);
    return compiled;
  }

  /** The active route table, or undefined before the first apply(). */
  get table(): RouteTable | undefined {
    return this.#compiled?.table;
  }

  get compiled(): CompiledTable | undefined {
    return this.#compiled;
  }

  get ready(): boolean {
    return this.#compiled !== undefined;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  get inFlightRequests(): number {
    return this.#inFlight;
  }

  stats(): DataPlaneStats {
    return {
      connections: this.#sockets.size,
      inFlightRequests: this.#inFlight,
      upgradedConnections: this.#tunnels.size,
      requestsTotal: this.#requestsTotal,
      upstreamPools: this.pools.size,
      tablesApplied: this.#tablesApplied,
    };
  }

  /** The 'request' listener alone (for tests or custom servers). */
  handler(scheme: 'http' | 'https'): RequestHandler {
    return createRequestHandler(this.#runtime, scheme);
  }

  /**
   * Serves a listener: its 'request' events (HTTP/1 and the HTTP/2 compatibility API) and its
   * HTTP/1 'upgrade' events. Applies the configured limits to it. Call before listen().
   */
  attach(server: AnyServer, scheme: 'http' | 'https'): void {
    if (this.#servers.has(server)) throw new Error('server already attached');
    this.#servers.add(server);
    applyServerLimits(server, this.options.limits);
    const s = server as HttpServer;
    const handler = this.handler(scheme);
    s.on('request', handler);
    // With a 'checkContinue' listener Node leaves 100 Continue to the handler (sent once routed).
    s.on('checkContinue', handler);
    // Only WebSocket upgrades are proxied as upgrades; others are plain requests with Upgrade dropped.
    (s as { shouldUpgradeCallback?: (req: IncomingMessage) => boolean }).shouldUpgradeCallback = isWebSocketUpgrade;
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        new UpgradeExchange(this.#runtime, scheme, req, socket, head, {
          add: (tunnel) => {
            this.#tunnels.add(tunnel);
            tunnel.once('close', () => this.#tunnels.delete(tunnel));
          },
        }).run();
      } catch (err) {
        // A bug must cost one connection, never the process.
        this.options.logger.error('upgrade handler failed', { err });
        socket.destroy();
      }
    });
    s.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    s.on('clientError', (err: Error, socket: Duplex) => handleClientError(err, socket, this.options.accessLog));
    // HTTP/2 sessions (never emitted by an http.Server): tracked so a drain can send GOAWAY.
    (server as Http2SecureServer).on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
  }

  /** A plain-HTTP listener with the configured limits, attached and listening. */
  listenHttp(bind: string, port: number): Promise<AddressInfo> {
    const server = createServer(httpServerOptions(this.options.limits));
    this.attach(server, 'http');
    this.#ownServers.add(server);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#servers.delete(server);
        this.#ownServers.delete(server);
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: bind, port }, () => {
        server.off('error', onError);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting, lets requests in flight finish for at most `drainMs`, then closes every
   * remaining connection, tunnel and upstream pool. Resolves when done.
   */
  async stop(drainMs: number): Promise<void> {
    this.#draining = true;
    const closed = [...this.#servers].map(
      (server) => new Promise<void>((resolve) => (server as HttpServer).close(() => resolve())),
    );
    for (const server of this.#servers) (server as HttpServer).closeIdleConnections?.();
    for (const session of this.#sessions) session.close();

    const drained = await this.#waitIdle(drainMs);
    for (const server of this.#servers) {
      (server as HttpServer).closeIdleConnections?.();
      (server as HttpServer).closeAllConnections?.();
    }
    for (const session of this.#sessions) session.destroy();
    for (const tunnel of this.#tunnels) tunnel.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(closed);
    await this.pools.close(!drained);
  }

  #waitIdle(ms: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(done);
    });
  }
}
