// Builders for core tests: typed Kubernetes objects with only the fields a case cares about,
// a snapshot from a list of objects, and build options with a deterministic fake inspector.

import type {
  EndpointSlice,
  Ingress,
  IngressBackend,
  IngressClass,
  IngressRule,
  IngressTLS,
  KubeObject,
  ObjectMeta,
  Secret,
  Service,
  ServicePort,
  SliceEndpoint,
} from '../../src/core/model.ts';
import { objectKey, SERVICE_NAME_LABEL } from '../../src/core/model.ts';
import type { BuildOptions, CertificateInspection, Snapshot } from '../../src/core/snapshot.ts';

export const CONTROLLER = 'gatehouse.dev/ingress-controller';
export const NOW = '2026-01-01T00:00:00Z';

export function meta(name: string, namespace = 'default', extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return { namespace, name, labels: {}, annotations: {}, ...extra };
}

export function serviceBackend(name: string, port: number | string): IngressBackend {
  return { service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export interface IngressInit {
  namespace?: string;
  created?: string;
  className?: string;
  annotations?: Record<string, string>;
  rules?: IngressRule[];
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  convertedFrom?: string;
}

export function ingress(name: string, init: IngressInit = {}): Ingress {
  const metadata = meta(name, init.namespace ?? 'default', { annotations: init.annotations ?? {} });
  if (init.created) metadata.creationTimestamp = init.created;
  const result: Ingress = { kind: 'Ingress', metadata, spec: {} };
  if (init.className !== undefined) result.spec.ingressClassName = init.className;
  if (init.rules) result.spec.rules = init.rules;
  if (init.defaultBackend) result.spec.defaultBackend = init.defaultBackend;
  if (init.tls) result.spec.tls = init.tls;
  if (init.convertedFrom) result.convertedFrom = init.convertedFrom;
  return result;
}

/** A rule; paths as [path, pathType, service, port]. */
export function rule(host: string | undefined, ...paths: [string | undefined, string | undefined, string, number | string][]): IngressRule {
  const result: IngressRule = {
    http: {
      paths: paths.map(([path, pathType, service, port]) => {
        const entry: { path?: string; pathType?: string; backend: IngressBackend } = { backend: serviceBackend(service, port) };
        if (path !== undefined) entry.path = path;
        if (pathType !== undefined) entry.pathType = pathType;
        return entry;
      }),
    },
  };
  if (host !== undefined) result.host = host;
  return result;
}

export function ingressClass(name: string, controller: string, isDefault = false): IngressClass {
  const annotations: Record<string, string> = isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {};
  return { kind: 'IngressClass', metadata: meta(name, '', { annotations }), spec: { controller } };
}

export function service(name: string, ports: ServicePort[], init: { namespace?: string; type?: string; sessionAffinity?: string } = {}): Service {
  const result: Service = { kind: 'Service', metadata: meta(name, init.namespace ?? 'default'), spec: { ports } };
  if (init.type) result.spec.type = init.type;
  if (init.sessionAffinity) result.spec.sessionAffinity = init.sessionAffinity;
  return result;
}

export function endpoint(address: string, conditions: SliceEndpoint['conditions'] = { ready: true }, pod?: string): SliceEndpoint {
  const result: SliceEndpoint = { addresses: [address], conditions };
  if (pod) result.targetRef = { kind: 'Pod', name: pod };
  return result;
}

export function slice(
  name: string,
  serviceName: string,
  ports: { name?: string; port: number }[],
  endpoints: SliceEndpoint[],
  init: { namespace?: string; addressType?: string } = {},
): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: meta(name, init.namespace ?? 'default', { labels: { [SERVICE_NAME_LABEL]: serviceName } }),
    addressType: init.addressType ?? 'IPv4',
    endpoints,
    ports,
  };
}

export function secret(name: string, data: Record<string, string>, type = 'kubernetes.io/tls', namespace = 'default'): Secret {
  return { kind: 'Secret', metadata: meta(name, namespace), type, data };
}

/** A fake certificate the fake inspector understands: names, validity and the key it pairs with. */
export function fakeCert(names: string[], init: { notAfter?: string; notBefore?: string; key?: string } = {}): { 'tls.crt': string; 'tls.key': string } {
  const key = init.key ?? names.join(',');
  const crt = `FAKE-CERT names=${names.join(',')} notBefore=${init.notBefore ?? '2025-01-01T00:00:00Z'} notAfter=${init.notAfter ?? '2030-01-01T00:00:00Z'} key=${key}`;
  return { 'tls.crt': crt, 'tls.key': `FAKE-KEY ${key}` };
}

/** Deterministic stand-in for the crypto inspector, keyed on the placeholder text. */
export function fakeInspector(certPem: string, keyPem: string): CertificateInspection {
  const fields = new Map(certPem.split(' ').slice(1).map((part) => part.split('=') as [string, string]));
  if (!certPem.startsWith('FAKE-CERT ')) return { ok: false, code: 'ERR_CERT_PARSE', reason: 'the certificate PEM does not parse' };
  if (keyPem !== `FAKE-KEY ${fields.get('key') ?? ''}`) return { ok: false, code: 'ERR_KEY_MISMATCH', reason: 'the key does not match the certificate' };
  return {
    ok: true,
    fingerprint: fingerprintOf(certPem),
    keyType: 'ec',
    notAfter: fields.get('notAfter') ?? '',
    notBefore: fields.get('notBefore') ?? '',
    dnsNames: (fields.get('names') ?? '').split(',').filter((n) => n !== ''),
  };
}

/** FNV-1a, hex: stable and dependency-free; the real inspector uses SHA-256 of the DER. */
function fingerprintOf(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export function options(overrides: Partial<BuildOptions> = {}): BuildOptions {
  return { controllerName: CONTROLLER, watchIngressWithoutClass: true, inspectCertificate: fakeInspector, now: NOW, ...overrides };
}

export function snapshotOf(objects: readonly KubeObject[]): Snapshot {
  const maps = {
    Ingress: new Map(),
    IngressClass: new Map(),
    Service: new Map(),
    EndpointSlice: new Map(),
    Secret: new Map(),
  } as Record<KubeObject['kind'], Map<string, KubeObject>>;
  for (const object of objects) maps[object.kind].set(objectKey(object.metadata), object);
  return {
    ingresses: maps.Ingress as Snapshot['ingresses'],
    ingressClasses: maps.IngressClass as Snapshot['ingressClasses'],
    services: maps.Service as Snapshot['services'],
    endpointSlices: maps.EndpointSlice as Snapshot['endpointSlices'],
    secrets: maps.Secret as Snapshot['secrets'],
  };
}
