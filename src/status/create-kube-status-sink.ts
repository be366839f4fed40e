// Kubernetes mode's StatusSink: the leader-only Ingress status writer and Event recorder, behind a
// Lease election (--leader-elect, default on). Every replica serves traffic and follows the
// Ingresses; only the leader writes, so replicas never fight over a status or duplicate Events.

import { existsSync, readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Diagnostic } from '../core/diagnostics.ts';
import type { IngressStatusIntent } from '../core/route-table.ts';
import type { Logger } from '../observability/logger.ts';
import { createKubeClient } from '../kube/kube-client.ts';
import { loadKubeConfig, type KubeConfigOptions } from '../kube/load-kube-config.ts';
import { createEventRecorder } from './event-recorder.ts';
import { createIngressStatusWriter } from './ingress-status-writer.ts';
import { createLeaderElector, defaultIdentity, type LeaderElector } from './leader-election.ts';
import { ourIngressDiagnostics } from './our-ingress-diagnostics.ts';
import { servicePublishAddresses, staticPublishAddresses, type PublishAddresses } from './publish-addresses.ts';
import type { StatusSink } from './status-sink.ts';

export interface KubeStatusSinkOptions extends KubeConfigOptions {
  logger: Logger;
  /** An already loaded configuration; when absent it is loaded from kubeconfig/context. */
  kubeConfig?: KubeConfig;
  /** --controller-name: reported as the Events' component. */
  controllerName?: string;
  /** --watch-namespace (repeatable); empty: all namespaces. */
  watchNamespaces?: readonly string[];
  /** --publish-service NAMESPACE/NAME */
  publishService?: string;
  /** --publish-address IP|HOSTNAME (repeatable); wins over publishService when both are given. */
  publishAddresses?: readonly string[];
  /** --leader-elect; default true. When false this replica always writes. */
  leaderElect?: boolean;
  /** --leader-election-namespace; default $POD_NAMESPACE, then the in-cluster namespace, then the kubeconfig context's, then 'default'. */
  leaderElectionNamespace?: string;
  /** --leader-election-id: the Lease name; default 'gatehouse-leader'. */
  leaderElectionId?: string;
  /** This replica's identity in the Lease; default $POD_NAME, else hostname_random. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface KubeStatusSink extends StatusSink {
  readonly isLeader: boolean;
  readonly identity: string;
}

export const DEFAULT_CONTROLLER_NAME = 'gatehouse.dev/ingress-controller';
export const DEFAULT_LEADER_ELECTION_ID = 'gatehouse-leader';
const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function createKubeStatusSink(options: KubeStatusSinkOptions): KubeStatusSink {
  const env = options.env ?? process.env;
  const log = options.logger.child({ component: 'status' });
  const loaded = options.kubeConfig
    ? { kubeConfig: options.kubeConfig, namespace: options.kubeConfig.getContextObject(options.kubeConfig.getCurrentContext())?.namespace }
    : loadKubeConfig(options);
  const client = createKubeClient(loaded.kubeConfig);
  const identity = options.identity ?? defaultIdentity(env);
  const controllerName = options.controllerName ?? DEFAULT_CONTROLLER_NAME;

  let addresses: PublishAddresses | undefined;
  if (options.publishAddresses !== undefined && options.publishAddresses.length > 0) {
    addresses = staticPublishAddresses(options.publishAddresses);
  } else if (options.publishService !== undefined && options.publishService !== '') {
    addresses = servicePublishAddresses(client, options.publishService, log);
  }

  const writer = addresses
    ? createIngressStatusWriter({
        client,
        logger: log,
        namespaces: options.watchNamespaces ?? [],
        addresses,
        onIngressObserved: () => retryEvents(),
      })
    : undefined;
  // Without a writer nothing follows the Ingresses, so Events would have no uid: follow them anyway.
  const uidSource =
    writer ??
    createIngressStatusWriter({
      client,
      logger: log,
      namespaces: options.watchNamespaces ?? [],
      addresses: { current: () => undefined, start: () => {}, stop: async () => {}, description: 'none' },
      onIngressObserved: () => retryEvents(),
    });
  const events = createEventRecorder({ client, logger: log, component: controllerName, instance: identity, uidOf: (key) => uidSource.uidOf(key) });

  let leader = false;
  let lastDiagnostics: readonly Diagnostic[] = [];
  let retryQueued = false;
  function retryEvents(): void {
    // Coalesce the burst of watch events of a (re)list into one pass.
    if (!leader || retryQueued) return;
    retryQueued = true;
    setImmediate(() => {
      retryQueued = false;
      if (leader) events.record(lastDiagnostics);
    });
  }

  const becomeLeader = (): void => {
    leader = true;
    writer?.setActive(true);
    events.record(lastDiagnostics);
  };
  const stopLeading = (): void => {
    leader = false;
    writer?.setActive(false);
  };

  let elector: LeaderElector | undefined;
  if (options.leaderElect !== false) {
    const namespace = options.leaderElectionNamespace || env.POD_NAMESPACE || inClusterNamespace() || loaded.namespace || 'default';
    elector = createLeaderElector({
      client,
      namespace,
      name: options.leaderElectionId || DEFAULT_LEADER_ELECTION_ID,
      identity,
      logger: log,
      ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
      ...(options.renewDeadlineMs !== undefined ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
      ...(options.retryPeriodMs !== undefined ? { retryPeriodMs: options.retryPeriodMs } : {}),
      onStartedLeading: becomeLeader,
      onStoppedLeading: stopLeading,
    });
  }

  if (addresses === undefined) {
    log.warn('no --publish-service or --publish-address: Ingress status is not written');
  } else {
    log.info('publishing Ingress status', { from: addresses.description, leaderElect: elector !== undefined, identity });
  }
  uidSource.start();
  if (elector) elector.start();
  else becomeLeader();

  return {
    update(result: { status: IngressStatusIntent[]; diagnostics: Diagnostic[] }) {
      try {
        lastDiagnostics = ourIngressDiagnostics(result.diagnostics, result.status);
        writer?.setIntents(result.status);
        if (leader) events.record(lastDiagnostics);
      } catch (err) {
        log.error('status update failed', { error: err instanceof Error ? err.message : String(err) });
      }
    },
    async stop() {
      // Release the lease last-but-not-least: a successor takes over at once.
      await elector?.stop();
      stopLeading();
      await Promise.all([uidSource.stop(), events.stop()]);
    },
    get isLeader() {
      return leader;
    },
    identity,
  };
}

function inClusterNamespace(): string | undefined {
  try {
    if (!existsSync(IN_CLUSTER_NAMESPACE_FILE)) return undefined;
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
