// The Secrets that are not kubernetes.io/tls (basic-auth htpasswd files, CA bundles, client
// certificates...) are read only when an Ingress names them. A cluster holds thousands of Secrets
// (Helm keeps every release as a Secret of up to 1 MiB, ServiceAccount tokens, application
// credentials), so Gatehouse never lists their data:
//
//  - one metadata-only list+watch (PartialObjectMetadata, field selector type!=kubernetes.io/tls)
//    tells which of them exist and their resourceVersion; only `ns/name → resourceVersion` is kept;
//  - a Secret that an Ingress names (setReferences) is fetched with one GET when it appears, when
//    its resourceVersion changes, and when it becomes referenced; it is forgotten (a delete) when it
//    is deleted or no Ingress names it any more;
//  - a GET that fails (API server away, 5xx) keeps the last good copy and retries with backoff;
//    a 404 counts as deleted.
//
// TLS Secrets stay on their own full watch (create-kube-source.ts); this reader never sees them,
// so no Secret is delivered by both.

import type { Logger } from '../../observability/logger.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../../kube/backoff.ts';
import { KubeApiError, type KubeClient } from '../../kube/kube-client.ts';
import { collectionPath, objectPath, type KubeResource } from '../../kube/kube-resources.ts';
import { createListWatch, type ListWatch } from '../../kube/list-watch.ts';

export const SECRET_RESOURCE: KubeResource = { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true };
/** The complement of the TLS Secret watch's field selector. */
export const NON_TLS_SECRETS = 'type!=kubernetes.io/tls';

export interface ReferencedSecretsOptions {
  client: KubeClient;
  logger: Logger;
  /** Scopes of the metadata watch: the watched namespaces, or [undefined] for all. */
  namespaces: readonly (string | undefined)[];
  backoff?: BackoffOptions;
  watchStallTimeoutMs?: number;
  /** At most this many GETs in flight (a start with thousands of references is spread out). Default 8. */
  maxConcurrentFetches?: number;
  /** A fetched Secret (raw API JSON), or undefined when it is gone or no longer referenced. */
  onSecret(key: string, raw: unknown | undefined): void;
  /** Called whenever everything referenced and present has been fetched (or tried) once. */
  onSettled(): void;
}

export interface ReferencedSecrets {
  start(): void;
  stop(): Promise<void>;
  /** The `ns/name` keys Ingresses name now. */
  setReferences(keys: ReadonlySet<string>): void;
  /** Now: the metadata watch has listed, and every referenced Secret that exists has been read or tried. */
  readonly settled: boolean;
}

export function createReferencedSecrets(options: ReferencedSecretsOptions): ReferencedSecrets {
  const log = options.logger;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const maxConcurrent = options.maxConcurrentFetches ?? 8;
  const stopped = new AbortController();
  /** Per watch scope: ns/name → resourceVersion of every non-TLS Secret (metadata only). */
  const scopes: { present: Map<string, string>; watch: ListWatch }[] = [];
  let references: ReadonlySet<string> = new Set();
  /** The resourceVersion (as the metadata watch saw it when the GET started) each key was last read at. */
  const readAt = new Map<string, string>();
  /** Keys delivered through onSecret (and not yet taken back). */
  const delivered = new Set<string>();
  const inFlight = new Set<string>();
  const queue: string[] = [];
  const queued = new Set<string>();
  /** Keys whose last GET failed: attempt count, and the pending retry. */
  const failures = new Map<string, { attempts: number; timer?: NodeJS.Timeout }>();

  const presentVersion = (key: string): string | undefined => {
    for (const s of scopes) {
      const rv = s.present.get(key);
      if (rv !== undefined) return rv;
    }
    return undefined;
  };
  const allListed = (): boolean => scopes.every((s) => s.watch.hasSynced);

  const forget = (key: string): void => {
    const timer = failures.get(key)?.timer;
    if (timer !== undefined) clearTimeout(timer);
    failures.delete(key);
    readAt.delete(key);
    if (delivered.delete(key)) options.onSecret(key, undefined);
  };

  /** Brings what was delivered in line with references × present Secrets, then checks `settled`. */
  const reconcile = (): void => {
    if (stopped.signal.aborted) return;
    const known = new Set([...readAt.keys(), ...delivered, ...failures.keys()]);
    for (const key of known) {
      if (!references.has(key) || (allListed() && presentVersion(key) === undefined)) forget(key);
    }
    for (const key of references) {
      const rv = presentVersion(key);
      if (rv === undefined || readAt.get(key) === rv || inFlight.has(key) || failures.get(key)?.timer !== undefined) continue;
      if (!queued.has(key)) {
        queued.add(key);
        queue.push(key);
      }
    }
    pump();
    checkSettled();
  };

  /** The metadata is listed and every referenced Secret that exists has been read (or tried) at least once. */
  const isSettled = (): boolean => {
    if (!allListed()) return false;
    for (const key of references) {
      if (presentVersion(key) !== undefined && !readAt.has(key) && !failures.has(key)) return false;
    }
    return true;
  };

  const checkSettled = (): void => {
    if (isSettled()) options.onSettled();
  };

  const pump = (): void => {
    while (inFlight.size < maxConcurrent && queue.length > 0) {
      const key = queue.shift()!;
      queued.delete(key);
      const rv = presentVersion(key);
      if (!references.has(key) || rv === undefined || inFlight.has(key)) continue;
      inFlight.add(key);
      void fetchOne(key, rv).finally(() => {
        inFlight.delete(key);
        reconcile();
      });
    }
  };

  const fetchOne = async (key: string, rv: string): Promise<void> => {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const raw = await options.client.request<{ type?: unknown }>({
        method: 'GET',
        path: objectPath(SECRET_RESOURCE, namespace, name),
        signal: stopped.signal,
        timeoutMs: 30_000,
      });
      if (stopped.signal.aborted || !references.has(key)) return;
      failures.delete(key);
      readAt.set(key, rv);
      if (raw.type === 'kubernetes.io/tls') {
        // Types are immutable: only a delete and re-create gets here, and the TLS watch has that one.
        if (delivered.delete(key)) options.onSecret(key, undefined);
        return;
      }
      delivered.add(key);
      options.onSecret(key, raw);
    } catch (err) {
      if (stopped.signal.aborted || !references.has(key)) return;
      if (err instanceof KubeApiError && err.status === 404) {
        // Deleted since the metadata watch saw it; its DELETED event follows.
        failures.delete(key);
        readAt.set(key, rv);
        if (delivered.delete(key)) options.onSecret(key, undefined);
        return;
      }
      // Keep the last good copy (the API server may just be away) and try again later.
      const attempts = (failures.get(key)?.attempts ?? 0) + 1;
      const delay = backoffDelay(attempts, backoff);
      const timer = setTimeout(() => {
        const f = failures.get(key);
        if (f !== undefined) delete f.timer;
        reconcile();
      }, delay);
      timer.unref();
      failures.set(key, { attempts, timer });
      log.warn('cannot read a Secret an Ingress names; retrying', {
        secret: key,
        error: err instanceof Error ? err.message : String(err),
        status: err instanceof KubeApiError ? err.status : undefined,
        attempt: attempts,
        retryInMs: delay,
      });
    }
  };

  const keyOf = (raw: unknown): { key: string; rv: string } | undefined => {
    const meta = (raw as { metadata?: { namespace?: unknown; name?: unknown; resourceVersion?: unknown } } | null)?.metadata;
    if (typeof meta?.namespace !== 'string' || typeof meta.name !== 'string') return undefined;
    return { key: `${meta.namespace}/${meta.name}`, rv: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '' };
  };

  for (const namespace of options.namespaces) {
    const present = new Map<string, string>();
    const watch = createListWatch({
      client: options.client,
      path: collectionPath(SECRET_RESOURCE, namespace),
      fieldSelector: NON_TLS_SECRETS,
      metadataOnly: true,
      logger: log,
      ...(options.watchStallTimeoutMs !== undefined ? { stallTimeoutMs: options.watchStallTimeoutMs } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onList(items) {
        present.clear();
        for (const item of items) {
          const k = keyOf(item);
          if (k !== undefined) present.set(k.key, k.rv);
        }
        // After a relist a Secret deleted meanwhile is no longer present: reconcile forgets it.
        queueMicrotask(reconcile);
      },
      onEvent(type, raw) {
        const k = keyOf(raw);
        if (k === undefined) return;
        if (type === 'DELETED') present.delete(k.key);
        else present.set(k.key, k.rv);
        if (references.has(k.key)) reconcile();
      },
    });
    scopes.push({ present, watch });
  }

  return {
    start() {
      for (const s of scopes) s.watch.start();
    },
    async stop() {
      stopped.abort();
      for (const f of failures.values()) if (f.timer !== undefined) clearTimeout(f.timer);
      await Promise.all(scopes.map((s) => s.watch.stop()));
    },
    setReferences(keys) {
      references = keys;
      reconcile();
    },
    get settled() {
      return isSettled();
    },
  };
}
