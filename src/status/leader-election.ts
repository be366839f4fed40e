// Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does it:
// a lease held by someone else is taken over only after it has not changed for its whole duration
// as measured on OUR clock (so clock skew between replicas does not matter); the holder renews
// every retry period and gives leadership up when it could not renew within the renew deadline
// (so two replicas never both believe they lead for long); a clean stop releases the lease so a
// successor takes over at once instead of after a full lease duration.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.ts';
import { sleep } from '../kube/backoff.ts';
import { KubeApiError, type KubeClient } from '../kube/kube-client.ts';
import { microTime } from './micro-time.ts';

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** Unique per replica; the pod name in a cluster. */
  identity: string;
  logger: Logger;
  leaseDurationMs?: number; // default 15 s
  renewDeadlineMs?: number; // default 10 s
  retryPeriodMs?: number; // default 2 s
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export interface LeaderElector {
  start(): void;
  /** Stops campaigning; releases the lease if held. */
  stop(): Promise<void>;
  readonly isLeader: boolean;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  // POD_NAME is unique within the cluster; elsewhere add randomness so two processes on one host differ.
  return env.POD_NAME || `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const log = options.logger.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  const stopper = new AbortController();
  let leader = false;
  let loop: Promise<void> | undefined;
  /** The last lease record seen and when we first saw it (our clock). */
  let observed: { record: string; at: number } | undefined;
  let lastLease: Lease | undefined;
  /** When the lease held by someone else expires by our clock, if it is held by someone else. */
  let othersExpireAt: number | undefined;

  const observe = (lease: Lease): void => {
    const record = JSON.stringify(lease.spec ?? {});
    if (observed === undefined || observed.record !== record) observed = { record, at: Date.now() };
    lastLease = lease;
  };

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = new Date();
    let current: Lease;
    try {
      current = await options.client.request<Lease>({ method: 'GET', path: `${path}/${encodeURIComponent(options.name)}`, signal: stopper.signal, timeoutMs: renewDeadlineMs });
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.status !== 404) throw err;
      const created = await options.client.request<Lease>({
        method: 'POST',
        path,
        signal: stopper.signal,
        timeoutMs: renewDeadlineMs,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: options.name, namespace: options.namespace },
          spec: {
            holderIdentity: options.identity,
            leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        },
      });
      observe(created);
      return true;
    }
    observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== options.identity;
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(leaseDurationMs / 1000)) * 1000;
    othersExpireAt = heldByOther && observed !== undefined ? observed.at + durationMs : undefined;
    if (othersExpireAt !== undefined && othersExpireAt > Date.now()) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: options.identity,
        leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
        renewTime: microTime(now),
        ...(holder === options.identity
          ? {}
          : { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      const updated = await options.client.request<Lease>({
        method: 'PUT',
        path: `${path}/${encodeURIComponent(options.name)}`,
        body: next,
        signal: stopper.signal,
        timeoutMs: renewDeadlineMs,
      });
      observe(updated);
      return true;
    } catch (err) {
      // Someone else wrote first: not ours this round.
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (err) {
      if (!stopper.signal.aborted) log.warn('lease request failed', { error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };

  const jittered = (ms: number): number => ms * (1 + Math.random() * 0.2);

  const run = async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      // Campaign.
      if (!(await attempt())) {
        // Poll every retry period to see renewals, but wake right at the expiry if that is sooner,
        // so a dead leader is replaced as soon as its lease runs out.
        const untilExpiry = othersExpireAt === undefined ? Infinity : Math.max(0, othersExpireAt - Date.now()) + 10;
        await sleep(Math.min(jittered(retryPeriodMs), untilExpiry), stopper.signal);
        continue;
      }
      if (stopper.signal.aborted) break;
      leader = true;
      log.info('became leader');
      safely(options.onStartedLeading);
      // Renew until a renewal fails for longer than the renew deadline.
      let lastRenew = Date.now();
      while (!stopper.signal.aborted) {
        await sleep(retryPeriodMs, stopper.signal);
        if (stopper.signal.aborted) break;
        if (await attempt()) {
          lastRenew = Date.now();
        } else if (Date.now() - lastRenew >= renewDeadlineMs || !holdsLease()) {
          break;
        }
      }
      if (stopper.signal.aborted) break;
      leader = false;
      log.warn('lost leadership');
      safely(options.onStoppedLeading);
    }
  };

  const holdsLease = (): boolean => (lastLease?.spec?.holderIdentity ?? '') === options.identity;

  const release = async (): Promise<void> => {
    if (lastLease === undefined || !holdsLease()) return;
    const now = microTime(new Date());
    try {
      await options.client.request({
        method: 'PUT',
        path: `${path}/${encodeURIComponent(options.name)}`,
        body: { ...lastLease, spec: { ...lastLease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
        timeoutMs: 5_000,
      });
      log.info('released the lease');
    } catch (err) {
      log.warn('could not release the lease; a successor waits for it to expire', { error: err instanceof Error ? err.message : String(err) });
    }
  };

  function safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      log.error('leadership callback failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  return {
    start() {
      if (loop === undefined) loop = run();
    },
    async stop() {
      stopper.abort();
      await loop;
      if (leader) {
        leader = false;
        safely(options.onStoppedLeading);
        await release();
      }
    },
    get isLeader() {
      return leader;
    },
  };
}
