// Publishes our address into status.loadBalancer.ingress of every admitted Ingress and removes it
// from Ingresses that are not (or no longer) ours, touching nothing else. It follows the Ingresses
// with its own list+watch so that no-ops are skipped without a request and external changes to a
// status (someone clearing it, a stale leader) are noticed and repaired. Writes are PUTs on the
// status subresource with the observed resourceVersion: on conflict it re-reads and retries.

import type { IngressLoadBalancerIngress } from '../core/model.ts';
import type { IngressStatusIntent } from '../core/route-table.ts';
import type { Logger } from '../observability/logger.ts';
import { sleep } from '../kube/backoff.ts';
import { KubeApiError, type KubeClient } from '../kube/kube-client.ts';
import { collectionPath, objectPath } from '../kube/kube-resources.ts';
import { createListWatch, type ListWatch } from '../kube/list-watch.ts';
import { addressKey, type PublishAddresses } from './publish-addresses.ts';

export interface IngressStatusWriterOptions {
  client: KubeClient;
  logger: Logger;
  /** --watch-namespace; empty: all namespaces. */
  namespaces: readonly string[];
  addresses: PublishAddresses;
  /** Delay before retrying after a failed write. Default 5 s. */
  retryDelayMs?: number;
  /** Called whenever an Ingress appears or changes (the Event recorder needs uids). */
  onIngressObserved?: () => void;
}

export interface IngressStatusWriter {
  start(): void;
  setIntents(intents: readonly IngressStatusIntent[]): void;
  /** Only an active writer (the leader) writes. */
  setActive(active: boolean): void;
  /** The uid of an observed Ingress 'ns/name'. */
  uidOf(key: string): string | undefined;
  stop(): Promise<void>;
}

interface RawIngress {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  status?: { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };
  [k: string]: unknown;
}

const INGRESS = { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses' };
const MAX_CONFLICT_RETRIES = 5;

export function createIngressStatusWriter(options: IngressStatusWriterOptions): IngressStatusWriter {
  const log = options.logger.child({ component: 'status-writer' });
  const client = options.client;
  const retryDelayMs = options.retryDelayMs ?? 5_000;
  const observed = new Map<string, RawIngress>();
  let intents = new Map<string, boolean>();
  /** Every address this process has published, so a changed address is also cleared where stale. */
  const publishedEver = new Set<string>();
  let active = false;
  let stopped = false;
  let dirty = false;
  let working: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const stopSignal = new AbortController();
  const watches: ListWatch[] = [];

  // managedFields can be most of an object's size and a status PUT without them keeps the server's.
  const slim = (o: RawIngress): RawIngress => {
    if (o.metadata === undefined || !('managedFields' in o.metadata)) return o;
    const { managedFields: _dropped, ...metadata } = o.metadata as RawIngress['metadata'] & { managedFields?: unknown };
    return { ...o, metadata };
  };

  const keyOf = (o: RawIngress): string => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;

  const schedule = (): void => {
    dirty = true;
    if (working === undefined && active && !stopped) {
      working = work().finally(() => {
        working = undefined;
        if (dirty && active && !stopped) schedule();
      });
    }
  };

  const work = async (): Promise<void> => {
    while (dirty && active && !stopped) {
      dirty = false;
      const addresses = options.addresses.current();
      if (addresses === undefined) return; // not known yet: the address source calls schedule()
      for (const a of addresses) publishedEver.add(addressKey([a]));
      let failed = false;
      for (const [key, admitted] of [...intents]) {
        if (!active || stopped) return;
        try {
          await writeOne(key, admitted, addresses);
        } catch (err) {
          failed = true;
          log.warn('ingress status write failed', { ingress: key, error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (failed && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(schedule, retryDelayMs);
        retryTimer.unref();
      }
    }
  };

  const desiredFor = (current: IngressLoadBalancerIngress[], admitted: boolean, ours: IngressLoadBalancerIngress[]): IngressLoadBalancerIngress[] => {
    if (admitted) return ours.map((a) => ({ ...a }));
    // Not ours: remove only what we put there, keep whatever another controller wrote.
    const mine = new Set([...publishedEver, ...ours.map((a) => addressKey([a]))]);
    return current.filter((a) => !mine.has(addressKey([a])));
  };

  const writeOne = async (key: string, admitted: boolean, ours: IngressLoadBalancerIngress[]): Promise<void> => {
    for (let attempt = 1; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const obj = observed.get(key);
      if (obj === undefined) return; // not seen yet: the watch calls schedule() when it is
      const current = obj.status?.loadBalancer?.ingress ?? [];
      const desired = desiredFor(current, admitted, ours);
      if (addressKey(current) === addressKey(desired) && current.length === desired.length) return; // no-op
      const ns = obj.metadata?.namespace ?? 'default';
      const name = obj.metadata?.name ?? '';
      const body: RawIngress = {
        ...obj,
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        status: { ...obj.status, loadBalancer: { ...obj.status?.loadBalancer, ingress: desired } },
      };
      try {
        const updated = await client.request<RawIngress>({ method: 'PUT', path: `${objectPath(INGRESS, ns, name)}/status`, body, signal: stopSignal.signal });
        observed.set(key, slim(updated));
        log.info('ingress status updated', { ingress: key, admitted, addresses: desired });
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError)) throw err;
        if (err.status === 404) {
          observed.delete(key);
          return;
        }
        if (err.status !== 409) throw err;
        // Conflict: someone changed the Ingress since we read it. Re-read and try again.
        log.debug('ingress status conflict; re-reading', { ingress: key, attempt });
        try {
          observed.set(key, slim(await client.request<RawIngress>({ method: 'GET', path: objectPath(INGRESS, ns, name), signal: stopSignal.signal })));
        } catch (readErr) {
          if (readErr instanceof KubeApiError && readErr.status === 404) {
            observed.delete(key);
            return;
          }
          throw readErr;
        }
        await sleep(50 * attempt, stopSignal.signal);
      }
    }
    throw new Error(`gave up after ${MAX_CONFLICT_RETRIES} conflicts`);
  };

  const scopes: (string | undefined)[] = options.namespaces.length > 0 ? [...options.namespaces] : [undefined];
  for (const ns of scopes) {
    watches.push(
      createListWatch({
        client,
        path: collectionPath(INGRESS, ns),
        logger: log,
        onList(items) {
          for (const key of [...observed.keys()]) if (ns === undefined || key.startsWith(`${ns}/`)) observed.delete(key);
          for (const raw of items) observed.set(keyOf(raw as RawIngress), slim(raw as RawIngress));
          options.onIngressObserved?.();
          schedule();
        },
        onEvent(type, raw) {
          const key = keyOf(raw as RawIngress);
          if (type === 'DELETED') observed.delete(key);
          else observed.set(key, slim(raw as RawIngress));
          options.onIngressObserved?.();
          if (intents.has(key)) schedule();
        },
      }),
    );
  }

  return {
    start() {
      options.addresses.start(schedule);
      for (const w of watches) w.start();
    },
    setIntents(next) {
      const map = new Map<string, boolean>();
      for (const i of next) map.set(i.ingress, i.admitted);
      intents = map;
      schedule();
    },
    setActive(next) {
      active = next;
      if (active) schedule();
    },
    uidOf(key) {
      return observed.get(key)?.metadata?.uid;
    },
    async stop() {
      stopped = true;
      stopSignal.abort();
      clearTimeout(retryTimer);
      await working;
      await Promise.all([...watches.map((w) => w.stop()), options.addresses.stop()]);
    },
  };
}
