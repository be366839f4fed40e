// Service: ports (number, name, targetPort, appProtocol), type, and the load-balancer status that
// --publish-service follows.

import type { Service, ServicePort } from '../../core/model.ts';
import { optArray, optIntOrString, optRecord, optString, reqInt, reqRecord, reqString } from './field-readers.ts';
import { parseLoadBalancerStatus } from './parse-load-balancer-status.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

export function parseService(raw: Record<string, unknown>): Service {
  const metadata = parseObjectMeta(raw['metadata'], true);
  const s = optRecord(raw['spec'], 'spec') ?? {};
  const ports = (optArray(s['ports'], 'spec.ports') ?? []).map((p, i): ServicePort => {
    const f = `spec.ports[${i}]`;
    const r = reqRecord(p, f);
    const port: ServicePort = { port: reqInt(r['port'], `${f}.port`) };
    const name = optString(r['name'], `${f}.name`);
    if (name !== undefined) port.name = name;
    const targetPort = optIntOrString(r['targetPort'], `${f}.targetPort`);
    if (targetPort !== undefined) port.targetPort = targetPort;
    const protocol = optString(r['protocol'], `${f}.protocol`);
    if (protocol !== undefined) port.protocol = protocol;
    const appProtocol = optString(r['appProtocol'], `${f}.appProtocol`);
    if (appProtocol !== undefined) port.appProtocol = appProtocol;
    return port;
  });
  const spec: Service['spec'] = { ports };
  for (const key of ['type', 'clusterIP', 'externalName', 'sessionAffinity'] as const) {
    const v = optString(s[key], `spec.${key}`);
    if (v !== undefined) spec[key] = v;
  }
  const externalIPs = optArray(s['externalIPs'], 'spec.externalIPs');
  if (externalIPs !== undefined) spec.externalIPs = externalIPs.map((e, i) => reqString(e, `spec.externalIPs[${i}]`));
  const service: Service = { kind: 'Service', metadata, spec };
  const status = parseLoadBalancerStatus(raw['status']);
  if (status !== undefined) service.status = status;
  return service;
}
