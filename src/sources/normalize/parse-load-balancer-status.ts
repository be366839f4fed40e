// status.loadBalancer of an Ingress or a Service (the status writer compares against it).

import type { IngressLoadBalancerIngress } from '../../core/model.ts';
import { optArray, optRecord, optString, reqRecord } from './field-readers.ts';

export function parseLoadBalancerStatus(raw: unknown): { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } } | undefined {
  const status = optRecord(raw, 'status');
  if (status === undefined) return undefined;
  const lb = optRecord(status['loadBalancer'], 'status.loadBalancer');
  if (lb === undefined) return {};
  const ingress = optArray(lb['ingress'], 'status.loadBalancer.ingress');
  if (ingress === undefined) return { loadBalancer: {} };
  return {
    loadBalancer: {
      ingress: ingress.map((e, i) => {
        const f = `status.loadBalancer.ingress[${i}]`;
        const r = reqRecord(e, f);
        const out: IngressLoadBalancerIngress = {};
        const ip = optString(r['ip'], `${f}.ip`);
        if (ip !== undefined) out.ip = ip;
        const hostname = optString(r['hostname'], `${f}.hostname`);
        if (hostname !== undefined) out.hostname = hostname;
        return out;
      }),
    },
  };
}
