// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
// X-Forwarded-For chain is walked from the right to the first address that is not trusted.
// Something that is not an IP address ends the walk: the last address seen is used instead.
import { isIP } from 'node:net';
import { connectionPeerAddress } from '../front/connection-address.ts';

/** '::ffff:1.2.3.4' → '1.2.3.4'; undefined (a destroyed socket) → ''. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function resolveClientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  isTrusted: ((address: string) => boolean) | undefined,
): string {
  if (isTrusted === undefined || forwardedFor === undefined || !isTrusted(peer)) return peer;
  const chain = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  let leftmost = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = plainAddress(chain[i]!.trim());
    if (a.length === 0) continue;
    if (isIP(a) === 0) return leftmost;
    if (!isTrusted(a)) return a;
    leftmost = a;
  }
  return leftmost;
}

/**
 * The TCP peer of a client connection, in plain form: the one place the data plane reads it (a
 * PROXY-protocol address carried with the socket is read here too).
 */
export function peerAddress(socket: { readonly remoteAddress?: string | undefined } | null | undefined): string {
  return connectionPeerAddress(socket);
}
