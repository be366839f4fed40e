// Raw-socket HTTP for tests that need exact bytes: send what you want, read what comes back.
import { connect } from 'node:net';

export interface RawResult {
  /** Every byte received until the connection closed (or the timeout/stop condition). */
  raw: Buffer;
  /** The peer closed (or reset) the connection. */
  closed: boolean;
  /** The connection ended with an error (e.g. ECONNRESET). */
  error: string | undefined;
}

/**
 * Writes `bytes` to address:port and collects the answer until the server closes, `timeoutMs`
 * passes, or `until(received)` says enough.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer | (string | Buffer)[],
  o: { address?: string; timeoutMs?: number; until?: (received: Buffer) => boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: o.address ?? '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ raw: Buffer.concat(chunks), closed, error });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (o.until?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('error', (e: Error & { code?: string }) => finish(true, e.code ?? e.message));
    socket.on('close', () => finish(true));
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b);
  });
}

export interface ParsedResponse {
  status: number;
  /** Header pairs in order, names as sent. */
  headers: [string, string][];
  body: Buffer;
  /** Bytes left after this response (a pipelined next response). */
  rest: Buffer;
  /** The body was complete per its framing (Content-Length or chunked terminator). */
  complete: boolean;
}

/** Parses one HTTP/1.1 response from the front of `buf` (Content-Length, chunked or read-to-close framing). */
export function parseResponse(buf: Buffer, headRequest = false): ParsedResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: [string, string][] = lines.slice(1).map((l) => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  const get = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let rest = buf.subarray(end + 4);
  if (headRequest || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, headers, body: Buffer.alloc(0), rest, complete: true };
  }
  const cl = get('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    return { status, headers, body: rest.subarray(0, n), rest: rest.subarray(n), complete: rest.length >= n };
  }
  if (get('transfer-encoding')?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd === -1) return { status, headers, body: Buffer.concat(parts), rest, complete: false };
      const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd - 2 < 0 ? 0 : lineEnd - 2);
        const complete = trailerEnd !== -1;
        return { status, headers, body: Buffer.concat(parts), rest: complete ? rest.subarray(trailerEnd + 4) : Buffer.alloc(0), complete };
      }
      if (rest.length < lineEnd + 2 + size + 2) {
        parts.push(rest.subarray(lineEnd + 2));
        return { status, headers, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false };
      }
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
  }
  return { status, headers, body: rest, rest: Buffer.alloc(0), complete: false };
}

/** A `until` for rawExchange: stop once one complete response has arrived. */
export function oneResponse(headRequest = false): (b: Buffer) => boolean {
  return (b) => parseResponse(b, headRequest)?.complete === true;
}
