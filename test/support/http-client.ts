// A small HTTP/1.1 client for tests: one request, the whole response collected. The Host header is
// set explicitly (routing tests need arbitrary hosts on 127.0.0.1).
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpRequestOptions {
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer | Readable;
  /** Where to connect. Default 127.0.0.1. */
  address?: string;
  /** The local address to connect from (a loopback alias such as 127.0.0.5): the peer address the server sees. */
  localAddress?: string;
  /** Default: a fresh connection per request (agent: false). */
  agent?: Agent | false;
  timeoutMs?: number;
}

export function httpRequest(port: number, o: HttpRequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...(o.headers ?? {}) };
    if (o.host !== undefined) headers.host = o.host;
    const req = request({
      host: o.address ?? '127.0.0.1',
      port,
      method: o.method ?? 'GET',
      path: o.path ?? '/',
      headers,
      agent: o.agent ?? false,
      setHost: o.host === undefined,
      ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    const body = o.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** The JSON body of a response, typed by the caller. */
export function json<T>(r: HttpResult): T {
  return JSON.parse(r.body.toString('utf8')) as T;
}

export interface H2Result {
  status: number;
  body: string;
  trailers: Record<string, unknown>;
}

/** One request without a body over an HTTP/2 session, collected whole with its trailers. */
export function h2Get(session: ClientHttp2Session, headers: OutgoingHttpHeaders): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString(), trailers }));
    stream.on('error', reject);
    stream.end();
  });
}
