// The header set sent back to the client from a backend response: hop-by-hop headers (and those
// the backend's Connection names) removed, Content-Length kept as the backend sent it (no
// re-chunking), `Server: gatehouse` only where the backend sent none, HSTS when the policy asks.
// Date is added by Node when absent. The same rules serve HTTP/1.1 and HTTP/2 clients (HTTP/2
// forbids every connection-specific header removed here).
import { tokenList } from '../http/header-value.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'te',
]);

export const SERVER_NAME = 'gatehouse';

/** Flat pairs for writeHead; a value may be an array (repeated headers such as Set-Cookie). */
export function buildResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  hsts: string | undefined,
  extra: readonly string[],
  /** Headers Gatehouse sets itself (CORS): the backend's own of these names are dropped. */
  replaced?: ReadonlySet<string>,
): (string | string[])[] {
  const out: (string | string[])[] = [];
  const named = headers.connection;
  const connectionOptions = named === undefined ? undefined : tokenList(named);
  let hasServer = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (connectionOptions !== undefined && connectionOptions.includes(name)) continue;
    if (hsts !== undefined && name === 'strict-transport-security') continue;
    if (replaced !== undefined && replaced.has(name)) continue;
    if (name === 'server') hasServer = true;
    out.push(name, value);
  }
  if (!hasServer) out.push('server', SERVER_NAME);
  if (hsts !== undefined) out.push('strict-transport-security', hsts);
  for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
  return out;
}

/** Headers for a relayed 101: Connection and Upgrade are the point of it and stay; framing goes. */
export function buildUpgradeResponseHead(statusCode: number, statusText: string, rawHeaders: readonly (Buffer | string)[]): string | undefined {
  let head = `HTTP/1.1 ${statusCode} ${statusText || 'Switching Protocols'}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]);
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'keep-alive' || lower === 'proxy-connection') continue;
    const value = String(rawHeaders[i + 1]);
    if (!isWritable(name) || !isWritable(value)) return undefined;
    head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

function isWritable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) return false;
  }
  return true;
}
