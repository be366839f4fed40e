// Ingress: networking.k8s.io/v1, and the legacy v1beta1 versions converted to it (legacy-ingress.ts).
// Unknown fields in a spec are usually typos (`serviceProt`, `rouls`): each is a warning.

import type { HTTPIngressPath, Ingress, IngressBackend, IngressRule, IngressTLS, ServiceBackendPort } from '../../core/model.ts';
import { optArray, optInt, optRecord, optString, reqArray, reqRecord, reqString, warnUnknown, type NormalizeContext } from './field-readers.ts';
import { LEGACY_INGRESS_VERSIONS, parseLegacyBackend, V1BETA1_BACKEND_FIELDS } from './legacy-ingress.ts';
import { parseLoadBalancerStatus } from './parse-load-balancer-status.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

const INGRESS_SPEC_FIELDS = ['ingressClassName', 'defaultBackend', 'backend', 'rules', 'tls'];
const RULE_FIELDS = ['host', 'http'];
const HTTP_FIELDS = ['paths'];
const PATH_FIELDS = ['path', 'pathType', 'backend'];
const TLS_FIELDS = ['hosts', 'secretName'];
const V1_BACKEND_FIELDS = ['service', 'resource'];

export function parseIngress(raw: Record<string, unknown>, apiVersion: string, ctx: NormalizeContext): Ingress {
  const legacy = LEGACY_INGRESS_VERSIONS.has(apiVersion);
  const metadata = parseObjectMeta(raw['metadata'], true);
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

function parseRule(raw: unknown, field: string, legacy: boolean, ctx: NormalizeContext): IngressRule {
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

function parsePath(raw: unknown, field: string, legacy: boolean, ctx: NormalizeContext): HTTPIngressPath {
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

function parseBackend(b: Record<string, unknown>, field: string, legacy: boolean, ctx: NormalizeContext): IngressBackend {
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
  if (legacy) return parseLegacyBackend(b, field, backend);
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

function parseTls(raw: unknown, field: string, ctx: NormalizeContext): IngressTLS {
  const t = reqRecord(raw, field);
  warnUnknown(t, TLS_FIELDS, field, ctx);
  const out: IngressTLS = {};
  const hosts = optArray(t['hosts'], `${field}.hosts`);
  if (hosts !== undefined) out.hosts = hosts.map((h, i) => reqString(h, `${field}.hosts[${i}]`));
  const secretName = optString(t['secretName'], `${field}.secretName`);
  if (secretName !== undefined) out.secretName = secretName;
  return out;
}
