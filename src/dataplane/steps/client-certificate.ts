// Client certificates (ingress-nginx auth-tls-*), the request side. TLS is per connection and routing
// per request, so the handshake's outcome is recorded on the connection (tls/client-certificate-server.ts
// calls rememberClientCertificate) and every request checks it against its route's host:
//
// - a route whose host asks for client certificates is served only over a connection whose handshake
//   was made for that same host entry (its SNI), with that same CA bundle: a connection opened for
//   another name answers 421 (HTTP/2 coalescing cannot bypass it, each request is checked), one with
//   no SNI 400, plain HTTP 400 (after the HTTPS redirect, as ingress-nginx's rewrite phase);
// - `on`: no certificate or a certificate that failed verification answers 400 (nginx's 496 / 495);
//   `optional`: no certificate passes (`ssl-client-verify: NONE`), a failed one answers 400;
//   `optional_no_ca`: every request passes, the verification result in the header;
//   with auth-tls-error-page the 400 is a 302 to that page (nginx's `error_page 495 496 = URL`);
// - a request for another host over a connection opened for an mTLS host answers 421, as nginx does
//   when the Host selects another server than the SNI did and that server verifies clients.
//
// Admitted requests to an mTLS host carry `ssl-client-verify`, `ssl-client-subject-dn`,
// `ssl-client-issuer-dn` (RFC 2253, as nginx's $ssl_client_s_dn / $ssl_client_i_dn; absent when
// there is no certificate, as nginx drops a header whose value is empty) and, with
// auth-tls-pass-certificate-to-upstream, `ssl-client-cert` (the URL-escaped PEM). Copies a client
// sent are always dropped (proxy/upstream-headers.ts).
import { createHash, X509Certificate } from 'node:crypto';
import type { ClientCertificatePolicy, RoutePolicy } from '../../core/policy.ts';
import type { RouteTable, VirtualHost } from '../../core/route-table.ts';
import { pemBlocks } from '../tls/pem-blocks.ts';

/** A host's client-certificate requirement, compiled once per table. */
export interface CompiledClientCertificate {
  /** The virtual host ('a.example.com', '*.example.com') plus a hash of what the handshake checks. */
  readonly hostKey: string;
  readonly host: string;
  readonly policy: ClientCertificatePolicy;
  /** ca.crt parsed (for the depth check). */
  readonly caCertificates: readonly X509Certificate[];
}

/** What a connection's handshake established, recorded once per TLS connection. */
export interface ClientCertificateState {
  readonly hostKey: string;
  /** 'SUCCESS', 'NONE' or 'FAILED:reason' (nginx's $ssl_client_verify). */
  readonly verify: string;
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** URL-escaped PEM of the client certificate ('' when none). */
  readonly escapedCert: string;
}

export type ClientCertificateCheck =
  | { readonly ok: true; readonly headers: readonly string[] }
  | { readonly ok: false; readonly status: 400 | 421 | 302; readonly error: string; readonly location?: string };

const STATE = Symbol('gatehouse.clientCertificate');
const PASS: ClientCertificateCheck = Object.freeze({ ok: true, headers: Object.freeze([]) });

/** Names of the headers Gatehouse sets; a client's copies never go upstream. */
export const CLIENT_CERTIFICATE_HEADERS: readonly string[] = ['ssl-client-cert', 'ssl-client-verify', 'ssl-client-subject-dn', 'ssl-client-issuer-dn'];

/**
 * The host-level requirement of a virtual host: ssl_verify_client is per server in nginx, so the
 * first route (most specific first) or default backend whose Ingress asks for client certificates
 * decides for every path of the host; ingress-nginx likewise keeps one Ingress's auth-tls settings
 * per server.
 */
export function hostClientCertificate(table: Pick<RouteTable, 'policies'>, vh: VirtualHost): ClientCertificatePolicy | undefined {
  const ids = vh.routes.map((r) => r.policy);
  if (vh.defaultBackend !== undefined) ids.push(vh.defaultBackend.policy);
  for (const id of ids) {
    const p: RoutePolicy | undefined = table.policies[id];
    if (p?.clientCertificate !== undefined) return p.clientCertificate;
  }
  return undefined;
}

export function compileClientCertificate(host: string, policy: ClientCertificatePolicy): CompiledClientCertificate {
  const hash = createHash('sha256')
    .update(`${policy.verify}\0${policy.depth}\0${policy.caPem}\0${policy.crlPem ?? ''}`)
    .digest('hex')
    .slice(0, 32);
  const caCertificates: X509Certificate[] = [];
  for (const block of pemBlocks(policy.caPem)) {
    if (block.label !== 'CERTIFICATE') continue;
    try {
      caCertificates.push(new X509Certificate(block.text));
    } catch {
      // The builder checked the bundle (inspect-client-ca.ts); a block that does not parse is no anchor.
    }
  }
  return { hostKey: `${host}\0${hash}`, host, policy, caCertificates };
}

interface Carrier {
  [STATE]?: ClientCertificateState;
}

export function rememberClientCertificate(tlsSocket: object, state: ClientCertificateState): void {
  Object.defineProperty(tlsSocket, STATE, { value: state, enumerable: false, configurable: false, writable: false });
}

/** The state of the request's connection; `socket` may be HTTP/2's Proxy of it (symbol reads are forwarded). */
export function clientCertificateOf(socket: object | null | undefined): ClientCertificateState | undefined {
  if (socket === null || socket === undefined) return undefined;
  return (socket as Carrier)[STATE];
}

interface PeerSocket {
  servername?: string | false | null;
  authorized?: boolean;
  authorizationError?: Error | string | null;
  getPeerX509Certificate?(): X509Certificate | undefined;
  getPeerCertificate?(detailed: true): { raw?: Buffer; issuerCertificate?: unknown } | null;
}

/** Computes what the handshake of an mTLS connection established (once, at 'secureConnection'). */
export function establishClientCertificate(tlsSocket: PeerSocket, entry: CompiledClientCertificate): ClientCertificateState {
  const leaf = tlsSocket.getPeerX509Certificate?.();
  if (leaf === undefined) return { hostKey: entry.hostKey, verify: 'NONE', subjectDn: '', issuerDn: '', escapedCert: '' };
  const subjectDn = rfc2253(leaf.subject);
  const issuerDn = rfc2253(leaf.issuer);
  const escapedCert = encodeURIComponent(leaf.toString());
  const base = { hostKey: entry.hostKey, subjectDn, issuerDn, escapedCert };
  if (tlsSocket.authorized !== true) {
    const e = tlsSocket.authorizationError;
    const code = typeof e === 'string' ? e : ((e as { code?: string } | null | undefined)?.code ?? e?.message ?? 'UNKNOWN');
    return { ...base, verify: `FAILED:${verifyReason(code)}` };
  }
  // Node verified the chain against this context's CA (and CRL). The depth, and that the anchor is a
  // CA of THIS entry's bundle (a table swap between SNI and here must not lend another host's CA),
  // are checked here: Node has no verify-depth option.
  const intermediates = chainIntermediates(leaf, presentedChain(tlsSocket), entry.caCertificates, entry.policy.depth + 2);
  if (intermediates === undefined) return { ...base, verify: 'FAILED:unable to get local issuer certificate' };
  if (intermediates > entry.policy.depth) return { ...base, verify: 'FAILED:certificate chain too long' };
  return { ...base, verify: 'SUCCESS' };
}

/** The certificates the client sent after its leaf, in order. */
function presentedChain(tlsSocket: PeerSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let node = tlsSocket.getPeerCertificate?.(true) ?? null;
  const seen = new Set<unknown>();
  for (let i = 0; node !== null && i < 16; i++) {
    seen.add(node);
    const next = node.issuerCertificate as { raw?: Buffer; issuerCertificate?: unknown } | undefined;
    if (next === undefined || next === null || seen.has(next) || next.raw === undefined) break;
    try {
      out.push(new X509Certificate(next.raw));
    } catch {
      break;
    }
    node = next;
  }
  return out;
}

/**
 * How many intermediate CA certificates lie between `leaf` and a self-signed CA of `anchors`
 * (OpenSSL's verify depth counts them: depth 1 allows one). undefined: no chain within `maxSteps`.
 */
export function chainIntermediates(leaf: X509Certificate, presented: readonly X509Certificate[], anchors: readonly X509Certificate[], maxSteps: number): number | undefined {
  let current = leaf;
  let intermediates = 0;
  for (let step = 0; step < maxSteps; step++) {
    const fromBundle = anchors.find((c) => issued(c, current));
    if (fromBundle !== undefined && issued(fromBundle, fromBundle)) return intermediates;
    const next = fromBundle ?? presented.find((c) => issued(c, current));
    if (next === undefined || next === current) return undefined;
    intermediates++;
    current = next;
  }
  return undefined;
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Node's X509Certificate.subject is OpenSSL's multi-line form (RFC 2253 escaping, one RDN a line,
 * first RDN first, ' + ' between the values of a multi-valued RDN); nginx prints RFC 2253: last RDN
 * first, ',' between RDNs, '+' inside one (its values reversed too, as OpenSSL's XN_FLAG_DN_REV walks
 * every entry backwards), and bytes above 0x7E escaped as \XX. test/dataplane/client-certificate-dn.test.ts
 * compares the result with `openssl x509 -nameopt RFC2253` for awkward subjects.
 */
export function rfc2253(multiline: string): string {
  if (multiline === '') return '';
  return multiline
    .split('\n')
    .reverse()
    .map((rdn) => escapeHigh(rdn.split(' + ').reverse().join('+')))
    .join(',');
}

function escapeHigh(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** OpenSSL's X509_verify_cert_error_string for the codes Node reports, as nginx prints them after FAILED:. */
const REASONS: Readonly<Record<string, string>> = {
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_CRL: 'unable to get certificate CRL',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'unable to decode issuer public key',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CRL_SIGNATURE_FAILURE: 'CRL signature failure',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CRL_NOT_YET_VALID: 'CRL is not yet valid',
  CRL_HAS_EXPIRED: 'CRL has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  CERT_REVOKED: 'certificate revoked',
  INVALID_CA: 'invalid CA certificate',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
};

function verifyReason(code: string): string {
  const known = REASONS[code];
  if (known !== undefined) return known;
  // Unknown codes: a fixed alphabet only (the value becomes a header).
  let out = '';
  for (const ch of code.slice(0, 64)) out += /[A-Za-z0-9_]/.test(ch) ? (ch === '_' ? ' ' : ch.toLowerCase()) : '';
  return out === '' ? 'unknown' : out;
}

interface SocketFacts {
  servername?: string | false | null;
}

/**
 * The request step. `required`: the route host's requirement (RouteTarget.clientCertificate);
 * `socket`: the request's connection (req.socket). Runs for every request over HTTPS, and for plain
 * HTTP requests to an mTLS host.
 */
export function checkClientCertificate(required: CompiledClientCertificate | undefined, scheme: 'http' | 'https', socket: object | null | undefined): ClientCertificateCheck {
  const state = scheme === 'https' ? clientCertificateOf(socket) : undefined;
  if (required === undefined) {
    if (state === undefined) return PASS;
    return { ok: false, status: 421, error: 'connection verified for another host' };
  }
  const refuse = (error: string): ClientCertificateCheck => {
    const page = required.policy.errorPage;
    return page === undefined ? { ok: false, status: 400, error } : { ok: false, status: 302, error, location: page };
  };
  if (scheme === 'http') return refuse('client certificate required (plain HTTP)');
  if (state === undefined) {
    const sni = (socket as SocketFacts | null | undefined)?.servername;
    if (typeof sni === 'string' && sni !== '') return { ok: false, status: 421, error: 'connection opened for another host' };
    return refuse('client certificate required (no SNI)');
  }
  if (state.hostKey !== required.hostKey) return { ok: false, status: 421, error: 'connection opened for another host' };
  const verify = state.verify;
  const mode = required.policy.verify;
  if (mode === 'on' && verify === 'NONE') return refuse('no required SSL certificate was sent');
  if (mode !== 'optional_no_ca' && verify.startsWith('FAILED:')) return refuse('client certificate verification failed');
  const headers = ['ssl-client-verify', verify];
  if (state.subjectDn !== '') headers.push('ssl-client-subject-dn', state.subjectDn);
  if (state.issuerDn !== '') headers.push('ssl-client-issuer-dn', state.issuerDn);
  if (required.policy.passCertificate && state.escapedCert !== '') headers.push('ssl-client-cert', state.escapedCert);
  return { ok: true, headers };
}
