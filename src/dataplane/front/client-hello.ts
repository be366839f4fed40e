// Reads the server name (SNI) of a TLS ClientHello from the first bytes of a connection, without
// consuming them, so the front door can route the connection before any TLS is done (SSL
// passthrough, and the TLS server the handshake goes to). Our own bounded parser: TLS records of
// type handshake (a ClientHello fragmented over several records is reassembled), one ClientHello
// message, its extensions walked with every length checked against its container. Anything that
// does not parse is invalid and the connection is closed; the TLS server never sees it.

export type ClientHelloResult =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** `serverName` is lower-case, absent when the client sent no SNI. */
  | { kind: 'hello'; serverName?: string };

/** A ClientHello is a few hundred bytes; post-quantum key shares and tickets take it to a few KiB. */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;

export function parseClientHello(buf: Buffer): ClientHelloResult {
  // Reassemble the handshake bytes carried by the leading handshake records.
  const fragments: Buffer[] = [];
  let handshakeBytes = 0;
  let offset = 0;
  let needed = -1; // the ClientHello's full length (4-byte header + body), once known
  while (needed < 0 || handshakeBytes < needed) {
    if (buf.length < offset + 5) return { kind: 'incomplete' };
    const type = buf[offset]!;
    if (type !== RECORD_HANDSHAKE) return { kind: 'invalid', reason: offset === 0 ? 'not a TLS handshake record' : 'a non-handshake record inside the ClientHello' };
    if (buf[offset + 1] !== 3 || buf[offset + 2]! > 4) return { kind: 'invalid', reason: 'record version is not TLS 1.x' };
    const length = buf.readUInt16BE(offset + 3);
    if (length === 0 || length > 16384) return { kind: 'invalid', reason: 'record length out of range' };
    if (buf.length < offset + 5 + length) return { kind: 'incomplete' };
    fragments.push(buf.subarray(offset + 5, offset + 5 + length));
    handshakeBytes += length;
    offset += 5 + length;
    if (needed < 0 && handshakeBytes >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'invalid', reason: 'first handshake message is not a ClientHello' };
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO_BYTES) return { kind: 'invalid', reason: `ClientHello longer than ${MAX_CLIENT_HELLO_BYTES} bytes` };
    }
    if (offset > MAX_CLIENT_HELLO_BYTES + 1024) return { kind: 'invalid', reason: 'ClientHello records too long' };
  }
  const message = Buffer.concat(fragments).subarray(4, needed);
  return readHello(message);
}

function readHello(body: Buffer): ClientHelloResult {
  const r = new Reader(body);
  if (!r.skip(2 + 32)) return bad('truncated version or random'); // legacy_version, random
  const sessionId = r.u8();
  if (sessionId === undefined || sessionId > 32 || !r.skip(sessionId)) return bad('bad session id');
  const suites = r.u16();
  if (suites === undefined || suites < 2 || suites % 2 !== 0 || !r.skip(suites)) return bad('bad cipher suites');
  const compression = r.u8();
  if (compression === undefined || compression < 1 || !r.skip(compression)) return bad('bad compression methods');
  if (r.left === 0) return { kind: 'hello' }; // no extensions at all (old clients): no SNI
  const extensionsLength = r.u16();
  if (extensionsLength === undefined || extensionsLength !== r.left) return bad('extensions length does not match the message');
  const seen = new Set<number>();
  let serverName: string | undefined;
  while (r.left > 0) {
    const type = r.u16();
    const length = r.u16();
    if (type === undefined || length === undefined || length > r.left) return bad('truncated extension');
    if (seen.has(type)) return bad('duplicate extension');
    seen.add(type);
    const data = r.take(length)!;
    if (type !== EXTENSION_SERVER_NAME) continue;
    const name = readServerName(data);
    if (name === undefined) return bad('malformed server_name extension');
    serverName = name;
  }
  return serverName === undefined ? { kind: 'hello' } : { kind: 'hello', serverName };
}

/** server_name: a list (RFC 6066) that must hold exactly one host_name; a DNS name, lower-cased. */
function readServerName(data: Buffer): string | undefined {
  const r = new Reader(data);
  const listLength = r.u16();
  if (listLength === undefined || listLength !== r.left || listLength === 0) return undefined;
  let host: string | undefined;
  while (r.left > 0) {
    const nameType = r.u8();
    const length = r.u16();
    if (nameType === undefined || length === undefined || length === 0 || length > r.left) return undefined;
    const bytes = r.take(length)!;
    if (nameType !== NAME_TYPE_HOST) continue;
    if (host !== undefined) return undefined; // two host names
    if (length > 253) return undefined;
    for (const b of bytes) {
      // Letters, digits, '-', '.', '_' (seen in the wild): never a control byte, space or non-ASCII.
      const ok = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f;
      if (!ok) return undefined;
    }
    host = bytes.toString('latin1').toLowerCase();
  }
  return host;
}

function bad(reason: string): ClientHelloResult {
  return { kind: 'invalid', reason };
}

/** Bounds-checked big-endian reads over one buffer. */
class Reader {
  #buf: Buffer;
  #pos = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  get left(): number {
    return this.#buf.length - this.#pos;
  }
  u8(): number | undefined {
    if (this.left < 1) return undefined;
    return this.#buf[this.#pos++];
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  skip(n: number): boolean {
    if (this.left < n) return false;
    this.#pos += n;
    return true;
  }
  take(n: number): Buffer | undefined {
    if (this.left < n) return undefined;
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}
