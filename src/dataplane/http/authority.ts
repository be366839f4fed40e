// Strict syntax of a Host header value or an absolute-form authority (RFC 9110 §7.2, RFC 3986 §3.2.2),
// narrowed to what can name a virtual host: a DNS-style name or an IP address, an optional port.
// Percent-encodings, sub-delims and userinfo are refused: no legitimate client sends them in a
// Host, and each is a known way to make two parsers disagree on which host was meant.

import net from 'node:net';

export interface Authority {
  /** Lower-cased host: a name ('foo.example.com'), an IPv4 address, or a bracketed IPv6 literal. */
  host: string;
  port?: number;
}

const MAX_HOST_LENGTH = 253;

/** Parses `host[:port]`; undefined when the text is not a well-formed authority. */
export function parseAuthority(text: string): Authority | undefined {
  if (text.length === 0 || text.length > MAX_HOST_LENGTH + 7) return undefined;
  let hostEnd: number;
  let host: string;
  if (text.charCodeAt(0) === 0x5b /* [ */) {
    const close = text.indexOf(']');
    if (close === -1) return undefined;
    const inner = text.slice(1, close);
    if (!net.isIPv6(inner) || inner.includes('%')) return undefined;
    host = `[${inner.toLowerCase()}]`;
    hostEnd = close + 1;
    if (hostEnd < text.length && text.charCodeAt(hostEnd) !== 0x3a /* : */) return undefined;
  } else {
    const colon = text.indexOf(':');
    hostEnd = colon === -1 ? text.length : colon;
    host = text.slice(0, hostEnd);
    if (!isRegName(host)) return undefined;
    host = host.toLowerCase();
  }
  if (hostEnd === text.length) return { host };
  const port = parsePort(text, hostEnd + 1);
  return port === undefined ? undefined : { host, port };
}

/** Letters, digits, '-', '_' and '.', in non-empty labels of at most 63; one trailing dot allowed. */
function isRegName(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > MAX_HOST_LENGTH + 1) return false;
  let label = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (label === 0) return false;
      label = 0;
      continue;
    }
    const ok =
      (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
    if (!ok || ++label > 63) return false;
  }
  return true;
}

function parsePort(s: string, from: number): number | undefined {
  const n = s.length - from;
  if (n < 1 || n > 5) return undefined;
  let v = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10 + (c - 0x30);
  }
  return v <= 65535 ? v : undefined;
}
