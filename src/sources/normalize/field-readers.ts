// The typed field readers every kind's parser uses: null is "absent", as in the Kubernetes API; a
// wrong type or a missing required field throws FieldError naming the field, which normalizeObject
// turns into one ObjectInvalid diagnostic for that object. Messages name fields and types, never
// values (they may be Secret data, or long hostile strings).

import type { Diagnostic, ObjectRef } from '../../core/diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../../core/diagnostic-codes.ts';
import type { KubeObject } from '../../core/model.ts';

/** The typed-parse failure: caught per object, turned into one ObjectInvalid diagnostic. */
export class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export interface NormalizeContext {
  origin: string;
  ref: ObjectRef;
  /** Non-fatal findings (unknown fields, bad base64 in one Secret key). */
  findings: Diagnostic[];
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function optRecord(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new FieldError(field, `expected an object, got ${typeName(v)}`);
  return v;
}

export function reqRecord(v: unknown, field: string): Record<string, unknown> {
  const r = optRecord(v, field);
  if (r === undefined) throw new FieldError(field, 'is required');
  return r;
}

export function optArray(v: unknown, field: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new FieldError(field, `expected a list, got ${typeName(v)}`);
  return v;
}

export function reqArray(v: unknown, field: string): unknown[] {
  const a = optArray(v, field);
  if (a === undefined) throw new FieldError(field, 'is required');
  return a;
}

export function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(field, `expected a string, got ${typeName(v)}`);
  return v;
}

export function reqString(v: unknown, field: string): string {
  const s = optString(v, field);
  if (s === undefined) throw new FieldError(field, 'is required');
  return s;
}

export function optInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new FieldError(field, `expected an integer, got ${typeName(v)}`);
  return v;
}

export function reqInt(v: unknown, field: string): number {
  const n = optInt(v, field);
  if (n === undefined) throw new FieldError(field, 'is required');
  return n;
}

export function optIntOrString(v: unknown, field: string): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new FieldError(field, `expected an integer or a string, got ${typeName(v)}`);
}

export function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new FieldError(field, `expected true or false, got ${typeName(v)}`);
  return v;
}

/** Unknown fields in an Ingress spec are usually typos (`serviceProt`, `rouls`): say so. */
export function warnUnknown(r: Record<string, unknown>, known: readonly string[], field: string, ctx: NormalizeContext): void {
  for (const [key, value] of Object.entries(r)) {
    if (known.includes(key) || value === undefined) continue;
    const where = `${field}.${clip(key)}`;
    ctx.findings.push(sourceDiagnostic('UnknownField', ctx.ref, where, ctx.origin, `unknown field ${where} ignored (known here: ${known.join(', ')})`));
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/** Bounded, single-line text from tenant input for messages (never Secret values). */
export function clip(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > 64 ? `${flat.slice(0, 61)}...` : flat;
}

export function refFromRaw(raw: Record<string, unknown>): ObjectRef {
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const kind = typeof raw['kind'] === 'string' ? clip(raw['kind']) : '';
  const name = typeof meta['name'] === 'string' ? clip(meta['name']) : '';
  const clusterScoped = kind === 'IngressClass';
  const ns = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? clip(meta['namespace']) : 'default';
  return { kind, namespace: clusterScoped ? '' : ns, name };
}

export function refOf(o: KubeObject): ObjectRef {
  return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
}

/** A diagnostic about input, its severity from the catalogue, its message led by where the object came from. */
export function sourceDiagnostic(code: DiagnosticCode, object: ObjectRef, field: string | undefined, origin: string, message: string): Diagnostic {
  return makeDiagnostic(code, object, field, `${origin}: ${message}`);
}

