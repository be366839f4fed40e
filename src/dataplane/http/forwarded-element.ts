// One RFC 7239 `Forwarded` element, for the hop from the client (or the trusted proxy) to us.

/** IPv6 and anything that is not a token are quoted; an unknown peer is `for=unknown`. */
export function forwardedElement(peer: string, scheme: 'http' | 'https', host: string): string {
  const forNode = peer.includes(':') ? `"[${peer}]"` : peer === '' ? 'unknown' : peer;
  const hostValue = isSafeToken(host) ? host : `"${host.replace(/["\\]/g, '')}"`;
  return `for=${forNode};proto=${scheme};host=${hostValue}`;
}

function isSafeToken(s: string): boolean {
  return /^[A-Za-z0-9.\-_~!$&'*+^`|]+$/.test(s) && s.length <= 300;
}
