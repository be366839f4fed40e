// Records diagnostics about Ingresses as Kubernetes Events on that Ingress, so that
// `kubectl describe ingress` says why a path or a TLS entry was rejected.
//  - Deduplicated: a diagnostic is recorded when it appears, not on every rebuild; one that goes
//    away and comes back bumps the count of its existing Event (like client-go's correlator).
//  - Rate-limited per Ingress (a token bucket): one broken Ingress cannot flood the API server;
//    what is dropped stays visible in the logs and in /debug/diagnostics.
//  - Written one at a time, in the background; update() never blocks.

import { randomBytes } from 'node:crypto';
import type { Diagnostic } from '../core/diagnostics.ts';
import type { Logger } from '../observability/logger.ts';
import { KubeApiError, type KubeClient } from '../kube/kube-client.ts';

export interface EventRecorderOptions {
  client: KubeClient;
  logger: Logger;
  /** Event source.component and reportingComponent. */
  component: string;
  /** reportingInstance: this replica's identity. */
  instance: string;
  /** The uid of Ingress 'ns/name', or undefined when not known yet (then it is retried later). */
  uidOf(key: string): string | undefined;
  /** Tokens per Ingress; default 10. */
  burst?: number;
  /** One token back per this many ms; default 30 s. */
  refillMs?: number;
  /** Events remembered for deduplication; default 4096. */
  maxRemembered?: number;
  now?: () => number;
}

export interface EventRecorder {
  /** The complete current diagnostics of a build. */
  record(diagnostics: readonly Diagnostic[]): void;
  stop(): Promise<void>;
}

interface Remembered {
  eventName: string;
  namespace: string;
  uid: string;
  count: number;
}

interface Pending {
  key: string;
  ingress: string;
  uid: string;
  diagnostic: Diagnostic;
}

const MAX_MESSAGE = 1024;
const MAX_QUEUE = 1000;

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const log = options.logger.child({ component: 'event-recorder' });
  const burst = options.burst ?? 10;
  const refillMs = options.refillMs ?? 30_000;
  const maxRemembered = options.maxRemembered ?? 4096;
  const now = options.now ?? Date.now;
  /** Diagnostics present in the last build, recorded (or deliberately dropped). */
  let active = new Set<string>();
  /** dedupe key → the Event that carries it (insertion order doubles as LRU order). */
  const remembered = new Map<string, Remembered>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let stopped = false;

  const take = (ingress: string): boolean => {
    const t = now();
    const b = buckets.get(ingress) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + (t - b.at) / refillMs);
    b.at = t;
    buckets.set(ingress, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const write = async (p: Pending): Promise<void> => {
    const { diagnostic: d } = p;
    const stamp = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const message = (d.field ? `${d.field}: ${d.message}` : d.message).slice(0, MAX_MESSAGE);
    const seen = remembered.get(p.key);
    if (seen !== undefined && seen.uid === p.uid) {
      try {
        await options.client.request({
          method: 'PATCH',
          path: `/api/v1/namespaces/${encodeURIComponent(seen.namespace)}/events/${encodeURIComponent(seen.eventName)}`,
          contentType: 'application/merge-patch+json',
          body: { count: seen.count + 1, lastTimestamp: stamp, message },
        });
        seen.count += 1;
        remembered.delete(p.key);
        remembered.set(p.key, seen);
        return;
      } catch (err) {
        // The Event expired (events have a TTL): record a new one.
        if (!(err instanceof KubeApiError) || err.status !== 404) throw err;
      }
    }
    const namespace = d.object.namespace;
    const eventName = `${d.object.name}.${randomBytes(8).toString('hex')}`;
    await options.client.request({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: d.object.name, uid: p.uid },
        reason: d.code,
        message,
        type: d.severity === 'info' ? 'Normal' : 'Warning',
        source: { component: options.component },
        reportingComponent: options.component,
        reportingInstance: options.instance,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        count: 1,
      },
    });
    remembered.set(p.key, { eventName, namespace, uid: p.uid, count: 1 });
    while (remembered.size > maxRemembered) remembered.delete(remembered.keys().next().value!);
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0 && !stopped) {
      const p = queue.shift()!;
      try {
        await write(p);
      } catch (err) {
        log.warn('could not record event', { ingress: p.ingress, reason: p.diagnostic.code, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };

  const kick = (): void => {
    if (draining !== undefined || queue.length === 0 || stopped) return;
    draining = drain().finally(() => {
      draining = undefined;
      kick();
    });
  };

  return {
    record(diagnostics) {
      if (stopped) return;
      const next = new Set<string>();
      for (const d of diagnostics) {
        if (d.object.kind !== 'Ingress') continue;
        const ingress = `${d.object.namespace}/${d.object.name}`;
        const key = `${ingress}\u0000${d.code}\u0000${d.field ?? ''}\u0000${d.message}`;
        if (active.has(key)) {
          next.add(key);
          continue;
        }
        const uid = options.uidOf(ingress);
        // Without the uid `kubectl describe` would not show the Event: try again on a later call.
        if (uid === undefined) continue;
        next.add(key);
        if (!take(ingress)) {
          log.debug('event rate-limited', { ingress, reason: d.code });
          continue;
        }
        if (queue.length >= MAX_QUEUE) {
          log.warn('event queue full; dropping', { ingress, reason: d.code });
          continue;
        }
        queue.push({ key, ingress, uid, diagnostic: d });
      }
      active = next;
      kick();
    },
    async stop() {
      stopped = true;
      await draining;
    },
  };
}
