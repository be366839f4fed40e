// The PROXY protocol header (HAProxy's spec, versions 1 and 2) a load balancer such as AWS NLB puts
// in front of a TCP connection to say who the client is. Parsed strictly and bounded: a v1 line is
// at most 107 bytes, a v2 header at most 12 + 4 + MAX_V2_PAYLOAD bytes; TLVs are skipped unread.
// The parser is fed the bytes received so far and says: need more, invalid, or the header and its length.
import { isIP } from 'node:net';

/** Where the client is, as the header says; absent for LOCAL (v2) and UNKNOWN (v1): keep the socket's own. */
export interface ProxiedAddress {
  address: string;
  port: number;
}

export type ProxyHeaderResult =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'header'; version: 1 | 2; length: number; source?: ProxiedAddress };

/** The v1 spec's own limit: "PROXY UNKNOWN" plus the longest TCP6 line and CRLF. */
export const MAX_V1_LENGTH = 107;
/** Bytes after the 16-byte v2 prefix. Addresses take at most 216 (AF_UNIX); the rest is TLVs (AWS, Azure ids). */
export const MAX_V2_PAYLOAD = 2048;

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

export function parseProxyHeader(buf: Buffer): ProxyHeaderResult {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return { kind: 'invalid', reason: 'not a PROXY protocol header' };
}

function parseV1(buf: Buffer): ProxyHeaderResult {
  const prefix = Math.min(buf.length, V1_PREFIX.length);
  if (!buf.subarray(0, prefix).equals(V1_PREFIX.subarray(0, prefix))) return { kind: 'invalid', reason: 'not a PROXY protocol header' };
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end === -1) {
    return buf.length >= MAX_V1_LENGTH ? { kind: 'invalid', reason: `v1 header longer than ${MAX_V1_LENGTH} bytes` } : { kind: 'incomplete' };
  }
  const length = end + 2;
  if (length > MAX_V1_LENGTH) return { kind: 'invalid', reason: `v1 header longer than ${MAX_V1_LENGTH} bytes` };
  const line = buf.subarray(0, end).toString('latin1');
  const fields = line.split(' ');
  // "PROXY UNKNOWN" may be followed by anything up to the CRLF, which the receiver ignores.
  if (fields[1] === 'UNKNOWN') return { kind: 'header', version: 1, length };
  if (fields.length !== 6) return { kind: 'invalid', reason: 'v1 header must have six fields' };
  const [, family, src, dst, srcPort, dstPort] = fields as [string, string, string, string, string, string];
  const want = family === 'TCP4' ? 4 : family === 'TCP6' ? 6 : 0;
  if (want === 0) return { kind: 'invalid', reason: 'v1 protocol must be TCP4, TCP6 or UNKNOWN' };
  if (isIP(src) !== want || isIP(dst) !== want) return { kind: 'invalid', reason: `v1 addresses are not ${family} addresses` };
  // The spec forbids leading zeros, so a port is 0 or [1-9][0-9]{0,4} up to 65535.
  const port = v1Port(srcPort);
  if (port === undefined || v1Port(dstPort) === undefined) return { kind: 'invalid', reason: 'v1 port is not a decimal 0-65535' };
  if (want === 4 && (hasLeadingZeroOctet(src) || hasLeadingZeroOctet(dst))) return { kind: 'invalid', reason: 'v1 IPv4 address has a leading zero' };
  return { kind: 'header', version: 1, length, source: { address: src, port } };
}

function v1Port(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function hasLeadingZeroOctet(address: string): boolean {
  return address.split('.').some((o) => o.length > 1 && o.startsWith('0'));
}

function parseV2(buf: Buffer): ProxyHeaderResult {
  const prefix = Math.min(buf.length, V2_SIGNATURE.length);
  if (!buf.subarray(0, prefix).equals(V2_SIGNATURE.subarray(0, prefix))) return { kind: 'invalid', reason: 'not a PROXY protocol header' };
  if (buf.length < 16) return { kind: 'incomplete' };
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', reason: 'v2 header with a version other than 2' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'invalid', reason: 'v2 command is neither LOCAL nor PROXY' };
  const familyProtocol = buf[13]!;
  const payload = buf.readUInt16BE(14);
  if (payload > MAX_V2_PAYLOAD) return { kind: 'invalid', reason: `v2 header longer than ${16 + MAX_V2_PAYLOAD} bytes` };
  const length = 16 + payload;
  if (buf.length < length) return { kind: 'incomplete' };
  // LOCAL: a health check of the load balancer itself; the addresses (if any) are ignored.
  if (command === 0) return { kind: 'header', version: 2, length };
  // PROXY over UNSPEC: the sender does not know the addresses; keep the socket's own.
  if (familyProtocol === 0x00) return { kind: 'header', version: 2, length };
  if (familyProtocol === 0x11) {
    if (payload < 12) return { kind: 'invalid', reason: 'v2 TCP4 address block shorter than 12 bytes' };
    const address = [buf[16], buf[17], buf[18], buf[19]].join('.');
    return { kind: 'header', version: 2, length, source: { address, port: buf.readUInt16BE(24) } };
  }
  if (familyProtocol === 0x21) {
    if (payload < 36) return { kind: 'invalid', reason: 'v2 TCP6 address block shorter than 36 bytes' };
    return { kind: 'header', version: 2, length, source: { address: ipv6Text(buf.subarray(16, 32)), port: buf.readUInt16BE(48) } };
  }
  return { kind: 'invalid', reason: 'v2 PROXY command for a transport other than TCP over IPv4 or IPv6' };
}

/** Sixteen bytes → the canonical compressed text, '::ffff:a.b.c.d' reduced to 'a.b.c.d' as sockets report it. */
function ipv6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return [bytes[12], bytes[13], bytes[14], bytes[15]].join('.');
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
