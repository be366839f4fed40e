// Real TLS clients for the TLS tests: a bare handshake that reports what the server presented, an
// HTTPS/1.1 request and an HTTP/2 request, each with SNI and the test CA.

import { connect as h2connect } from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders as H2Headers } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Agent, RequestOptions } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, SecureVersion } from 'node:tls';

export interface HandshakeOptions {
  /** undefined: no SNI at all (we connect to an IP address). */
  servername?: string;
  ca?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  sigalgs?: string;
  ALPNProtocols?: string[];
  session?: Buffer;
}

export interface HandshakeResult {
  fingerprint: string; // sha256 of the leaf, lower-case hex
  subjectAltName: string | undefined;
  issuerCN: string | undefined;
  authorized: boolean;
  authorizationError: string | undefined;
  protocol: string | null;
  cipher: string;
  alpnProtocol: string | false;
  reused: boolean;
  /** A session to resume with (TLS 1.3 tickets arrive after the handshake; we wait for one). */
  session: Buffer | undefined;
}

export function fingerprintOf(colonHex: string): string {
  return colonHex.replaceAll(':', '').toLowerCase();
}

export function handshake(port: number, o: HandshakeOptions = {}): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const options: ConnectionOptions = {
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ALPNProtocols: o.ALPNProtocols ?? ['http/1.1'],
    };
    if (o.servername !== undefined) options.servername = o.servername;
    if (o.ca !== undefined) options.ca = o.ca;
    if (o.minVersion !== undefined) options.minVersion = o.minVersion;
    if (o.maxVersion !== undefined) options.maxVersion = o.maxVersion;
    if (o.ciphers !== undefined) options.ciphers = o.ciphers;
    if (o.sigalgs !== undefined) options.sigalgs = o.sigalgs;
    if (o.session !== undefined) options.session = o.session;
    let session: Buffer | undefined;
    let result: Omit<HandshakeResult, 'session'> | undefined;
    const socket = tlsConnect(options, () => {
      const cert = socket.getPeerCertificate(true);
      result = {
        // A resumed session may carry no peer certificate.
        fingerprint: fingerprintOf(cert.fingerprint256 ?? ''),
        subjectAltName: cert.subjectaltname,
        issuerCN: typeof cert.issuer?.CN === 'string' ? cert.issuer.CN : undefined,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError === null ? undefined : String(socket.authorizationError),
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        alpnProtocol: socket.alpnProtocol ?? false,
        reused: socket.isSessionReused(),
      };
      if (result.protocol !== 'TLSv1.3') {
        session = socket.getSession();
        finish();
      } else {
        // TLS 1.3 tickets come after the handshake; half a second is plenty on loopback.
        setTimeout(finish, 500).unref();
      }
    });
    socket.on('session', (s: Buffer) => {
      session = s;
      if (result !== undefined) finish();
    });
    let done = false;
    function finish(): void {
      if (done || result === undefined) return;
      done = true;
      socket.end();
      resolve({ ...result, session });
    }
    socket.on('error', (error) => {
      if (!done) reject(error);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
  });
}

export interface HttpsResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  fingerprint: string;
  alpn: string;
}

export function httpsGet(
  port: number,
  o: { servername: string; host?: string; path?: string; ca?: string; agent?: Agent | false; headers?: Record<string, string> },
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    // https.RequestOptions does not list ALPNProtocols, but passes it through to tls.connect.
    const options: RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = {
      host: '127.0.0.1',
      port,
      servername: o.servername,
      path: o.path ?? '/',
      headers: { host: o.host ?? o.servername, ...(o.headers ?? {}) },
      ca: o.ca,
      rejectUnauthorized: o.ca !== undefined,
      agent: o.agent ?? false,
      ALPNProtocols: ['http/1.1'],
    };
    const req = httpsRequest(options);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      // Read now: a kept-alive socket goes back to its agent (and off res) at the end.
      const socket = res.socket as import('node:tls').TLSSocket;
      const fingerprint = fingerprintOf(socket.getPeerCertificate().fingerprint256 ?? '');
      const alpn = String(socket.alpnProtocol);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          fingerprint,
          alpn,
        });
      });
    });
    req.end();
  });
}

export interface H2Result {
  status: number;
  headers: H2Headers;
  body: Buffer;
}

/** Opens an HTTP/2 session (ALPN h2 only) with SNI. */
export function h2Session(port: number, o: { servername: string; ca?: string }): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, {
      servername: o.servername,
      ca: o.ca,
      rejectUnauthorized: o.ca !== undefined,
      ALPNProtocols: ['h2'],
    });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

export function h2Get(session: ClientHttp2Session, o: { authority: string; path?: string; headers?: Record<string, string> }): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'GET', ':path': o.path ?? '/', ':authority': o.authority, ...(o.headers ?? {}) });
    let headers: H2Headers = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) }));
    stream.setTimeout(10_000, () => stream.close());
    stream.end();
  });
}
