// v1 Endpoints (from old manifests) converted to the EndpointSlice form everything downstream reads.

import { SERVICE_NAME_LABEL, type EndpointPort, type EndpointSlice, type SliceEndpoint } from '../../core/model.ts';
import { optArray, optString, reqRecord, reqString } from './field-readers.ts';
import { parseEndpointPort, parseTargetRef } from './parse-endpoint-slice.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

/**
 * v1 Endpoints → EndpointSlices, as the EndpointSlice mirroring controller does: `addresses` are
 * ready, `notReadyAddresses` are not; subsets with the same ports (and address family) share a
 * slice. One resulting slice keeps the Endpoints' name; several are named `<name>-<i>`.
 */
export function convertEndpoints(raw: Record<string, unknown>): EndpointSlice[] {
  const metadata = parseObjectMeta(raw['metadata'], true);
  const groups = new Map<string, { addressType: string; ports: EndpointPort[]; endpoints: SliceEndpoint[] }>();
  const subsets = optArray(raw['subsets'], 'subsets') ?? [];
  subsets.forEach((s, i) => {
    const f = `subsets[${i}]`;
    const r = reqRecord(s, f);
    const ports = (optArray(r['ports'], `${f}.ports`) ?? []).map((p, j) => parseEndpointPort(p, `${f}.ports[${j}]`, true));
    const portKey = JSON.stringify([...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (a.port ?? 0) - (b.port ?? 0)));
    for (const [listField, ready] of [['addresses', true], ['notReadyAddresses', false]] as const) {
      (optArray(r[listField], `${f}.${listField}`) ?? []).forEach((a, j) => {
        const af = `${f}.${listField}[${j}]`;
        const ar = reqRecord(a, af);
        const ip = reqString(ar['ip'], `${af}.ip`);
        const addressType = ip.includes(':') ? 'IPv6' : 'IPv4';
        const key = `${addressType} ${portKey}`;
        let group = groups.get(key);
        if (group === undefined) {
          group = { addressType, ports, endpoints: [] };
          groups.set(key, group);
        }
        const endpoint: SliceEndpoint = { addresses: [ip], conditions: { ready, serving: ready, terminating: false } };
        const nodeName = optString(ar['nodeName'], `${af}.nodeName`);
        if (nodeName !== undefined) endpoint.nodeName = nodeName;
        const targetRef = parseTargetRef(ar['targetRef'], `${af}.targetRef`);
        if (targetRef !== undefined) endpoint.targetRef = targetRef;
        group.endpoints.push(endpoint);
      });
    }
  });
  const labels = { ...metadata.labels, [SERVICE_NAME_LABEL]: metadata.name };
  const all = [...groups.values()];
  if (all.length === 0) {
    // No addresses at all: still a slice, so the Service is known to have no endpoints.
    return [{ kind: 'EndpointSlice', metadata: { ...metadata, labels }, addressType: 'IPv4', endpoints: [], ports: [] }];
  }
  return all.map((g, i) => ({
    kind: 'EndpointSlice',
    metadata: { ...metadata, labels, name: all.length === 1 ? metadata.name : `${metadata.name}-${i}` },
    addressType: g.addressType,
    endpoints: g.endpoints,
    ports: g.ports,
  }));
}
