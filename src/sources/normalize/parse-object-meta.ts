// metadata of every kind: name and namespace checked as DNS-1123, labels and annotations as string
// maps, timestamps canonicalised.

import type { ObjectMeta } from '../../core/model.ts';
import { FieldError, optInt, optRecord, optString, reqRecord, reqString, clip, typeName } from './field-readers.ts';


// DNS-1123: names are subdomains, namespaces labels. Checking them keeps 'ns/name' keys
// unambiguous (no '/' in either part) and keeps hostile strings out of logs and IDs.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseObjectMeta(raw: unknown, namespaced: boolean): ObjectMeta {
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
