// One list+watch loop for one collection, written for what real API servers do:
//  - 410 Gone (on a watch or a paginated list): relist from scratch, delivered as one complete list;
//  - a watch that closes, errors or cannot connect: re-watch from the last resourceVersion with
//    exponential backoff (client-node's informer instead stops for good on a non-410 error);
//  - a watch that delivers nothing, not even a bookmark, for stallTimeoutMs: abort and re-watch;
//  - the API server gone for minutes: keep retrying; nothing is forgotten meanwhile, because the
//    caller only ever hears about a complete list or a watch event, never about the failure itself.

import type { Logger } from '../observability/logger.ts';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffOptions } from './backoff.ts';
import { KubeApiError, METADATA_LIST_ACCEPT, METADATA_WATCH_ACCEPT, type KubeClient, type Query } from './kube-client.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListWatchOptions {
  client: KubeClient;
  /** Collection path, e.g. '/api/v1/namespaces/default/secrets'. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Ask for PartialObjectMetadata only (no spec, no data): items and events carry metadata alone. */
  metadataOnly?: boolean;
  logger: Logger;
  /** A watch silent this long is restarted. Default 5 minutes (the server sends bookmarks every minute or so). */
  stallTimeoutMs?: number;
  backoff?: BackoffOptions;
  pageSize?: number;
  /** A complete, consistent list (the first one and every relist). */
  onList(items: unknown[]): void;
  onEvent(type: WatchEventType, object: unknown): void;
}

export interface ListWatch {
  /** Starts the loop in the background. */
  start(): void;
  stop(): Promise<void>;
  /** True once a first list has completed. */
  readonly hasSynced: boolean;
}

const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
const STALLED = Symbol('watch stalled');
const STOPPED = Symbol('stopped');
/** A watch shorter than this that ends cleanly counts as a failure, so a flapping server cannot spin us. */
const MIN_HEALTHY_WATCH_MS = 1_000;

export function createListWatch(options: ListWatchOptions): ListWatch {
  const log = options.logger;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const pageSize = options.pageSize ?? 500;
  const selectors: Query = { fieldSelector: options.fieldSelector, labelSelector: options.labelSelector };
  const stop = new AbortController();
  let current: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let synced = false;
  let resourceVersion = '';
  let failures = 0;

  const list = async (): Promise<void> => {
    const items: unknown[] = [];
    let continueToken: string | undefined;
    let listRv = '';
    do {
      const page = await options.client.request<{ items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } }>({
        method: 'GET',
        path: options.path,
        query: { ...selectors, limit: pageSize, continue: continueToken },
        signal: stop.signal,
        timeoutMs: 60_000,
        ...(options.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
      });
      items.push(...(page.items ?? []));
      continueToken = page.metadata?.continue || undefined;
      listRv = page.metadata?.resourceVersion ?? '';
    } while (continueToken !== undefined);
    options.onList(items);
    resourceVersion = listRv;
    if (!synced) {
      synced = true;
      log.debug('first list complete', { path: options.path, items: items.length });
    } else {
      log.info('relisted', { path: options.path, items: items.length });
    }
  };

  const watchOnce = async (): Promise<void> => {
    const ac = new AbortController();
    current = ac;
    let stallTimer: NodeJS.Timeout | undefined;
    const armStall = (): void => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => ac.abort(STALLED), stallTimeoutMs);
      stallTimer.unref();
    };
    const onStop = (): void => ac.abort(STOPPED);
    stop.signal.addEventListener('abort', onStop, { once: true });
    const startedAt = Date.now();
    try {
      armStall();
      const events = await options.client.watch(
        options.path,
        {
          ...selectors,
          resourceVersion,
          allowWatchBookmarks: true,
          // Like client-go: the server ends each watch after 5-10 minutes, spreading reconnects.
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        ac.signal,
        options.metadataOnly ? METADATA_WATCH_ACCEPT : undefined,
      );
      for await (const event of events) {
        armStall();
        const object = event.object as { metadata?: { resourceVersion?: string }; code?: number; reason?: string; message?: string };
        if (event.type === 'ERROR') {
          const status = typeof object?.code === 'number' ? object.code : 500;
          throw new KubeApiError(status, object?.reason ?? '', `watch ${options.path}: ${object?.message ?? 'error event'}`);
        }
        const rv = object?.metadata?.resourceVersion;
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
          options.onEvent(event.type, event.object);
        } else if (event.type !== 'BOOKMARK') {
          log.debug('ignored watch event', { path: options.path, type: event.type });
        }
        if (rv) resourceVersion = rv;
        failures = 0;
      }
      if (Date.now() - startedAt < MIN_HEALTHY_WATCH_MS) failures += 1;
      else failures = 0;
    } catch (err) {
      if (ac.signal.reason === STALLED) {
        log.warn('watch stalled; restarting it', { path: options.path, silentMs: stallTimeoutMs });
        return;
      }
      throw err;
    } finally {
      clearTimeout(stallTimer);
      stop.signal.removeEventListener('abort', onStop);
      current = undefined;
    }
  };

  const run = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        if (resourceVersion === '') await list();
        await watchOnce();
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof KubeApiError && err.status === 410) {
          // Our resourceVersion is older than what the server keeps: only a relist can catch up.
          log.info('resource version expired; relisting', { path: options.path });
          resourceVersion = '';
          continue;
        }
        failures += 1;
        const delay = backoffDelay(failures, backoff);
        log.warn('list/watch failed; retrying', {
          path: options.path,
          error: err instanceof Error ? err.message : String(err),
          status: err instanceof KubeApiError ? err.status : undefined,
          attempt: failures,
          retryInMs: delay,
        });
        await sleep(delay, stop.signal);
        continue;
      }
      if (failures > 0) await sleep(backoffDelay(failures, backoff), stop.signal);
    }
  };

  return {
    start() {
      if (loop === undefined) loop = run();
    },
    async stop() {
      stop.abort();
      current?.abort(STOPPED);
      await loop;
    },
    get hasSynced() {
      return synced;
    },
  };
}
