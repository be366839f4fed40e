// The address Gatehouse publishes into Ingress status: fixed (--publish-address IP|HOSTNAME,
// repeatable) or read from a Service (--publish-service NAMESPACE/NAME: its load-balancer ingress,
// else its external IPs), followed live with a list+watch on that one Service.

import { isIP } from 'node:net';
import type { IngressLoadBalancerIngress } from '../core/model.ts';
import type { Logger } from '../observability/logger.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { createListWatch, type ListWatch } from '../kube/list-watch.ts';

export interface PublishAddresses {
  /** undefined until known (the Service not yet read); [] when there is nothing to publish. */
  current(): IngressLoadBalancerIngress[] | undefined;
  start(onChange: () => void): void;
  stop(): Promise<void>;
  readonly description: string;
}

export class PublishAddressError extends Error {
  readonly code = 'ERR_PUBLISH_ADDRESS';
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** 'IP' → { ip }, 'host.name' → { hostname }; anything else throws. */
export function parsePublishAddress(value: string): IngressLoadBalancerIngress {
  const v = value.trim();
  if (isIP(v) !== 0) return { ip: v };
  const host = v.toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  // An all-numeric last label is a mistyped IP address, never a real top-level domain.
  const looksNumeric = /^\d+$/.test(labels[labels.length - 1] ?? '');
  if (host.length > 0 && host.length <= 253 && !looksNumeric && labels.every((label) => DNS_LABEL.test(label))) return { hostname: host };
  throw new PublishAddressError(`--publish-address: not an IP address or DNS name: ${JSON.stringify(value).slice(0, 80)}`);
}

export function parsePublishService(value: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (m === null || m[1]!.length > 63 || m[3]!.length > 63) {
    throw new PublishAddressError(`--publish-service: expected NAMESPACE/NAME, got ${JSON.stringify(value).slice(0, 80)}`);
  }
  return { namespace: m[1]!, name: m[3]! };
}

export function staticPublishAddresses(values: readonly string[]): PublishAddresses {
  const addresses = dedupe(values.map(parsePublishAddress));
  return {
    current: () => addresses,
    start: () => {},
    stop: async () => {},
    description: `--publish-address ${addresses.map((a) => a.ip ?? a.hostname).join(',')}`,
  };
}

export function servicePublishAddresses(client: KubeClient, ref: string, logger: Logger): PublishAddresses {
  const { namespace, name } = parsePublishService(ref);
  let addresses: IngressLoadBalancerIngress[] | undefined;
  let notify = (): void => {};
  let warnedEmpty = false;
  const set = (next: IngressLoadBalancerIngress[], found: boolean): void => {
    if (addresses !== undefined && key(addresses) === key(next)) return;
    addresses = next;
    if (next.length > 0) {
      warnedEmpty = false;
      logger.info('publish address', { publishService: ref, addresses: next });
    } else if (!warnedEmpty) {
      // Once per stretch without an address, not on every update of the Service.
      warnedEmpty = true;
      logger.warn(
        found
          ? 'the --publish-service Service has no address yet (no status.loadBalancer.ingress, no spec.externalIPs); Ingress status stays without one until it gets one'
          : 'the --publish-service Service does not exist; Ingress status stays without an address until it does',
        { publishService: ref },
      );
    }
    notify();
  };
  let watch: ListWatch | undefined;
  return {
    current: () => addresses,
    start(onChange) {
      notify = onChange;
      watch = createListWatch({
        client,
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`,
        fieldSelector: `metadata.name=${name}`,
        logger,
        onList: (items) => set(items.length > 0 ? addressesOfService(items[0]) : [], items.length > 0),
        onEvent: (type, object) => set(type === 'DELETED' ? [] : addressesOfService(object), type !== 'DELETED'),
      });
      watch.start();
    },
    async stop() {
      await watch?.stop();
    },
    description: `--publish-service ${ref}`,
  };
}

/** A Service's load-balancer ingress, else its external IPs. */
export function addressesOfService(raw: unknown): IngressLoadBalancerIngress[] {
  const svc = raw as { spec?: { externalIPs?: unknown }; status?: { loadBalancer?: { ingress?: unknown } } };
  const out: IngressLoadBalancerIngress[] = [];
  const lb = svc?.status?.loadBalancer?.ingress;
  if (Array.isArray(lb)) {
    for (const e of lb as { ip?: unknown; hostname?: unknown }[]) {
      if (typeof e?.ip === 'string' && e.ip !== '') out.push({ ip: e.ip });
      else if (typeof e?.hostname === 'string' && e.hostname !== '') out.push({ hostname: e.hostname });
    }
  }
  if (out.length === 0 && Array.isArray(svc?.spec?.externalIPs)) {
    for (const ip of svc.spec.externalIPs as unknown[]) if (typeof ip === 'string' && ip !== '') out.push({ ip });
  }
  return dedupe(out);
}

function dedupe(list: IngressLoadBalancerIngress[]): IngressLoadBalancerIngress[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const k = `${a.ip ?? ''}|${a.hostname ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Order-insensitive identity of an address list. */
export function addressKey(list: readonly IngressLoadBalancerIngress[]): string {
  return list.map((a) => `${a.ip ?? ''}|${a.hostname ?? ''}`).sort().join(',');
}

const key = addressKey;
