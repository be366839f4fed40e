// The HTTPS listener: an http2 secure server (h2 and http/1.1 by ALPN) whose certificate is chosen
// per handshake by SNI from the current route table. The data plane serves its requests; this file
// owns only TLS: contexts, SNI, the default certificate, session tickets, HTTP/2 session limits and
// the error handlers that keep garbage, resets and aborted handshakes from ever crashing.
//
// apply() compiles the table into an SNI index and swaps one reference; each handshake reads that
// reference once, so a rotation reaches the next handshake and leaves open connections alone.

import { randomBytes } from 'node:crypto';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer, Http2Session, SecureServerOptions } from 'node:http2';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Secret } from '../../core/model.ts';
import type { RouteTable } from '../../core/route-table.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { defaultCertificateFromSecret, selfSignedDefault } from './default-certificate.ts';
import type { DefaultCertificate } from './default-certificate.ts';
import { createSecureContextCache } from './secure-context-cache.ts';
import type { SecureContextCache } from './secure-context-cache.ts';
import { generateSelfSignedCertificate } from './self-signed-certificate.ts';
import type { SelfSignedKeyType } from './self-signed-certificate.ts';
import { compileSniIndex, lookupSni } from './sni-index.ts';
import type { SniIndex } from './sni-index.ts';
import { BASE_CONTEXT_OPTIONS } from './tls-settings.ts';
import { Http2SessionGuard } from '../http2/session-guard.ts';
import { createTlsFrontDoor, type TlsFrontDoor, type TlsFrontDoorOptions } from '../front/tls-front-door.ts';
import { createClientCertificateServer, servedCertificateKey } from './client-certificate-server.ts'; // mtls

/**
 * What the listener needs from the data plane: it installs its request handler on the server. When
 * the data plane also exposes its front-side limits, HTTP/2 gets the same header and idle limits.
 */
export interface HttpsRequestServing {
  attach(server: Http2SecureServer, scheme: 'https'): void;
  readonly options?: { readonly limits?: { maxHeaderSize?: number; maxHeadersCount?: number; keepAliveTimeoutMs?: number; maxConnections?: number | undefined } };
}

export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS per session. Default 128. */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE in bytes. Default: the data plane's maxHeaderSize, else 16 KiB. */
  maxHeaderListSize: number;
  /** Header fields per request, pseudo-headers included. Default: the data plane's maxHeadersCount + 4, else 128. */
  maxHeaderListPairs: number;
  /**
   * A session with no frame either way for this long and no open stream gets GOAWAY and is
   * destroyed (never waited on); open streams are bounded by their own timeouts. Default: the data
   * plane's keepAliveTimeoutMs, else 60 s.
   */
  idleSessionTimeoutMs: number;
  /** Megabytes of nghttp2 state per session before new streams are refused. Default 10. */
  maxSessionMemory: number;
  /** Protocol errors (invalid frames) tolerated per session before it is closed. Default 1000. */
  maxSessionInvalidFrames: number;
  /** Streams refused per session before it is closed (rapid-reset protection). Default 100. */
  maxSessionRejectedStreams: number;
}

export interface HttpsListenerOptions {
  /** Usually the DataPlane: `attach(server, 'https')` is called once, at construction. */
  dataPlane: HttpsRequestServing;
  logger?: Logger;
  /** --default-tls-secret as 'ns/name', looked up in the secrets passed to apply(). */
  defaultTlsSecret?: string;
  /** Key type of the self-signed default made at start. Default 'ec'. */
  selfSignedKeyType?: SelfSignedKeyType;
  http2?: Partial<Http2Limits>;
  /** A TCP connection must finish its handshake within this. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Lifetime of a session ticket / cached session, seconds. Default 300. */
  sessionTimeoutSeconds?: number;
  /** Session ticket keys are replaced this often (they only ever live in memory). Default 1 h. */
  ticketKeyRotationMs?: number;
  /** tlsedge: connections are accepted by a front door (PROXY protocol, SSL passthrough), see dataplane/front/. */
  front?: TlsFrontDoorOptions;
}

export interface DefaultCertificateStatus {
  id: string; // 'ns/name' or 'self-signed'
  source: 'secret' | 'self-signed';
  fingerprint: string;
  keyType: string;
  notAfter: string;
  /** Why the --default-tls-secret is not the one served, when it is not. */
  problem?: { code: string; reason: string };
}

export interface HttpsListenerStatus {
  defaultCertificate: DefaultCertificateStatus;
  sniNames: number;
  contexts: number;
  /** SNI entries of the table that could not be served (their names get the default). */
  problems: { host: string; certificate: string; code: string }[];
}

export interface ApplySummary {
  sniNames: number;
  contextsBuilt: number;
  problems: { host: string; certificate: string; code: string }[];
}

export interface HttpsListener {
  readonly server: Http2SecureServer;
  /**
   * Resolves with the bound port (useful with port 0). `reusePort`: every --workers thread binds the
   * same port; `sockets`: listening sockets per thread (front/listen-sockets.ts, --listen-sockets).
   */
  listen(bind: string, port: number, options?: { reusePort?: boolean; sockets?: number }): Promise<number>;
  /** Swaps in a new table; `secrets` is where --default-tls-secret is looked up. */
  apply(table: RouteTable, secrets?: ReadonlyMap<string, Secret>): ApplySummary;
  /** Which certificate a handshake with this server name gets ('ns/secret' or the default's id). */
  certificateFor(servername: string | undefined): string;
  status(): HttpsListenerStatus;
  /** Stops accepting, sends GOAWAY to HTTP/2 sessions; after `graceMs` (default 0) destroys what is left. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = Object.freeze({
  maxConcurrentStreams: 128,
  maxHeaderListSize: 16 * 1024,
  maxHeaderListPairs: 128,
  idleSessionTimeoutMs: 60_000,
  maxSessionMemory: 10,
  maxSessionInvalidFrames: 1000,
  maxSessionRejectedStreams: 100,
});

interface ActiveDefault {
  certificate: DefaultCertificate;
  context: SecureContext;
  contextKey: string;
  problem?: { code: string; reason: string };
}

export function createHttpsListener(options: HttpsListenerOptions): HttpsListener {
  const logger = (options.logger ?? silentLogger).child({ component: 'https' });
  const limits: Http2Limits = { ...DEFAULT_HTTP2_LIMITS, ...fromDataPlane(options.dataPlane), ...definedOnly(options.http2) };
  const sessionTimeout = options.sessionTimeoutSeconds ?? 300;
  const cache: SecureContextCache = createSecureContextCache();
  const selfSigned = selfSignedDefault(generateSelfSignedCertificate({ keyType: options.selfSignedKeyType ?? 'ec' }));

  let ticketKeys = randomBytes(48);
  let active: ActiveDefault = activate(selfSigned, undefined);
  let index: SniIndex = compileSniIndex({ sni: [], certificates: {} }, cache);

  const serverOptions: SecureServerOptions = {
    ...BASE_CONTEXT_OPTIONS,
    cert: active.certificate.certPem,
    key: active.certificate.keyPem,
    allowHTTP1: true,
    ALPNProtocols: ['h2', 'http/1.1'],
    SNICallback: (servername, callback) => {
      // One read of the current index and default per handshake.
      const hit = lookupSni(index, servername);
      callback(null, hit !== undefined ? hit.context : active.context);
    },
    handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    sessionTimeout,
    ticketKeys,
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderListSize,
      enablePush: false,
    },
    maxHeaderListPairs: limits.maxHeaderListPairs,
    maxSessionMemory: limits.maxSessionMemory,
    maxSessionInvalidFrames: limits.maxSessionInvalidFrames,
    maxSessionRejectedStreams: limits.maxSessionRejectedStreams,
  };
  const server = createSecureServer(serverOptions);
  // mtls: the second TLS server, for hosts that ask for client certificates (client-certificate-server.ts).
  const mtls = createClientCertificateServer({
    serverOptions,
    logger,
    certificateFor(servername) {
      const hit = lookupSni(index, servername);
      const entry = hit === undefined ? undefined : lastTable.certificates[hit.certificate];
      const c = entry ?? active.certificate;
      return { key: servedCertificateKey(c.certPem, c.keyPem), certPem: c.certPem, keyPem: c.keyPem };
    },
  });
  let lastTable: Pick<RouteTable, 'certificates'> = { certificates: {} };

  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  // Sessions must not outlive their socket (see session-guard.ts for the Node behaviour behind it).
  const guard = new Http2SessionGuard({ idleTimeoutMs: limits.idleSessionTimeoutMs });
  // mtls: the same floor of handlers on both TLS servers.
  for (const tlsServer of [server, mtls.server]) {
    tlsServer.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', (error: Error) => logger.debug('client socket error', { code: codeOf(error) }));
    });
    tlsServer.on('secureConnection', (tlsSocket: Socket) => {
      // The HTTP/1 side adds its own handler; an h2 socket belongs to its session. This one is the
      // floor that guarantees no socket error is ever unhandled.
      tlsSocket.on('error', (error: Error) => logger.debug('TLS socket error', { code: codeOf(error) }));
    });
    tlsServer.on('tlsClientError', (error: Error) => {
      // Failed handshakes: scanners, old protocol versions, clients that reject our certificate.
      logger.debug('TLS handshake failed', { code: codeOf(error) });
    });
    tlsServer.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      session.on('error', (error: Error) => logger.debug('HTTP/2 session error', { code: codeOf(error) }));
      // HTTP/2's keep-alive (the data plane sets the legacy server timeout to 0, which would leave
      // sessions unbounded), and destroy() as soon as the socket is gone.
      guard.add(session);
    });
    tlsServer.on('sessionError', (error: Error) => logger.debug('HTTP/2 session error', { code: codeOf(error) }));
    tlsServer.on('unknownProtocol', (socket: Socket) => socket.destroy());
  }

  options.dataPlane.attach(server, 'https');
  options.dataPlane.attach(mtls.server, 'https'); // mtls
  // tlsedge: with a front door, it listens and hands the TLS connections to `server`.
  // mtls: always a front door, which reads ClientHellos while a host asks for client certificates.
  const maxConnections = options.dataPlane.options?.limits?.maxConnections;
  const frontOptions: TlsFrontDoorOptions = options.front ?? { proxyProtocol: false, ...(maxConnections === undefined ? {} : { maxConnections }) };
  const front: TlsFrontDoor | undefined = createTlsFrontDoor({ ...frontOptions, server, logger, clientCertificates: mtls });

  const rotation = setInterval(() => {
    ticketKeys = randomBytes(48);
    server.setTicketKeys(ticketKeys);
  }, options.ticketKeyRotationMs ?? 3_600_000);
  rotation.unref();

  function activate(certificate: DefaultCertificate, problem: { code: string; reason: string } | undefined): ActiveDefault {
    const result = cache.get(certificate);
    if (!result.ok) {
      // Only reachable for an operator Secret that parsed but OpenSSL refuses; the caller falls back.
      throw Object.assign(new Error(`default certificate ${certificate.id} is unusable (${result.code})`), {
        code: 'ERR_TLS_DEFAULT_CERTIFICATE',
      });
    }
    const next: ActiveDefault = { certificate, context: result.context, contextKey: result.key };
    if (problem !== undefined) next.problem = problem;
    return next;
  }

  function chooseDefault(secrets: ReadonlyMap<string, Secret> | undefined): ActiveDefault {
    const ref = options.defaultTlsSecret;
    if (ref === undefined) return active.certificate === selfSigned ? active : activate(selfSigned, undefined);
    const found = defaultCertificateFromSecret(ref, secrets?.get(ref));
    if (found.ok) {
      if (found.certificate.fingerprint === active.certificate.fingerprint && found.certificate.keyPem === active.certificate.keyPem) {
        if (active.problem === undefined) return active;
        const { problem: _resolved, ...unchanged } = active;
        return unchanged;
      }
      try {
        return activate(found.certificate, undefined);
      } catch (error) {
        return fallback({ code: codeOf(error), reason: `Secret ${ref} is refused by OpenSSL` });
      }
    }
    return fallback({ code: found.code, reason: found.reason });

    // A broken default Secret keeps the last good default (a rotation gone wrong must not swap
    // every unknown name to a self-signed certificate), or the self-signed one if none was good.
    function fallback(problem: { code: string; reason: string }): ActiveDefault {
      if (active.problem === undefined || active.problem.code !== problem.code || active.problem.reason !== problem.reason) {
        logger.warn('default TLS Secret unusable; keeping the previous default certificate', {
          secret: ref,
          code: problem.code,
          reason: problem.reason,
          serving: active.certificate.id,
        });
      }
      return { ...active, problem };
    }
  }

  function apply(table: RouteTable, secrets?: ReadonlyMap<string, Secret>): ApplySummary {
    const builtBefore = cache.built;
    const nextIndex = compileSniIndex(table, cache);
    const nextDefault = chooseDefault(secrets);
    if (nextDefault.certificate !== active.certificate) {
      // Handshakes without SNI never reach SNICallback: they get the server's own context.
      server.setSecureContext({ ...BASE_CONTEXT_OPTIONS, cert: nextDefault.certificate.certPem, key: nextDefault.certificate.keyPem, sessionTimeout });
      server.setTicketKeys(ticketKeys);
      mtls.server.setSecureContext({ ...BASE_CONTEXT_OPTIONS, cert: nextDefault.certificate.certPem, key: nextDefault.certificate.keyPem }); // mtls
      logger.info('default certificate', {
        certificate: nextDefault.certificate.id,
        fingerprint: nextDefault.certificate.fingerprint,
        keyType: nextDefault.certificate.keyType,
        notAfter: nextDefault.certificate.notAfter,
      });
    }
    index = nextIndex;
    active = nextDefault;
    lastTable = table; // mtls
    mtls.apply(table); // mtls
    front?.apply(table); // tlsedge
    const keep = new Set(nextIndex.contextKeys);
    keep.add(active.contextKey);
    cache.retain(keep);
    for (const p of nextIndex.problems) {
      logger.warn('certificate not served; its names get the default certificate', { ...p });
    }
    return { sniNames: nextIndex.exact.size + nextIndex.wildcard.size, contextsBuilt: cache.built - builtBefore, problems: nextIndex.problems };
  }

  return {
    server,
    listen(bind, port, listenOptions) {
      if (front !== undefined) return front.listen(bind, port, listenOptions); // tlsedge
      return new Promise<number>((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen({ host: bind, port, ...(listenOptions?.reusePort === true ? { reusePort: true } : {}) }, () => {
          server.off('error', onError);
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
    },
    apply,
    certificateFor(servername) {
      if (servername === undefined || servername === '') return active.certificate.id;
      return lookupSni(index, servername)?.certificate ?? active.certificate.id;
    },
    status() {
      const c = active.certificate;
      const defaultCertificate: DefaultCertificateStatus = {
        id: c.id,
        source: c.source,
        fingerprint: c.fingerprint,
        keyType: c.keyType,
        notAfter: c.notAfter,
      };
      if (active.problem !== undefined) defaultCertificate.problem = active.problem;
      return {
        defaultCertificate,
        sniNames: index.exact.size + index.wildcard.size,
        contexts: cache.size,
        problems: index.problems.map((p) => ({ ...p })),
      };
    },
    close(graceMs = 0) {
      clearInterval(rotation);
      const frontClosed = front?.close() ?? Promise.resolve(); // tlsedge
      const closed = new Promise<void>((resolve) => {
        if (!server.listening && sockets.size === 0) {
          resolve();
          return;
        }
        server.close(() => resolve());
        mtls.server.close(); // mtls: never listens; stops its connections' keep-alive like the main server's
        for (const session of sessions) session.close();
        const force = (): void => {
          for (const session of sessions) session.destroy();
          for (const socket of sockets) socket.destroy();
        };
        if (graceMs <= 0) force();
        else setTimeout(force, graceMs).unref();
      });
      return Promise.all([frontClosed, closed]).then(() => undefined);
    },
  };
}

function fromDataPlane(dataPlane: HttpsRequestServing): Partial<Http2Limits> {
  const l = dataPlane.options?.limits;
  const out: Partial<Http2Limits> = {};
  if (l?.maxHeaderSize !== undefined) out.maxHeaderListSize = l.maxHeaderSize;
  if (l?.maxHeadersCount !== undefined) out.maxHeaderListPairs = l.maxHeadersCount + 4; // + :method :scheme :authority :path
  if (l?.keepAliveTimeoutMs !== undefined) out.idleSessionTimeoutMs = l.keepAliveTimeoutMs;
  return out;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o === undefined) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
