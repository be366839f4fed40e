// The header set sent to an endpoint, built deliberately rather than copied: the client's
// end-to-end headers in their order, minus hop-by-hop ones (and any named in Connection), minus
// client framing (the proxy sends its own Content-Length or chunked framing), minus the forwarding
// headers we own, which are then set from what the proxy knows.
import { forwardedElement } from '../http/forwarded-element.ts';
import { tokenList } from '../http/header-value.ts';

const FORWARD = 0;
const DROP = 1;
const XFF = 2;
const XF_PROTO = 3;
const XF_HOST = 4;
const XF_PORT = 5;
const FORWARDED = 6;
const TE = 7;
const COOKIE = 8;
const SPOOFABLE = 9;

const CLASSES = new Map<string, number>([
  ['connection', DROP],
  ['keep-alive', DROP],
  ['proxy-connection', DROP],
  ['trailer', DROP],
  ['transfer-encoding', DROP],
  ['upgrade', DROP],
  ['content-length', DROP], // re-added from the proxy's own framing decision
  ['host', DROP], // re-added first, from the original Host / :authority
  ['expect', DROP], // the front side has already answered 100-continue
  ['http2-settings', DROP],
  ['x-real-ip', DROP],
  ['x-request-id', DROP], // re-added: the client's when valid, else generated
  // mtls: set by Gatehouse for mTLS hosts only (steps/client-certificate.ts); a client's copy never passes.
  ['ssl-client-cert', DROP],
  ['ssl-client-verify', DROP],
  ['ssl-client-subject-dn', DROP],
  ['ssl-client-issuer-dn', DROP],
  ['x-forwarded-for', XFF],
  ['x-forwarded-proto', XF_PROTO],
  ['x-forwarded-host', XF_HOST],
  ['x-forwarded-port', XF_PORT],
  ['forwarded', FORWARDED],
  ['te', TE],
  ['cookie', COOKIE],
  // Headers backends and frameworks read as facts about the client, its scheme, its path or its
  // identity (Rack reads X-Forwarded-Ssl and X-Forwarded-Scheme before X-Forwarded-Proto): only a
  // trusted proxy may send them; from anyone else they are dropped (docs/security.md).
  ...[
    'x-forwarded-scheme',
    'x-scheme',
    'x-forwarded-ssl',
    'front-end-https',
    'x-url-scheme',
    'x-original-uri',
    'x-original-forwarded-for',
    'x-forwarded-prefix',
    'x-forwarded-server',
    'x-forwarded',
    'forwarded-for',
    'x-client-ip',
    'true-client-ip',
    'cf-connecting-ip',
    'fastly-client-ip',
    'x-cluster-client-ip',
    'x-original-host',
    'x-remote-user',
    'x-remote-group',
    'remote-user',
    'x-forwarded-user',
    'x-forwarded-email',
    'x-forwarded-groups',
    'x-forwarded-preferred-username',
    'x-forwarded-access-token',
  ].map((name): [string, number] => [name, SPOOFABLE]),
]);

/** Header families owned by auth proxies and Envoy: spoofable the same way. */
const SPOOFABLE_PREFIXES = ['x-auth-request-', 'x-envoy-'];

// Raw header names as clients spell them ('User-Agent', 'user-agent') → class, so the common case
// needs no lower-casing. Bounded so a client inventing names cannot grow it.
const rawNameCache = new Map<string, number>();
const RAW_NAME_CACHE_MAX = 4096;

function classify(rawName: string): number {
  const cached = rawNameCache.get(rawName);
  if (cached !== undefined) return cached;
  const lower = rawName.toLowerCase();
  let cls = CLASSES.get(lower);
  // Names with '_' are dropped: CGI-style backends map '_' and '-' alike, so `X_Forwarded_For`
  // would otherwise pass as the X-Forwarded-For this proxy replaces (nginx drops them too).
  if (cls === undefined) cls = lower.startsWith('proxy-') || lower.charCodeAt(0) === 58 /* : */ || lower.includes('_') ? DROP : FORWARD;
  if (cls === FORWARD && SPOOFABLE_PREFIXES.some((p) => lower.startsWith(p))) cls = SPOOFABLE;
  if (rawNameCache.size < RAW_NAME_CACHE_MAX) rawNameCache.set(rawName, cls);
  return cls;
}

// Connection options that are hop-by-hop headers already dropped above, or not header names at all.
const KNOWN_CONNECTION_OPTIONS = new Set(['close', 'keep-alive', 'upgrade', 'te', 'http2-settings']);

export interface ForwardingFacts {
  scheme: 'http' | 'https';
  /** The TCP peer. */
  peerAddress: string;
  /** The client (the peer, or from X-Forwarded-For when the peer is a trusted proxy). */
  clientAddress: string;
  /** The peer is a trusted proxy: its X-Forwarded-* are appended to / kept. */
  trustedPeer: boolean;
  /** The Host (HTTP/1) or :authority (HTTP/2) as the client sent it. */
  host: string;
  /** The port the client connected to. */
  localPort: number;
  requestId: string;
  /** The Content-Length to send, when the proxy frames the body by length. */
  contentLength: string | undefined;
  /** HTTP/2 splits Cookie into several fields; HTTP/1.1 needs them joined with '; '. */
  joinCookies: boolean;
}

/** Flat name/value pairs for undici. Names are the client's spelling; values are not re-validated here (undici does). */
export function buildUpstreamHeaders(
  rawHeaders: readonly string[],
  connection: string | string[] | undefined,
  f: ForwardingFacts,
): string[] {
  const out: string[] = ['host', f.host];
  let connectionOptions: string[] | undefined;
  if (connection !== undefined) {
    for (const t of tokenList(connection)) {
      if (!KNOWN_CONNECTION_OPTIONS.has(t)) (connectionOptions ??= []).push(t);
    }
  }
  let xff: string | undefined;
  let xfProto: string | undefined;
  let xfHost: string | undefined;
  let xfPort: string | undefined;
  let fwd: string | undefined;
  let cookies: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const cls = classify(name);
    if (cls === DROP) continue;
    if (connectionOptions !== undefined && connectionOptions.includes(name.toLowerCase())) continue;
    switch (cls) {
      case FORWARD:
        out.push(name, value);
        break;
      case XFF:
        if (f.trustedPeer) xff = xff === undefined ? value : `${xff}, ${value}`;
        break;
      case XF_PROTO:
        if (f.trustedPeer) xfProto ??= value;
        break;
      case XF_HOST:
        if (f.trustedPeer) xfHost ??= value;
        break;
      case XF_PORT:
        if (f.trustedPeer) xfPort ??= value;
        break;
      case FORWARDED:
        if (f.trustedPeer) fwd = fwd === undefined ? value : `${fwd}, ${value}`;
        break;
      case TE:
        // Only "trailers" is end-to-end; transfer codings are negotiated per hop.
        if (tokenList(value).includes('trailers')) out.push('te', 'trailers');
        break;
      case SPOOFABLE:
        if (f.trustedPeer) out.push(name, value);
        break;
      case COOKIE:
        if (f.joinCookies) cookies = cookies === undefined ? value : `${cookies}; ${value}`;
        else out.push(name, value);
        break;
    }
  }
  if (cookies !== undefined) out.push('cookie', cookies);
  if (f.contentLength !== undefined) out.push('content-length', f.contentLength);
  out.push(
    'x-forwarded-for',
    xff === undefined ? f.peerAddress : `${xff}, ${f.peerAddress}`,
    'x-forwarded-proto',
    xfProto ?? f.scheme,
    'x-forwarded-host',
    xfHost ?? f.host,
    'x-forwarded-port',
    xfPort ?? String(f.localPort),
    'x-real-ip',
    f.clientAddress,
    'x-request-id',
    f.requestId,
    // RFC 7239: replaced from an untrusted peer, appended to from a trusted one (hardening).
    'forwarded',
    fwd === undefined ? forwardedElement(f.peerAddress, f.scheme, f.host) : `${fwd}, ${forwardedElement(f.peerAddress, f.scheme, f.host)}`,
  );
  return out;
}
