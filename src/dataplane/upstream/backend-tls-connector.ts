// The connector an undici Pool uses to open TLS connections to one endpoint with a route's backend
// TLS settings (upstream-protocol.ts): exactly the SNI asked for (none unless proxy-ssl-server-name
// is on, as ingress-nginx), the certificate verified against the Secret's CA only when
// proxy-ssl-verify is on (name and chain depth as nginx's proxy_ssl_verify_depth), the client
// certificate presented when the Secret has one. undici's own connector would send the Host as SNI.
import { checkServerIdentity, connect as tlsConnect, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import type { CompiledBackendTls } from './upstream-protocol.ts';

export class BackendTlsError extends Error {
  readonly code: string;
  constructor(code: 'ERR_BACKEND_CERT_CHAIN_TOO_LONG' | 'ERR_BACKEND_ALPN_NOT_H2', message: string) {
    super(message);
    this.code = code;
  }
}

class ConnectTimeout extends Error {
  readonly code = 'UND_ERR_CONNECT_TIMEOUT';
}

export interface BackendTlsTarget {
  address: string;
  port: number;
  tls: CompiledBackendTls;
  /** The name for SNI and verification (upstreamName()); undefined when neither is asked. */
  name: string | undefined;
  /** ['h2'] for GRPCS (required), ['http/1.1'] for HTTPS. */
  alpn: readonly string[];
  connectTimeoutMs: number;
}

export function backendTlsConnector(target: BackendTlsTarget): buildConnector.connector {
  const { tls, name } = target;
  const verify = tls.verifyDepth !== undefined;
  return (_options, callback) => {
    let done = false;
    const finish = (err: Error | null, socket: TLSSocket | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err !== null) {
        socket?.destroy();
        callback(err, null);
      } else {
        callback(null, socket as unknown as Socket);
      }
    };
    const socket = tlsConnect({
      host: target.address,
      port: target.port,
      secureContext: tls.context,
      // No servername: Node sends no SNI for an IP address (endpoints are addresses).
      ...(tls.sni && name !== undefined && name.length > 0 ? { servername: name } : {}),
      ALPNProtocols: [...target.alpn],
      rejectUnauthorized: verify,
      checkServerIdentity: verify ? (_host, cert) => verifyIdentity(name ?? '', cert, tls.verifyDepth!) : () => undefined,
    });
    const timer = setTimeout(() => {
      const err = new ConnectTimeout(`connect timeout to ${target.address}:${target.port}`);
      socket.destroy(err);
      finish(err, null);
    }, target.connectTimeoutMs);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.once('secureConnect', () => {
      if (target.alpn[0] === 'h2' && socket.alpnProtocol !== 'h2') {
        return finish(new BackendTlsError('ERR_BACKEND_ALPN_NOT_H2', 'the backend did not agree to HTTP/2 (ALPN h2)'), socket);
      }
      finish(null, socket);
    });
    socket.on('error', (err) => finish(err, socket));
    return socket as unknown as Socket;
  };
}

/**
 * The name check (as Node's) and nginx's verify depth: the chain from the leaf to the trust anchor
 * holds at most `depth` certificates above the leaf (depth 1: the leaf signed by a CA of ca.crt).
 */
function verifyIdentity(name: string, cert: PeerCertificate, depth: number): Error | undefined {
  const identity = checkServerIdentity(name, cert);
  if (identity !== undefined) return identity;
  let above = 0;
  let c = cert as DetailedPeerCertificate;
  const seen = new Set<string>([c.fingerprint256]);
  while (c.issuerCertificate !== undefined && !seen.has(c.issuerCertificate.fingerprint256)) {
    c = c.issuerCertificate;
    seen.add(c.fingerprint256);
    above++;
  }
  if (above > depth) return new BackendTlsError('ERR_BACKEND_CERT_CHAIN_TOO_LONG', `the backend certificate chain is longer than proxy-ssl-verify-depth ${depth}`);
  return undefined;
}
