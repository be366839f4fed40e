// The data plane: holds the active compiled table (one reference, swapped whole), serves the
// listeners attached to it, forwards to endpoints through pools that outlive table swaps, and drains
// on stop. The app constructs one DataPlane; the TLS listener is built elsewhere and attached.
import type { Http2SecureServer, Http2Server, Http2Session } from 'node:http2';
import { type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { RouteTable } from '../core/route-table.ts';
import { compileTable, type CompiledTable } from './compile-table.ts';
import { listenSockets } from './front/listen-sockets.ts';
import { resolveDataPlaneOptions, type DataPlaneOptions, type ResolvedDataPlaneOptions } from './data-plane-options.ts';
import { http1Handler, http2RequestListener, type Http2RequestListener } from './exchange/serve-exchange.ts';
import { Http1Engine } from './http1/http1-engine.ts';
import type { Http1EngineOptions } from './http1/engine-options.ts';
import { applyServerLimits } from './http/server-limits.ts';
import type { ExchangeRuntime } from './proxy/proxy-exchange.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { closeExternalAuthPools } from './steps/external-auth.ts';

/** The node:http2 servers the data plane serves HTTP/2 on (TLS with ALPN, or h2c). */
export type Http2AnyServer = Http2SecureServer | Http2Server;
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

export class DataPlane {
  readonly options: ResolvedDataPlaneOptions;
  readonly pools: UpstreamPools;
  /** limit-rps/-rpm/-connections state: outlives table swaps, fixed size (steps/rate-limits.ts). */
  readonly rateLimiter: RateLimiter;
  #compiled: CompiledTable | undefined;
  #tablesApplied = 0;
  readonly #servers = new Set<Http2AnyServer | NetServer>();
  readonly #engines: Record<'http' | 'https', Http1Engine>;
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
      tunnels: {
        add(tunnel: Duplex): void {
          self.#tunnels.add(tunnel);
          tunnel.once('close', () => self.#tunnels.delete(tunnel));
        },
      },
    };
    const limits = this.options.limits;
    // The engine's limits are the listeners' limits (DataPlaneLimits); its send timeout is --client-send-timeout.
    const engineOptions: Partial<Http1EngineOptions> = {
      maxHeaderSize: limits.maxHeaderSize,
      maxHeadersCount: limits.maxHeadersCount,
      headersTimeoutMs: limits.headersTimeoutMs,
      requestTimeoutMs: limits.requestTimeoutMs,
      keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
      sendTimeoutMs: limits.clientSendTimeoutMs,
      checkIntervalMs: limits.connectionsCheckingIntervalMs,
      maxPipelinedRequests: limits.maxQueuedPipelinedRequests,
    };
    this.#engines = {
      http: new Http1Engine(http1Handler(this.#runtime, 'http'), engineOptions),
      https: new Http1Engine(http1Handler(this.#runtime, 'https'), engineOptions),
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

  /** The HTTP/2 'request' listener alone (for tests or custom servers). */
  handler(scheme: 'http' | 'https'): Http2RequestListener {
    return http2RequestListener(this.#runtime, scheme);
  }

  /**
   * Serves HTTP/1.x on a connected socket (plain, or TLS after ALPN chose http/1.1 or nothing)
   * through the HTTP/1 engine, until it closes or is upgraded.
   */
  serveHttp1(socket: Socket, scheme: 'http' | 'https'): void {
    this.#track(socket);
    this.#engines[scheme].serve(socket);
  }

  /**
   * Serves an HTTP/2 server: its streams (the compatibility API's 'request' events). On a TLS
   * server, ALPN chooses: `h2` stays with node:http2's session, `http/1.1` or no ALPN goes to the
   * HTTP/1 engine. Applies the configured limits to it. Call before listen().
   */
  attach(server: Http2AnyServer, scheme: 'http' | 'https'): void {
    if (this.#servers.has(server)) throw new Error('server already attached');
    this.#servers.add(server);
    applyServerLimits(server, this.options.limits);
    const handler = this.handler(scheme);
    server.on('request', handler);
    // With a 'checkContinue' listener Node leaves 100 Continue to the handler (sent once routed).
    server.on('checkContinue', handler);
    if ('setSecureContext' in server) this.#routeByAlpn(server, scheme);
    else server.on('connection', (socket: Socket) => this.#track(socket));
    // HTTP/2 sessions: tracked so a drain can send GOAWAY.
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
  }

  /**
   * node:http2's secure server handles every TLS connection in its own 'secureConnection'
   * listener (HTTP/1.1 through Node's http server when allowHTTP1 is set, which it must be for
   * ALPN to offer http/1.1). That listener is kept for h2 sockets only; the rest go to the engine.
   */
  #routeByAlpn(server: Http2SecureServer, scheme: 'http' | 'https'): void {
    // node:http2 registers its connection listener first, in the server's constructor; listeners
    // added since (the HTTPS listener's error floor) stay as they are.
    const [node] = server.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
    if (node === undefined) throw new Error('node:http2 secure server without its connection listener');
    server.off('secureConnection', node);
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') {
        this.#track(socket);
        node.call(server, socket);
      } else {
        this.serveHttp1(socket, scheme);
      }
    });
  }

  #track(socket: Socket): void {
    if (this.#sockets.has(socket)) return;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /**
   * A plain-HTTP listener (the HTTP/1 engine) with the configured limits, listening on `sockets`
   * sockets that share the port (front/listen-sockets.ts: one accept per socket and event-loop turn).
   */
  async listenHttp(bind: string, port: number, options: { reusePort?: boolean; sockets?: number } = {}): Promise<AddressInfo> {
    const maxConnections = this.options.limits.maxConnections;
    // With --workers N every worker binds the same port (SO_REUSEPORT).
    const listening = await listenSockets({
      host: bind,
      port,
      count: options.sockets ?? 1,
      reusePort: options.reusePort === true,
      ...(maxConnections === undefined ? {} : { maxConnections }),
      server: { noDelay: true },
      onConnection: (socket) => this.serveHttp1(socket, 'http'),
    });
    for (const server of listening.servers) this.#servers.add(server);
    return listening.servers[0]!.address() as AddressInfo;
  }

  /**
   * Stops accepting, lets requests in flight finish for at most `drainMs`, then closes every
   * remaining connection, tunnel and upstream pool. Resolves when done.
   */
  async stop(drainMs: number): Promise<void> {
    this.#draining = true;
    const closed = [...this.#servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    // Idle keep-alive connections close now; busy ones after their response (Connection: close).
    this.#engines.http.drain();
    this.#engines.https.drain();
    for (const session of this.#sessions) session.close();

    const drained = await this.#waitIdle(drainMs);
    this.#engines.http.close();
    this.#engines.https.close();
    for (const session of this.#sessions) session.destroy();
    for (const tunnel of this.#tunnels) tunnel.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(closed);
    await this.pools.close(!drained);
    await closeExternalAuthPools(); // external auth's pools (steps/external-auth.ts), made again on demand
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
