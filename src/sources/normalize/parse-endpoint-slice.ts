// EndpointSlice (discovery.k8s.io/v1): addresses with their conditions, and the ports.

import type { EndpointPort, EndpointSlice, SliceEndpoint } from '../../core/model.ts';
import { optArray, optBool, optInt, optRecord, optString, reqArray, reqInt, reqRecord, reqString } from './field-readers.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

export function parseEndpointSlice(raw: Record<string, unknown>): EndpointSlice {
  const metadata = parseObjectMeta(raw['metadata'], true);
  const addressType = reqString(raw['addressType'], 'addressType');
  const endpoints = (optArray(raw['endpoints'], 'endpoints') ?? []).map((e, i): SliceEndpoint => {
    const f = `endpoints[${i}]`;
    const r = reqRecord(e, f);
    const addresses = reqArray(r['addresses'], `${f}.addresses`).map((a, j) => reqString(a, `${f}.addresses[${j}]`));
    const c = optRecord(r['conditions'], `${f}.conditions`) ?? {};
    const conditions: SliceEndpoint['conditions'] = {};
    for (const key of ['ready', 'serving', 'terminating'] as const) {
      const v = optBool(c[key], `${f}.conditions.${key}`);
      if (v !== undefined) conditions[key] = v;
    }
    const endpoint: SliceEndpoint = { addresses, conditions };
    const nodeName = optString(r['nodeName'], `${f}.nodeName`);
    if (nodeName !== undefined) endpoint.nodeName = nodeName;
    const targetRef = parseTargetRef(r['targetRef'], `${f}.targetRef`);
    if (targetRef !== undefined) endpoint.targetRef = targetRef;
    return endpoint;
  });
  const ports = (optArray(raw['ports'], 'ports') ?? []).map((p, i) => parseEndpointPort(p, `ports[${i}]`, false));
  return { kind: 'EndpointSlice', metadata, addressType, endpoints, ports };
}

export function parseEndpointPort(raw: unknown, field: string, portRequired: boolean): EndpointPort {
  const r = reqRecord(raw, field);
  const out: EndpointPort = {};
  const name = optString(r['name'], `${field}.name`);
  if (name !== undefined) out.name = name;
  const port = portRequired ? reqInt(r['port'], `${field}.port`) : optInt(r['port'], `${field}.port`);
  if (port !== undefined) out.port = port;
  const protocol = optString(r['protocol'], `${field}.protocol`);
  if (protocol !== undefined) out.protocol = protocol;
  return out;
}

export function parseTargetRef(raw: unknown, field: string): SliceEndpoint['targetRef'] {
  const r = optRecord(raw, field);
  if (r === undefined) return undefined;
  const out: NonNullable<SliceEndpoint['targetRef']> = {};
  for (const key of ['kind', 'namespace', 'name'] as const) {
    const v = optString(r[key], `${field}.${key}`);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
