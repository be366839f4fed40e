// The Kubernetes ClusterStateSource: one list+watch per kind (and per namespace with
// --watch-namespace), every raw object passed through the same normaliser as the manifest mode,
// delivered as ObjectChanges to the same store. While the API server is away nothing is emitted,
// so the store keeps serving the last good objects; a relist afterwards is one replaceAll per kind.
// Secrets come from two places: the kubernetes.io/tls ones from their own full watch, and the
// others only when an Ingress names them (referenced-secrets.ts); the store sees one Secret kind.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Diagnostic } from '../../core/diagnostics.ts';
import { objectKey, type KubeObject, type ObjectKind } from '../../core/model.ts';
import type { Logger } from '../../observability/logger.ts';
import { normalizeObject } from '../normalize-object.ts';
import type { ClusterStateSource, ObjectChange } from '../object-change.ts';
import type { BackoffOptions } from '../../kube/backoff.ts';
import { createKubeClient, type KubeClient } from '../../kube/kube-client.ts';
import { collectionPath, KUBE_RESOURCES, type KubeResource } from '../../kube/kube-resources.ts';
import { createListWatch, type ListWatch, type WatchEventType } from '../../kube/list-watch.ts';
import { loadKubeConfig, type KubeConfigOptions } from '../../kube/load-kube-config.ts';
import { createReferencedSecrets, SECRET_RESOURCE } from './referenced-secrets.ts';
import { secretsNamedBy } from './secrets-named-by.ts';

export interface KubeSourceOptions extends KubeConfigOptions {
  logger: Logger;
  /** --watch-namespace (repeatable); empty or absent: all namespaces. */
  watchNamespaces?: readonly string[];
  /** An already loaded configuration; when absent it is loaded from kubeconfig/context. */
  kubeConfig?: KubeConfig;
  /** A watch that delivers nothing (not even a bookmark) this long is restarted. Default 5 min. */
  watchStallTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** --allow-cross-namespace-secrets: read a Secret an annotation names in another namespace. */
  allowCrossNamespaceSecrets?: boolean;
}

interface StreamState {
  resource: KubeResource;
  /** The normalised objects this stream last saw, by 'ns/name'. */
  objects: Map<string, KubeObject>;
}

interface Stream {
  state: StreamState;
  watch: ListWatch;
}

export function createKubeSource(options: KubeSourceOptions): ClusterStateSource {
  const log = options.logger.child({ component: 'kube-source' });
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(options).kubeConfig;
  const client: KubeClient = createKubeClient(kubeConfig);
  const namespaces = [...new Set(options.watchNamespaces ?? [])].sort();
  const streams: Stream[] = [];
  /** Origins whose last report had diagnostics, so a fixed object clears them. */
  const reported = new Set<string>();
  let emit: ((change: ObjectChange) => void) | undefined;
  let syncedSent = false;
  let started = false;
  /** Non-TLS Secrets some Ingress names, normalised, by 'ns/name'. */
  const namedSecrets = new Map<string, KubeObject>();
  /** The Secret keys each Ingress names (annotations and tls), by Ingress 'ns/name'. */
  const namedBy = new Map<string, readonly string[]>();
  const watchedNamespaces = new Set(namespaces);

  const report = (origin: string, diagnostics: Diagnostic[]): void => {
    if (diagnostics.length === 0 && !reported.has(origin)) return;
    if (diagnostics.length === 0) reported.delete(origin);
    else reported.add(origin);
    emit?.({ type: 'sourceDiagnostics', origin, diagnostics });
  };

  const normalise = (resource: KubeResource, raw: unknown): { key: string; origin: string; object?: KubeObject } | undefined => {
    if (typeof raw !== 'object' || raw === null) return undefined;
    // List items come without kind/apiVersion; the normaliser dispatches on them.
    const withType: Record<string, unknown> = { ...(raw as Record<string, unknown>), kind: resource.kind, apiVersion: resource.apiVersion };
    const meta = (withType['metadata'] ?? {}) as { namespace?: unknown; name?: unknown };
    const name = typeof meta.name === 'string' ? meta.name : '';
    const namespace = resource.namespaced ? (typeof meta.namespace === 'string' ? meta.namespace : 'default') : '';
    const key = objectKey({ namespace, name });
    const origin = `kubernetes:${resource.kind}/${key}`;
    const { object, diagnostics } = normalizeObject(withType, origin);
    report(origin, diagnostics);
    if (object !== undefined && object.kind !== resource.kind) {
      log.warn('normaliser returned another kind; ignored', { expected: resource.kind, got: object.kind, object: key });
      return { key, origin };
    }
    return { key, origin, ...(object ? { object } : {}) };
  };

  const unionOf = (kind: ObjectKind): KubeObject[] => {
    const byKey = new Map<string, KubeObject>();
    if (kind === 'Secret') for (const [key, object] of namedSecrets) byKey.set(key, object);
    // A TLS Secret wins over a named one of the same key (only a delete and re-create with another
    // type makes both, for a moment).
    for (const s of streams) if (s.state.resource.kind === kind) for (const [key, object] of s.state.objects) byKey.set(key, object);
    return [...byKey.values()];
  };

  /** The object of this kind and key as every provider together has it now. */
  const currentOf = (kind: ObjectKind, key: string): KubeObject | undefined => {
    for (const s of streams) if (s.state.resource.kind === kind && s.state.objects.has(key)) return s.state.objects.get(key);
    return kind === 'Secret' ? namedSecrets.get(key) : undefined;
  };

  const emitKey = (kind: ObjectKind, key: string): void => {
    const object = currentOf(kind, key);
    emit?.(object === undefined ? { type: 'delete', kind, key } : { type: 'upsert', object });
  };

  /** Which Secrets the Ingresses name changed: tell the reader (only Secrets it may read). */
  const updateReferences = (): void => {
    const keys = new Set<string>();
    for (const list of namedBy.values()) for (const key of list) keys.add(key);
    referenced.setReferences(keys);
  };
  const noteIngress = (key: string, object: KubeObject | undefined): boolean => {
    const before = namedBy.get(key);
    const after = object?.kind === 'Ingress' ? secretsNamedBy(object, {
      allowCrossNamespace: options.allowCrossNamespaceSecrets === true,
      readable: (ns) => watchedNamespaces.size === 0 || watchedNamespaces.has(ns),
    }) : [];
    if (after.length === 0) namedBy.delete(key);
    else namedBy.set(key, after);
    return (before ?? []).join() !== after.join();
  };

  const maybeSynced = (): void => {
    if (syncedSent || !referenced.settled || !streams.every((s) => s.watch.hasSynced)) return;
    syncedSent = true;
    log.info('initial list complete', { kinds: KUBE_RESOURCES.map((r) => r.kind), namespaces: namespaces.length === 0 ? 'all' : namespaces, namedSecrets: namedSecrets.size });
    emit?.({ type: 'synced' });
  };

  const onList = (stream: StreamState, items: unknown[]): void => {
    const next = new Map<string, KubeObject>();
    const origins = new Set<string>();
    for (const raw of items) {
      const n = normalise(stream.resource, raw);
      if (n === undefined) continue;
      origins.add(n.origin);
      if (n.object) next.set(n.key, n.object);
    }
    // Objects gone since the last list take their source diagnostics with them.
    for (const key of stream.objects.keys()) {
      const origin = `kubernetes:${stream.resource.kind}/${key}`;
      if (!origins.has(origin)) report(origin, []);
    }
    if (stream.resource.kind === 'Ingress') {
      let changed = false;
      for (const key of stream.objects.keys()) if (!next.has(key)) changed = noteIngress(key, undefined) || changed;
      for (const [key, object] of next) changed = noteIngress(key, object) || changed;
      if (changed) updateReferences();
    }
    stream.objects = next;
    emit?.({ type: 'replaceAll', kinds: [stream.resource.kind], objects: unionOf(stream.resource.kind) });
    // hasSynced turns true when this returns.
    queueMicrotask(maybeSynced);
  };

  const onEvent = (stream: StreamState, type: WatchEventType, raw: unknown): void => {
    const n = normalise(stream.resource, raw);
    if (n === undefined) return;
    const kind = stream.resource.kind;
    if (kind === 'Ingress' && noteIngress(n.key, type === 'DELETED' ? undefined : n.object)) updateReferences();
    if (type === 'DELETED' || n.object === undefined) {
      // An object the normaliser rejects is skipped (its diagnostics say why), as if absent.
      if (type === 'DELETED') report(n.origin, []);
      if (stream.objects.delete(n.key)) emitKey(kind, n.key);
      return;
    }
    stream.objects.set(n.key, n.object);
    emitKey(kind, n.key);
  };

  const referenced = createReferencedSecrets({
    client,
    logger: log,
    namespaces: namespaces.length > 0 ? namespaces : [undefined],
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.watchStallTimeoutMs !== undefined ? { watchStallTimeoutMs: options.watchStallTimeoutMs } : {}),
    onSecret(key, raw) {
      if (raw === undefined) {
        report(`kubernetes:Secret/${key}`, []);
        if (namedSecrets.delete(key)) emitKey('Secret', key);
        return;
      }
      const n = normalise(SECRET_RESOURCE, raw);
      if (n?.object === undefined) {
        if (namedSecrets.delete(key)) emitKey('Secret', key);
        return;
      }
      namedSecrets.set(key, n.object);
      emitKey('Secret', key);
    },
    onSettled: maybeSynced,
  });

  for (const resource of KUBE_RESOURCES) {
    const scopes: (string | undefined)[] = resource.namespaced && namespaces.length > 0 ? namespaces : [undefined];
    for (const namespace of scopes) {
      const state: StreamState = { resource, objects: new Map() };
      const watch = createListWatch({
        client,
        path: collectionPath(resource, namespace),
        ...(resource.fieldSelector ? { fieldSelector: resource.fieldSelector } : {}),
        logger: log,
        ...(options.watchStallTimeoutMs !== undefined ? { stallTimeoutMs: options.watchStallTimeoutMs } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        onList: (items) => onList(state, items),
        onEvent: (type, raw) => onEvent(state, type, raw),
      });
      streams.push({ state, watch });
    }
  }

  return {
    async start(onChange) {
      if (started) throw new Error('kube source already started');
      started = true;
      emit = onChange;
      log.info('watching the Kubernetes API', { server: client.server, namespaces: namespaces.length === 0 ? 'all' : namespaces });
      for (const s of streams) s.watch.start();
      referenced.start();
    },
    async stop() {
      await Promise.all([...streams.map((s) => s.watch.stop()), referenced.stop()]);
      emit = undefined;
    },
  };
}
