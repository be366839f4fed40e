// The client address of a connection, in ONE place. A PROXY protocol header (front-door.ts) names
// the client; the address is carried on the accepted socket under a private symbol, and everything
// that reads a client's address (the exchanges, the access log, X-Forwarded-For, source ranges,
// client-error lines) reads it here. Without a header it is the TCP peer address.
//
// A symbol property rather than a WeakMap: HTTP/2's request.socket is a Proxy of the session's socket
// that forwards property reads (a WeakMap lookup of the Proxy would miss), and a TLS socket made by a
// TLS server from our raw socket keeps it as `_parent` (Node's own field, read only here).
import { plainAddress } from '../http/client-address.ts';

const CLIENT_ADDRESS = Symbol('gatehouse.clientAddress');

interface Carrier {
  [CLIENT_ADDRESS]?: string;
  remoteAddress?: string | undefined;
  _parent?: Carrier | null;
}

/** Records the client address a PROXY protocol header gave for this (raw, accepted) socket. */
export function rememberClientAddress(socket: object, address: string): void {
  Object.defineProperty(socket, CLIENT_ADDRESS, { value: plainAddress(address), enumerable: false, configurable: false, writable: false });
}

/** The connection's client address: the PROXY header's if one was read, else the TCP peer; '' once destroyed. */
export function connectionPeerAddress(socket: object | undefined | null): string {
  if (socket === undefined || socket === null) return '';
  const carrier = socket as Carrier;
  const own = carrier[CLIENT_ADDRESS] ?? carrier._parent?.[CLIENT_ADDRESS];
  return own ?? plainAddress(carrier.remoteAddress);
}
