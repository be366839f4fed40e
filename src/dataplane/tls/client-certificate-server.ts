// The second TLS server of the HTTPS listener: the one that asks for client certificates. Node asks
// (or not) per TLS server, not per SNI name, so the front door (front/tls-front-door.ts) reads each
// ClientHello's server name and hands connections for mTLS hosts here; every other host keeps the
// main server and never sees a CertificateRequest. The SNI callback gives each mTLS name a context
// with its own certificate (as the main server would) plus its Ingress's CA bundle and CRL, so the
// CertificateRequest names only that CA and Node verifies against it; the outcome is recorded on the
// connection once (steps/client-certificate.ts) and checked by every request.
//
// No session resumption here: a resumed session would carry a verification made for another
// handshake (another CA, another name), so every mTLS connection does a full handshake.
import { constants, createHash } from 'node:crypto';
import { createSecureServer, type Http2SecureServer, type SecureServerOptions } from 'node:http2';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { RouteTable } from '../../core/route-table.ts';
import type { Logger } from '../../observability/logger.ts';
import { compileClientCertificate, establishClientCertificate, hostClientCertificate, rememberClientCertificate, type CompiledClientCertificate } from '../steps/client-certificate.ts';
import { normalizeServername } from './sni-index.ts';
import { BASE_CONTEXT_OPTIONS } from './tls-settings.ts';

/** The certificate a server name gets from the main server: its cache key and PEM pair. */
export interface ServedCertificate {
  key: string;
  certPem: string;
  keyPem: string;
}

export interface ClientCertificateServer {
  readonly server: Http2SecureServer;
  /** Whether a ClientHello with this server name goes to this server. */
  handles(servername: string): boolean;
  /** Whether any host of the current table asks for client certificates (the front door then reads ClientHellos). */
  readonly active: boolean;
  apply(table: RouteTable): void;
}

interface Index {
  exact: Map<string, CompiledClientCertificate>;
  wildcard: Map<string, CompiledClientCertificate>;
}

const NO_RESUMPTION = constants.SSL_OP_NO_TICKET;

export function createClientCertificateServer(options: {
  serverOptions: SecureServerOptions;
  certificateFor: (servername: string) => ServedCertificate;
  logger: Logger;
}): ClientCertificateServer {
  let index: Index = { exact: new Map(), wildcard: new Map() };
  // Contexts by (served certificate, host requirement); dropped when a table no longer has the host.
  let contexts = new Map<string, SecureContext>();

  const lookup = (servername: string): CompiledClientCertificate | undefined => {
    const name = normalizeServername(servername);
    if (name === '') return undefined;
    const hit = index.exact.get(name);
    if (hit !== undefined) return hit;
    const dot = name.indexOf('.');
    return dot > 0 ? index.wildcard.get(name.slice(dot + 1)) : undefined;
  };

  const server = createSecureServer({
    ...options.serverOptions,
    requestCert: true,
    // Verified here, judged per request: nginx answers 400 over a finished handshake, and
    // `optional` / `optional_no_ca` must let a request through without (or with a bad) certificate.
    rejectUnauthorized: false,
    secureOptions: NO_RESUMPTION,
    SNICallback: (servername, callback) => {
      const entry = lookup(servername);
      if (entry === undefined) {
        // The table changed since the front door looked: no context with a CA, so no certificate
        // is verified and the request check answers 421 (the client reconnects).
        callback(null, undefined);
        return;
      }
      const served = options.certificateFor(servername);
      const key = `${served.key}\0${entry.hostKey}`;
      let context = contexts.get(key);
      if (context === undefined) {
        try {
          context = createSecureContext({
            ...BASE_CONTEXT_OPTIONS,
            cert: served.certPem,
            key: served.keyPem,
            ca: entry.policy.caPem,
            ...(entry.policy.crlPem === undefined ? {} : { crl: entry.policy.crlPem }),
            secureOptions: NO_RESUMPTION,
          });
        } catch (error) {
          options.logger.warn('client certificate context refused by OpenSSL', { host: entry.host, code: (error as { code?: string }).code ?? 'ERR_TLS_CONTEXT' });
          callback(error as Error, undefined);
          return;
        }
        contexts.set(key, context);
      }
      callback(null, context);
    },
  });
  server.on('secureConnection', (tlsSocket: TLSSocket) => {
    const name = typeof tlsSocket.servername === 'string' ? tlsSocket.servername : '';
    const entry = lookup(name);
    // No entry: nothing recorded, so every request over this connection is refused (421 with SNI).
    if (entry !== undefined) rememberClientCertificate(tlsSocket, establishClientCertificate(tlsSocket, entry));
  });

  return {
    server,
    handles: (servername) => lookup(servername) !== undefined,
    get active() {
      return index.exact.size > 0 || index.wildcard.size > 0;
    },
    apply(table) {
      const next: Index = { exact: new Map(), wildcard: new Map() };
      for (const vh of table.virtualHosts) {
        if (vh.host === '*') continue; // no server name selects it: its mTLS requests are refused
        const policy = hostClientCertificate(table, vh);
        if (policy === undefined) continue;
        const entry = compileClientCertificate(vh.host, policy);
        if (vh.host.startsWith('*.')) next.wildcard.set(vh.host.slice(2), entry);
        else next.exact.set(vh.host, entry);
      }
      index = next;
      // Rebuilt on first use after each table: a few milliseconds per mTLS name, and nothing stale
      // (a rotated certificate or CA) can outlive the table that had it.
      contexts = new Map();
    },
  };
}

/** A served certificate's cache key, for certificates identified by PEM only. */
export function servedCertificateKey(certPem: string, keyPem: string): string {
  return createHash('sha256').update(certPem).update('\0').update(keyPem).digest('hex').slice(0, 32);
}
