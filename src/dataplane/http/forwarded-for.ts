// Trusted proxies (`--trusted-proxies CIDR,...`): which peers may tell us who the client is.
//
// Forwarding headers from an untrusted peer are replaced; from a trusted peer the chain is appended
// to, and the client address is the right-most address in X-Forwarded-For that is not itself a
// trusted proxy (anything to its left was written by parties we cannot vouch for). Pure: string
// in, typed data out; no DNS, no node:net.

export interface Cidr {
  /** 4 for IPv4, 6 for IPv6 (IPv4-mapped IPv6 addresses are matched as IPv4). */
  family: 4 | 6;
  /** The network, as four 32-bit words (IPv4 uses the last word only). */
  words: readonly [number, number, number, number];
  prefix: number;
  /** The canonical text, for logs and /debug. */
  text: string;
}

export type TrustedProxiesResult = { ok: true; cidrs: Cidr[] } | { ok: false; error: string };

/** Parses `10.0.0.0/8,192.168.1.10,fd00::/8`. An empty string trusts no one. */
export function parseTrustedProxies(text: string): TrustedProxiesResult {
  const cidrs: Cidr[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const cidr = parseCidr(item);
    if (cidr === undefined) return { ok: false, error: `not an IP address or CIDR: ${JSON.stringify(item.slice(0, 64))}` };
    cidrs.push(cidr);
  }
  return { ok: true, cidrs };
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (ip === undefined) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  // '::ffff:10.0.0.0/104' is written with an IPv6 prefix length for an IPv4 network.
  const mappedShift = ip.family === 4 && addrText.includes(':') ? 96 : 0;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p) - mappedShift;
    if (prefix < 0 || prefix > max) return undefined;
  }
  const words = mask(ip.words, ip.family === 4 ? prefix + 96 : prefix);
  return { family: ip.family, words, prefix, text: `${formatIp(ip.family, words)}/${prefix}` };
}

interface ParsedIp {
  family: 4 | 6;
  words: [number, number, number, number];
}

/** Parses an IPv4 or IPv6 address (no zone id, no brackets). IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): ParsedIp | undefined {
  if (text.includes(':')) {
    const v6 = parseIPv6(text);
    if (v6 === undefined) return undefined;
    if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) return { family: 4, words: [0, 0, 0, v6[3]] };
    return { family: 6, words: v6 };
  }
  const v4 = parseIPv4(text);
  return v4 === undefined ? undefined : { family: 4, words: [0, 0, 0, v4] };
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

function parseIPv6(text: string): [number, number, number, number] | undefined {
  if (text.length > 45 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] ?? '';
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return undefined;
  const w = (i: number): number => (((all[i] ?? 0) << 16) | (all[i + 1] ?? 0)) >>> 0;
  return [w(0), w(2), w(4), w(6)];
}

function mask(words: readonly number[], bits: number): [number, number, number, number] {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    const m = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    out[i] = ((words[i] ?? 0) & m) >>> 0;
  }
  return out;
}

function formatIp(family: 4 | 6, words: readonly number[]): string {
  if (family === 4) {
    const v = words[3] ?? 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: string[] = [];
  for (const w of words) groups.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  return groups.join(':');
}

/** A predicate for DataPlaneOptions.isTrustedProxy. Unparseable addresses are never trusted. */
export function createTrustedProxyMatcher(cidrs: readonly Cidr[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => false;
  return (address: string): boolean => {
    const ip = parseIp(address);
    if (ip === undefined) return false;
    for (const c of cidrs) {
      if (c.family !== ip.family) continue;
      const bits = c.family === 4 ? c.prefix + 96 : c.prefix;
      const m = mask(ip.words, bits);
      if (m[0] === c.words[0] && m[1] === c.words[1] && m[2] === c.words[2] && m[3] === c.words[3]) return true;
    }
    return false;
  };
}

export interface ForwardingInput {
  /** The TCP peer address ('::ffff:' prefix already removed or not: both work). */
  peer: string;
  isTrusted: (address: string) => boolean;
  /** The scheme and Host of this hop, as Gatehouse saw them. */
  scheme: 'http' | 'https';
  host: string;
  /** Incoming values (undefined when absent; repeated headers already joined with ', '). */
  xForwardedFor?: string | undefined;
  xForwardedProto?: string | undefined;
  xForwardedHost?: string | undefined;
  forwarded?: string | undefined;
}

export interface ForwardingHeaders {
  /** The client: the peer, or the right-most untrusted address of the chain from a trusted peer. */
  clientAddress: string;
  xForwardedFor: string;
  xForwardedProto: string;
  xForwardedHost: string;
  xRealIp: string;
  forwarded: string;
}

/**
 * The forwarding headers to send upstream. Untrusted peer: every incoming value is replaced.
 * Trusted peer: the chains (X-Forwarded-For, Forwarded) are appended to, and the client's
 * proto/host are kept when they are well-formed.
 */
export function computeForwarding(input: ForwardingInput): ForwardingHeaders {
  const peer = stripMapped(input.peer);
  const trusted = peer !== '' && input.isTrusted(peer);
  const ownElement = forwardedElement(peer, input.scheme, input.host);
  if (!trusted) {
    return {
      clientAddress: peer,
      xForwardedFor: peer,
      xForwardedProto: input.scheme,
      xForwardedHost: input.host,
      xRealIp: peer,
      forwarded: ownElement,
    };
  }
  const chain = input.xForwardedFor === undefined ? [] : splitList(input.xForwardedFor);
  const clientAddress = rightmostUntrusted(chain, peer, input.isTrusted);
  const proto = input.xForwardedProto?.trim().toLowerCase();
  const host = input.xForwardedHost?.trim();
  return {
    clientAddress,
    xForwardedFor: chain.length === 0 ? peer : `${chain.join(', ')}, ${peer}`,
    xForwardedProto: proto === 'http' || proto === 'https' ? proto : input.scheme,
    xForwardedHost: host !== undefined && host !== '' && isSafeToken(host) ? host : input.host,
    xRealIp: clientAddress,
    forwarded: input.forwarded !== undefined && input.forwarded.trim() !== '' && isSafeValue(input.forwarded) ? `${input.forwarded.trim()}, ${ownElement}` : ownElement,
  };
}

/** Walks the chain right to left from the peer; the first address that is not trusted is the client. */
export function rightmostUntrusted(chain: readonly string[], peer: string, isTrusted: (a: string) => boolean): string {
  let candidate = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = stripMapped(chain[i] ?? '');
    // Something that is not an address ends the walk: we cannot say who wrote what is left of it.
    if (parseIp(a) === undefined) return candidate;
    if (!isTrusted(a)) return a;
    candidate = a;
  }
  return candidate;
}

function splitList(v: string): string[] {
  const out: string[] = [];
  for (const part of v.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

function stripMapped(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** RFC 7239 element for this hop: IPv6 and anything not a token are quoted. */
export function forwardedElement(peer: string, scheme: 'http' | 'https', host: string): string {
  const forNode = peer.includes(':') ? `"[${peer}]"` : peer === '' ? 'unknown' : peer;
  const hostValue = isSafeToken(host) ? host : `"${host.replace(/["\\]/g, '')}"`;
  return `for=${forNode};proto=${scheme};host=${hostValue}`;
}

function isSafeToken(s: string): boolean {
  return /^[A-Za-z0-9.\-_~!$&'*+^`|]+$/.test(s) && s.length <= 300;
}

function isSafeValue(s: string): boolean {
  return s.length <= 4096 && !/[\x00-\x08\x0a-\x1f\x7f]/.test(s);
}
