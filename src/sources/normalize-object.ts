// Raw API/YAML objects → the typed model (core/model.ts). Every source goes through here, so the
// core never sees untyped input. Parsing is strict: a wrong type or a missing required field is a
// diagnostic naming the field, and that object alone is skipped. Values are never echoed into
// messages (they may be Secret data, or long hostile strings): messages name fields and types only.
//
// Conversions done here, so everything downstream knows one shape:
// - legacy extensions/v1beta1 and networking.k8s.io/v1beta1 Ingress → networking.k8s.io/v1
//   (`convertedFrom` is set; the builder reports how to upgrade);
// - v1 Endpoints → EndpointSlice form (one slice per distinct port set and address family);
// - Secret `data` base64-decoded, `stringData` merged over it (as the API server does);
// - `List` documents expanded (normalizeDocument).

import type { Diagnostic, ObjectRef, Severity } from '../core/diagnostics.ts';
import {
  SERVICE_NAME_LABEL,
  type EndpointPort,
  type EndpointSlice,
  type HTTPIngressPath,
  type Ingress,
  type IngressBackend,
  type IngressClass,
  type IngressLoadBalancerIngress,
  type IngressRule,
  type IngressTLS,
  type KubeObject,
  type ObjectMeta,
  type Secret,
  type Service,
  type ServiceBackendPort,
  type ServicePort,
  type SliceEndpoint,
} from '../core/model.ts';

export interface NormalizeResult {
  object?: KubeObject;
  diagnostics: Diagnostic[];
}

export interface NormalizeDocumentResult {
  objects: KubeObject[];
  diagnostics: Diagnostic[];
}

/** apiVersions accepted per kind. A missing apiVersion means the first (preferred) one: list items
 * from the API server and typed client objects often carry no apiVersion. */
const API_VERSIONS: Record<string, readonly string[]> = {
  Ingress: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1'],
  IngressClass: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1'],
  Service: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1'],
  Endpoints: ['v1'],
  Secret: ['v1'],
};

const LEGACY_INGRESS_VERSIONS = new Set(['networking.k8s.io/v1beta1', 'extensions/v1beta1']);

/** Nested List documents are expanded this deep at most (a List of Lists is legal but rare). */
const MAX_LIST_DEPTH = 4;

/**
 * One raw object → one typed object (or none, with diagnostics). An Endpoints object whose
 * subsets have several distinct port sets converts to several slices: normalizeDocument returns
 * them all; this function returns the first and a warning.
 */
export function normalizeObject(raw: unknown, origin: string): NormalizeResult {
  const { objects, diagnostics } = normalizeOne(raw, origin);
  if (objects.length > 1) {
    const first = objects[0]!;
    diagnostics.push(
      diag('EndpointsPartiallyConverted', 'warning', refOf(first), 'subsets', origin,
        `Endpoints converts to ${objects.length} EndpointSlices (one per port set); only the first was kept here`),
    );
  }
  const object = objects[0];
  return object === undefined ? { diagnostics } : { object, diagnostics };
}

/** A whole YAML/JSON document: expands `List` kinds, then normalises each object. */
export function normalizeDocument(raw: unknown, origin: string): NormalizeDocumentResult {
  const out: NormalizeDocumentResult = { objects: [], diagnostics: [] };
  expand(raw, origin, 0, undefined, out);
  return out;
}

function expand(
  raw: unknown,
  origin: string,
  depth: number,
  inherited: { kind: string; apiVersion?: string } | undefined,
  out: NormalizeDocumentResult,
): void {
  if (raw === null || raw === undefined) return; // an empty YAML document
  if (isRecord(raw) && isListDocument(raw)) {
    const ref = refFromRaw(raw);
    if (depth >= MAX_LIST_DEPTH) {
      out.diagnostics.push(diag('ObjectInvalid', 'error', ref, 'items', origin, `Lists nested deeper than ${MAX_LIST_DEPTH} are not read`));
      return;
    }
    const items = raw['items'];
    if (items === null || items === undefined) return;
    if (!Array.isArray(items)) {
      out.diagnostics.push(diag('ObjectInvalid', 'error', ref, 'items', origin, `expected a list, got ${typeName(items)}`));
      return;
    }
    const listKind = raw['kind'] as string;
    // 'IngressList' items may omit kind/apiVersion: they are Ingresses of the list's apiVersion.
    const itemKind = listKind === 'List' ? undefined : listKind.slice(0, -'List'.length);
    const apiVersion = typeof raw['apiVersion'] === 'string' ? raw['apiVersion'] : undefined;
    items.forEach((item, i) => {
      const itemInherited = itemKind === undefined ? undefined : { kind: itemKind, ...(apiVersion === undefined ? {} : { apiVersion }) };
      expand(item, `${origin} items[${i}]`, depth + 1, itemInherited, out);
    });
    return;
  }
  let value = raw;
  if (inherited !== undefined && isRecord(raw)) {
    value = { ...raw };
    const v = value as Record<string, unknown>;
    if (v['kind'] === undefined) v['kind'] = inherited.kind;
    if (v['apiVersion'] === undefined && inherited.apiVersion !== undefined) v['apiVersion'] = inherited.apiVersion;
  }
  const one = normalizeOne(value, origin);
  out.objects.push(...one.objects);
  out.diagnostics.push(...one.diagnostics);
}

function isListDocument(raw: Record<string, unknown>): boolean {
  const kind = raw['kind'];
  return typeof kind === 'string' && (kind === 'List' || (kind.endsWith('List') && 'items' in raw));
}

/** The typed-parse failure: caught per object, turned into one ObjectInvalid diagnostic. */
class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

interface Context {
  origin: string;
  ref: ObjectRef;
  /** Non-fatal findings (unknown fields, bad base64 in one Secret key). */
  findings: Diagnostic[];
}

function normalizeOne(raw: unknown, origin: string): { objects: KubeObject[]; diagnostics: Diagnostic[] } {
  if (!isRecord(raw)) {
    const ref: ObjectRef = { kind: '', namespace: '', name: '' };
    return { objects: [], diagnostics: [diag('ObjectInvalid', 'error', ref, undefined, origin, `expected an object, got ${typeName(raw)}`)] };
  }
  const ref = refFromRaw(raw);
  const kind = raw['kind'];
  if (typeof kind !== 'string' || kind === '') {
    return { objects: [], diagnostics: [diag('ObjectInvalid', 'error', ref, 'kind', origin, 'kind is required (a string)')] };
  }
  const versions = API_VERSIONS[kind];
  if (versions === undefined) {
    return { objects: [], diagnostics: [diag('UnknownKind', 'info', ref, 'kind', origin, `kind ${JSON.stringify(clip(kind))} is not read by Gatehouse; ignored`)] };
  }
  const apiVersionRaw = raw['apiVersion'];
  if (apiVersionRaw !== undefined && apiVersionRaw !== null && typeof apiVersionRaw !== 'string') {
    return { objects: [], diagnostics: [diag('ObjectInvalid', 'error', ref, 'apiVersion', origin, `expected a string, got ${typeName(apiVersionRaw)}`)] };
  }
  const apiVersion = typeof apiVersionRaw === 'string' ? apiVersionRaw : versions[0]!;
  if (!versions.includes(apiVersion)) {
    return {
      objects: [],
      diagnostics: [diag('UnsupportedApiVersion', 'warning', ref, 'apiVersion', origin,
        `${kind} apiVersion ${JSON.stringify(clip(apiVersion))} is not supported (use ${versions.join(' or ')}); ignored`)],
    };
  }
  const ctx: Context = { origin, ref, findings: [] };
  try {
    const objects = parseKind(kind, apiVersion, raw, ctx);
    return { objects, diagnostics: ctx.findings };
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    return {
      objects: [],
      diagnostics: [...ctx.findings, diag('ObjectInvalid', 'error', ref, err.field, origin, `${err.field}: ${err.message}; object skipped`)],
    };
  }
}

function parseKind(kind: string, apiVersion: string, raw: Record<string, unknown>, ctx: Context): KubeObject[] {
  switch (kind) {
    case 'Ingress':
      return [parseIngress(raw, apiVersion, ctx)];
    case 'IngressClass':
      return [parseIngressClass(raw)];
    case 'Service':
      return [parseService(raw)];
    case 'EndpointSlice':
      return [parseEndpointSlice(raw)];
    case 'Endpoints':
      return convertEndpoints(raw);
    case 'Secret':
      return [parseSecret(raw, ctx)];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Ingress (v1, and legacy v1beta1 converted to v1)

const INGRESS_SPEC_FIELDS = ['ingressClassName', 'defaultBackend', 'backend', 'rules', 'tls'];
const RULE_FIELDS = ['host', 'http'];
const HTTP_FIELDS = ['paths'];
const PATH_FIELDS = ['path', 'pathType', 'backend'];
const TLS_FIELDS = ['hosts', 'secretName'];
const V1_BACKEND_FIELDS = ['service', 'resource'];
const V1BETA1_BACKEND_FIELDS = ['serviceName', 'servicePort', 'resource'];

function parseIngress(raw: Record<string, unknown>, apiVersion: string, ctx: Context): Ingress {
  const legacy = LEGACY_INGRESS_VERSIONS.has(apiVersion);
  const metadata = parseMeta(raw['metadata'], true);
  const specRaw = optRecord(raw['spec'], 'spec') ?? {};
  warnUnknown(specRaw, legacy ? INGRESS_SPEC_FIELDS : INGRESS_SPEC_FIELDS.filter((f) => f !== 'backend'), 'spec', ctx);
  const backendField = legacy ? 'backend' : 'defaultBackend';
  const spec: Ingress['spec'] = {};
  const ingressClassName = optString(specRaw['ingressClassName'], 'spec.ingressClassName');
  if (ingressClassName !== undefined) spec.ingressClassName = ingressClassName;
  const defaultBackendRaw = optRecord(specRaw[backendField], `spec.${backendField}`);
  if (defaultBackendRaw !== undefined) spec.defaultBackend = parseBackend(defaultBackendRaw, `spec.${backendField}`, legacy, ctx);
  const rules = optArray(specRaw['rules'], 'spec.rules');
  if (rules !== undefined) spec.rules = rules.map((r, i) => parseRule(r, `spec.rules[${i}]`, legacy, ctx));
  const tls = optArray(specRaw['tls'], 'spec.tls');
  if (tls !== undefined) spec.tls = tls.map((t, i) => parseTls(t, `spec.tls[${i}]`, ctx));
  const ingress: Ingress = { kind: 'Ingress', metadata, spec };
  const status = parseLoadBalancerStatus(raw['status']);
  if (status !== undefined) ingress.status = status;
  if (legacy) ingress.convertedFrom = apiVersion;
  return ingress;
}

function parseRule(raw: unknown, field: string, legacy: boolean, ctx: Context): IngressRule {
  const r = reqRecord(raw, field);
  warnUnknown(r, RULE_FIELDS, field, ctx);
  const rule: IngressRule = {};
  const host = optString(r['host'], `${field}.host`);
  if (host !== undefined) rule.host = host;
  const http = optRecord(r['http'], `${field}.http`);
  if (http !== undefined) {
    warnUnknown(http, HTTP_FIELDS, `${field}.http`, ctx);
    const paths = reqArray(http['paths'], `${field}.http.paths`);
    rule.http = { paths: paths.map((p, i) => parsePath(p, `${field}.http.paths[${i}]`, legacy, ctx)) };
  }
  return rule;
}

function parsePath(raw: unknown, field: string, legacy: boolean, ctx: Context): HTTPIngressPath {
  const p = reqRecord(raw, field);
  warnUnknown(p, PATH_FIELDS, field, ctx);
  const backend = parseBackend(reqRecord(p['backend'], `${field}.backend`), `${field}.backend`, legacy, ctx);
  const out: HTTPIngressPath = { backend };
  const path = optString(p['path'], `${field}.path`);
  if (path !== undefined) out.path = path;
  const pathType = optString(p['pathType'], `${field}.pathType`);
  if (pathType !== undefined) out.pathType = pathType;
  // v1beta1 had no required pathType; the API server's conversion defaults it like this.
  else if (legacy) out.pathType = 'ImplementationSpecific';
  return out;
}

function parseBackend(b: Record<string, unknown>, field: string, legacy: boolean, ctx: Context): IngressBackend {
  warnUnknown(b, legacy ? V1BETA1_BACKEND_FIELDS : V1_BACKEND_FIELDS, field, ctx);
  const backend: IngressBackend = {};
  const resource = optRecord(b['resource'], `${field}.resource`);
  if (resource !== undefined) {
    const apiGroup = optString(resource['apiGroup'], `${field}.resource.apiGroup`);
    backend.resource = {
      kind: reqString(resource['kind'], `${field}.resource.kind`),
      name: reqString(resource['name'], `${field}.resource.name`),
      ...(apiGroup === undefined ? {} : { apiGroup }),
    };
  }
  if (legacy) {
    const serviceName = optString(b['serviceName'], `${field}.serviceName`);
    if (serviceName !== undefined) {
      // A missing servicePort becomes an empty port: the builder reports it on that path alone.
      backend.service = { name: serviceName, port: legacyPort(b['servicePort'], `${field}.servicePort`) };
    }
    return backend;
  }
  const service = optRecord(b['service'], `${field}.service`);
  if (service !== undefined) {
    warnUnknown(service, ['name', 'port'], `${field}.service`, ctx);
    const portRaw = optRecord(service['port'], `${field}.service.port`) ?? {};
    warnUnknown(portRaw, ['number', 'name'], `${field}.service.port`, ctx);
    const port: ServiceBackendPort = {};
    const number = optInt(portRaw['number'], `${field}.service.port.number`);
    if (number !== undefined) port.number = number;
    const name = optString(portRaw['name'], `${field}.service.port.name`);
    if (name !== undefined) port.name = name;
    backend.service = { name: reqString(service['name'], `${field}.service.name`), port };
  }
  return backend;
}

/** v1beta1 servicePort is an IntOrString: a number is a port number, a string a port name
 * (a string of digits is taken as the number its author meant). */
function legacyPort(raw: unknown, field: string): ServiceBackendPort {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw new FieldError(field, 'expected an integer or a port name');
    return { number: raw };
  }
  if (typeof raw === 'string') {
    return /^[0-9]{1,5}$/.test(raw) ? { number: Number(raw) } : { name: raw };
  }
  throw new FieldError(field, `expected an integer or a port name, got ${typeName(raw)}`);
}

function parseTls(raw: unknown, field: string, ctx: Context): IngressTLS {
  const t = reqRecord(raw, field);
  warnUnknown(t, TLS_FIELDS, field, ctx);
  const out: IngressTLS = {};
  const hosts = optArray(t['hosts'], `${field}.hosts`);
  if (hosts !== undefined) out.hosts = hosts.map((h, i) => reqString(h, `${field}.hosts[${i}]`));
  const secretName = optString(t['secretName'], `${field}.secretName`);
  if (secretName !== undefined) out.secretName = secretName;
  return out;
}

function parseLoadBalancerStatus(raw: unknown): { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } } | undefined {
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

// ---------------------------------------------------------------------------------------------
// IngressClass, Service

function parseIngressClass(raw: Record<string, unknown>): IngressClass {
  const metadata = parseMeta(raw['metadata'], false);
  const specRaw = optRecord(raw['spec'], 'spec') ?? {};
  const spec: IngressClass['spec'] = {};
  const controller = optString(specRaw['controller'], 'spec.controller');
  if (controller !== undefined) spec.controller = controller;
  return { kind: 'IngressClass', metadata, spec };
}

function parseService(raw: Record<string, unknown>): Service {
  const metadata = parseMeta(raw['metadata'], true);
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

// ---------------------------------------------------------------------------------------------
// EndpointSlice, and v1 Endpoints converted to it

function parseEndpointSlice(raw: Record<string, unknown>): EndpointSlice {
  const metadata = parseMeta(raw['metadata'], true);
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

function parseEndpointPort(raw: unknown, field: string, portRequired: boolean): EndpointPort {
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

function parseTargetRef(raw: unknown, field: string): SliceEndpoint['targetRef'] {
  const r = optRecord(raw, field);
  if (r === undefined) return undefined;
  const out: NonNullable<SliceEndpoint['targetRef']> = {};
  for (const key of ['kind', 'namespace', 'name'] as const) {
    const v = optString(r[key], `${field}.${key}`);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * v1 Endpoints → EndpointSlices, as the EndpointSlice mirroring controller does: `addresses` are
 * ready, `notReadyAddresses` are not; subsets with the same ports (and address family) share a
 * slice. One resulting slice keeps the Endpoints' name; several are named `<name>-<i>`.
 */
function convertEndpoints(raw: Record<string, unknown>): EndpointSlice[] {
  const metadata = parseMeta(raw['metadata'], true);
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

// ---------------------------------------------------------------------------------------------
// Secret

function parseSecret(raw: Record<string, unknown>, ctx: Context): Secret {
  const metadata = parseMeta(raw['metadata'], true);
  const type = optString(raw['type'], 'type') ?? 'Opaque';
  const data: Record<string, string> = {};
  const encoded = optRecord(raw['data'], 'data') ?? {};
  for (const [key, value] of Object.entries(encoded)) {
    const field = `data[${JSON.stringify(clip(key))}]`;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw new FieldError(field, `expected a base64 string, got ${typeName(value)}`);
    const decoded = decodeBase64(value);
    if (decoded === undefined) {
      // Only this key is dropped: the builder then reports what the Secret lacks, next to the
      // Ingress that uses it, and the rest of the Secret stays usable.
      ctx.findings.push(diag('SecretDataInvalid', 'error', ctx.ref, field, ctx.origin, `${field} is not valid base64; key ignored`));
      continue;
    }
    data[key] = decoded;
  }
  const plain = optRecord(raw['stringData'], 'stringData') ?? {};
  for (const [key, value] of Object.entries(plain)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw new FieldError(`stringData[${JSON.stringify(clip(key))}]`, `expected a string, got ${typeName(value)}`);
    data[key] = value;
  }
  return { kind: 'Secret', metadata, type, data };
}

/** Strict standard base64 (line breaks allowed, as in YAML block scalars). */
function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// metadata

// DNS-1123: names are subdomains, namespaces labels. Checking them keeps 'ns/name' keys
// unambiguous (no '/' in either part) and keeps hostile strings out of logs and IDs.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseMeta(raw: unknown, namespaced: boolean): ObjectMeta {
  const m = reqRecord(raw, 'metadata');
  const name = reqString(m['name'], 'metadata.name');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new FieldError('metadata.name', 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)');
  }
  let namespace = '';
  if (namespaced) {
    namespace = optString(m['namespace'], 'metadata.namespace') ?? '';
    if (namespace === '') namespace = 'default';
    if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
      throw new FieldError('metadata.namespace', 'must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)');
    }
  }
  const meta: ObjectMeta = {
    namespace,
    name,
    labels: stringMap(m['labels'], 'metadata.labels'),
    annotations: stringMap(m['annotations'], 'metadata.annotations'),
  };
  const uid = optString(m['uid'], 'metadata.uid');
  if (uid !== undefined) meta.uid = uid;
  const resourceVersion = optString(m['resourceVersion'], 'metadata.resourceVersion');
  if (resourceVersion !== undefined) meta.resourceVersion = resourceVersion;
  const generation = optInt(m['generation'], 'metadata.generation');
  if (generation !== undefined) meta.generation = generation;
  const creationTimestamp = optTimestamp(m['creationTimestamp'], 'metadata.creationTimestamp');
  if (creationTimestamp !== undefined) meta.creationTimestamp = creationTimestamp;
  return meta;
}

function stringMap(raw: unknown, field: string): Record<string, string> {
  const r = optRecord(raw, field);
  const out: Record<string, string> = {};
  if (r === undefined) return out;
  for (const [k, v] of Object.entries(r)) {
    // The API server rejects non-string values too; the usual cause is an unquoted YAML
    // `true` or number, which is worth saying plainly.
    if (typeof v !== 'string') throw new FieldError(`${field}[${JSON.stringify(clip(k))}]`, `expected a string, got ${typeName(v)} (quote it in YAML)`);
    out[k] = v;
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Canonical RFC 3339 in UTC, second precision unless the input had more: comparable as strings.
 * Typed client objects carry a Date here rather than a string. */
function optTimestamp(raw: unknown, field: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  let ms: number;
  if (raw instanceof Date) ms = raw.getTime();
  else if (typeof raw === 'string' && RFC3339.test(raw)) ms = Date.parse(raw);
  else throw new FieldError(field, 'expected an RFC 3339 timestamp');
  if (!Number.isFinite(ms)) throw new FieldError(field, 'expected an RFC 3339 timestamp');
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// typed field readers: null is "absent", as in the Kubernetes API

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function optRecord(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new FieldError(field, `expected an object, got ${typeName(v)}`);
  return v;
}

function reqRecord(v: unknown, field: string): Record<string, unknown> {
  const r = optRecord(v, field);
  if (r === undefined) throw new FieldError(field, 'is required');
  return r;
}

function optArray(v: unknown, field: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new FieldError(field, `expected a list, got ${typeName(v)}`);
  return v;
}

function reqArray(v: unknown, field: string): unknown[] {
  const a = optArray(v, field);
  if (a === undefined) throw new FieldError(field, 'is required');
  return a;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(field, `expected a string, got ${typeName(v)}`);
  return v;
}

function reqString(v: unknown, field: string): string {
  const s = optString(v, field);
  if (s === undefined) throw new FieldError(field, 'is required');
  return s;
}

function optInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new FieldError(field, `expected an integer, got ${typeName(v)}`);
  return v;
}

function reqInt(v: unknown, field: string): number {
  const n = optInt(v, field);
  if (n === undefined) throw new FieldError(field, 'is required');
  return n;
}

function optIntOrString(v: unknown, field: string): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new FieldError(field, `expected an integer or a string, got ${typeName(v)}`);
}

function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new FieldError(field, `expected true or false, got ${typeName(v)}`);
  return v;
}

/** Unknown fields in an Ingress spec are usually typos (`serviceProt`, `rouls`): say so. */
function warnUnknown(r: Record<string, unknown>, known: readonly string[], field: string, ctx: Context): void {
  for (const [key, value] of Object.entries(r)) {
    if (known.includes(key) || value === undefined) continue;
    const where = `${field}.${clip(key)}`;
    ctx.findings.push(diag('UnknownField', 'warning', ctx.ref, where, ctx.origin, `unknown field ${where} ignored (known here: ${known.join(', ')})`));
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/** Bounded, single-line text from tenant input for messages (never Secret values). */
function clip(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > 64 ? `${flat.slice(0, 61)}...` : flat;
}

function refFromRaw(raw: Record<string, unknown>): ObjectRef {
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const kind = typeof raw['kind'] === 'string' ? clip(raw['kind']) : '';
  const name = typeof meta['name'] === 'string' ? clip(meta['name']) : '';
  const clusterScoped = kind === 'IngressClass';
  const ns = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? clip(meta['namespace']) : 'default';
  return { kind, namespace: clusterScoped ? '' : ns, name };
}

function refOf(o: KubeObject): ObjectRef {
  return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
}

function diag(code: string, severity: Severity, object: ObjectRef, field: string | undefined, origin: string, message: string): Diagnostic {
  const d: Diagnostic = { code, severity, object, message: `${origin}: ${message}` };
  if (field !== undefined) d.field = field;
  return d;
}
