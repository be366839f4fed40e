// A thin JSON client over the API server. client-node supplies what is hard to get right
// (kubeconfig, TLS, tokens, exec plugins, in-cluster token refresh: applySecurityAuthentication);
// the requests themselves are raw so that lists and watches deliver the API's JSON untouched to
// the shared normaliser (client-node's typed models turn timestamps into Dates and drop unknown
// fields), status writes round-trip losslessly, and watches can be read line by line with our own
// stall detection (client-node's Watch hard-codes a 30 s inactivity abort).

import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string; // '/apis/networking.k8s.io/v1/ingresses'
  query?: Query;
  body?: unknown;
  /** Default application/json; PATCH callers pass application/merge-patch+json. */
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Default application/json; a metadata-only list passes METADATA_LIST_ACCEPT. */
  accept?: string;
}

export interface WatchEvent {
  type: string; // ADDED | MODIFIED | DELETED | BOOKMARK | ERROR
  object: unknown;
}

export interface KubeClient {
  readonly server: string;
  request<T = unknown>(req: KubeRequest): Promise<T>;
  /** Opens a watch; the iterator ends when the server closes the stream. `accept` as in KubeRequest
   * (a metadata-only watch passes METADATA_WATCH_ACCEPT). */
  watch(path: string, query: Query, signal: AbortSignal, accept?: string): Promise<AsyncIterable<WatchEvent>>;
}

// Metadata-only reads (what client-go's metadata informer asks for): the API server answers with
// PartialObjectMetadata, so a Secret's data never crosses the wire. A list must ask for the List
// form and a watch for the item form (the server answers 406 otherwise).
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** A non-2xx answer from the API server (status 0 when the server could not be reached). */
export class KubeApiError extends Error {
  readonly code = 'ERR_KUBE_API';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_LINE_BYTES = 64 * 1024 * 1024; // one watch event; guards memory against a broken stream

export function createKubeClient(kubeConfig: KubeConfig): KubeClient {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');

  const prepare = async (
    method: KubeRequest['method'],
    path: string,
    query: Query | undefined,
    accept = 'application/json',
  ): Promise<{ url: string; headers: Record<string, string>; dispatcher: Dispatcher | undefined }> => {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    await kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.getHeaders())) headers[k.toLowerCase()] = v;
    headers.accept = accept;
    return { url: ctx.getUrl(), headers, dispatcher: ctx.getDispatcher() as Dispatcher | undefined };
  };

  const request = async <T>(req: KubeRequest): Promise<T> => {
    const { url, headers, dispatcher } = await prepare(req.method, req.path, req.query, req.accept);
    const timeout = AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    let res;
    try {
      res = await fetch(url, { method: req.method, headers, body, signal, ...(dispatcher ? { dispatcher } : {}) });
    } catch (err) {
      throw unreachable(req.method, req.path, err);
    }
    const text = await res.text().catch((err: unknown) => {
      throw unreachable(req.method, req.path, err);
    });
    if (res.status < 200 || res.status > 299) throw apiError(res.status, req.method, req.path, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };

  const watch = async (path: string, query: Query, signal: AbortSignal, accept?: string): Promise<AsyncIterable<WatchEvent>> => {
    const { url, headers, dispatcher } = await prepare('GET', path, { ...query, watch: true }, accept);
    let res;
    try {
      res = await fetch(url, { method: 'GET', headers, signal, ...(dispatcher ? { dispatcher } : {}) });
    } catch (err) {
      throw unreachable('WATCH', path, err);
    }
    if (res.status !== 200 || res.body === null) {
      const text = await res.text().catch(() => '');
      throw apiError(res.status, 'WATCH', path, text);
    }
    return readLines(res.body);
  };

  return { server, request, watch };
}

async function* readLines(body: ReadableStream<Uint8Array>): AsyncIterable<WatchEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    if (buffered.length > MAX_LINE_BYTES) throw new KubeApiError(0, 'WatchEventTooLarge', 'watch event too large');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === '') continue;
      const parsed = JSON.parse(line) as { type?: unknown; object?: unknown };
      if (typeof parsed.type === 'string') yield { type: parsed.type, object: parsed.object };
    }
  }
}

function apiError(status: number, method: string, path: string, text: string): KubeApiError {
  let reason = '';
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not a Status object: keep the raw (truncated) text
  }
  return new KubeApiError(status, reason, `${method} ${path}: ${status} ${message}`);
}

function unreachable(method: string, path: string, err: unknown): KubeApiError {
  const cause = err as { message?: string; cause?: { code?: string; message?: string }; name?: string };
  const detail = cause.cause?.code ?? cause.cause?.message ?? cause.message ?? String(err);
  return new KubeApiError(0, cause.name === 'AbortError' || cause.name === 'TimeoutError' ? 'Aborted' : 'Unreachable', `${method} ${path}: ${detail}`, { cause: err });
}
