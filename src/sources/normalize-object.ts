// Raw API/YAML objects → the typed model (core/model.ts). Every source goes through here, so the
// core never sees untyped input. Parsing is strict: a wrong type or a missing required field is a
// diagnostic naming the field, and that object alone is skipped. Values are never echoed into
// messages (they may be Secret data, or long hostile strings): messages name fields and types only.
// This file dispatches on kind and apiVersion; each kind's parser is a file in normalize/, on the
// typed readers of normalize/field-readers.ts.
//
// Conversions done here, so everything downstream knows one shape:
// - legacy extensions/v1beta1 and networking.k8s.io/v1beta1 Ingress → networking.k8s.io/v1
//   (`convertedFrom` is set; the builder reports how to upgrade);
// - v1 Endpoints → EndpointSlice form (one slice per distinct port set and address family);
// - Secret `data` base64-decoded, `stringData` merged over it (as the API server does);
// - `List` documents expanded (normalizeDocument).

import type { Diagnostic, ObjectRef } from '../core/diagnostics.ts';
import type { KubeObject } from '../core/model.ts';
import { convertEndpoints } from './normalize/convert-endpoints.ts';
import { clip, FieldError, isRecord, refFromRaw, refOf, sourceDiagnostic, typeName, type NormalizeContext } from './normalize/field-readers.ts';
import { parseEndpointSlice } from './normalize/parse-endpoint-slice.ts';
import { parseIngress } from './normalize/parse-ingress.ts';
import { parseIngressClass } from './normalize/parse-ingress-class.ts';
import { parseSecret } from './normalize/parse-secret.ts';
import { parseService } from './normalize/parse-service.ts';

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
      sourceDiagnostic('EndpointsPartiallyConverted', refOf(first), 'subsets', origin,
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
      out.diagnostics.push(sourceDiagnostic('ObjectInvalid', ref, 'items', origin, `Lists nested deeper than ${MAX_LIST_DEPTH} are not read`));
      return;
    }
    const items = raw['items'];
    if (items === null || items === undefined) return;
    if (!Array.isArray(items)) {
      out.diagnostics.push(sourceDiagnostic('ObjectInvalid', ref, 'items', origin, `expected a list, got ${typeName(items)}`));
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

/** What made an object invalid: enough to say it again with another outcome. */
interface InvalidObject {
  ref: ObjectRef;
  field: string;
  origin: string;
  reason: string;
}

/** The ObjectInvalid diagnostics this module made, with their parts (no message is ever re-parsed). */
const invalidObjects = new WeakMap<Diagnostic, InvalidObject>();

function objectInvalid(invalid: InvalidObject, outcome: 'skipped' | 'kept'): Diagnostic {
  const then = outcome === 'skipped' ? 'object skipped' : 'its last good version keeps serving';
  const d = sourceDiagnostic('ObjectInvalid', invalid.ref, invalid.field, invalid.origin, `${invalid.field}: ${invalid.reason}; ${then}`);
  invalidObjects.set(d, invalid);
  return d;
}

/**
 * For an ObjectInvalid diagnostic of this normaliser (an object skipped because a field does not
 * parse): the same finding, saying that the object's last good version keeps serving instead (the
 * manifest source keeps it, as the API server would have refused the edit). Undefined for any
 * other diagnostic.
 */
export function keptLastGoodVersion(d: Diagnostic): Diagnostic | undefined {
  const invalid = invalidObjects.get(d);
  return invalid === undefined ? undefined : objectInvalid(invalid, 'kept');
}

function isListDocument(raw: Record<string, unknown>): boolean {
  const kind = raw['kind'];
  return typeof kind === 'string' && (kind === 'List' || (kind.endsWith('List') && 'items' in raw));
}

function normalizeOne(raw: unknown, origin: string): { objects: KubeObject[]; diagnostics: Diagnostic[] } {
  if (!isRecord(raw)) {
    const ref: ObjectRef = { kind: '', namespace: '', name: '' };
    return { objects: [], diagnostics: [sourceDiagnostic('ObjectInvalid', ref, undefined, origin, `expected an object, got ${typeName(raw)}`)] };
  }
  const ref = refFromRaw(raw);
  const kind = raw['kind'];
  if (typeof kind !== 'string' || kind === '') {
    return { objects: [], diagnostics: [sourceDiagnostic('ObjectInvalid', ref, 'kind', origin, 'kind is required (a string)')] };
  }
  const versions = API_VERSIONS[kind];
  if (versions === undefined) {
    return { objects: [], diagnostics: [sourceDiagnostic('UnknownKind', ref, 'kind', origin, `kind ${JSON.stringify(clip(kind))} is not read by Gatehouse; ignored`)] };
  }
  const apiVersionRaw = raw['apiVersion'];
  if (apiVersionRaw !== undefined && apiVersionRaw !== null && typeof apiVersionRaw !== 'string') {
    return { objects: [], diagnostics: [sourceDiagnostic('ObjectInvalid', ref, 'apiVersion', origin, `expected a string, got ${typeName(apiVersionRaw)}`)] };
  }
  const apiVersion = typeof apiVersionRaw === 'string' ? apiVersionRaw : versions[0]!;
  if (!versions.includes(apiVersion)) {
    return {
      objects: [],
      diagnostics: [sourceDiagnostic('UnsupportedApiVersion', ref, 'apiVersion', origin,
        `${kind} apiVersion ${JSON.stringify(clip(apiVersion))} is not supported (use ${versions.join(' or ')}); ignored`)],
    };
  }
  const ctx: NormalizeContext = { origin, ref, findings: [] };
  try {
    const objects = parseKind(kind, apiVersion, raw, ctx);
    return { objects, diagnostics: ctx.findings };
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    return {
      objects: [],
      diagnostics: [...ctx.findings, objectInvalid({ ref, field: err.field, origin, reason: err.message }, 'skipped')],
    };
  }
}

function parseKind(kind: string, apiVersion: string, raw: Record<string, unknown>, ctx: NormalizeContext): KubeObject[] {
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

