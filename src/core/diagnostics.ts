// Diagnostics are data: a stable code, the object and field they concern, and a message.
// Every code is documented in docs/diagnostics.md (a test enforces it).

export type Severity = 'error' | 'warning' | 'info';

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface Diagnostic {
  code: string; // PascalCase reason, e.g. 'BackendServiceNotFound'
  severity: Severity;
  object: ObjectRef;
  field?: string; // e.g. 'spec.rules[0].http.paths[1].path'
  message: string; // never contains Secret data
}

export function diagnosticOrder(a: Diagnostic, b: Diagnostic): number {
  return (
    compare(a.object.kind, b.object.kind) ||
    compare(a.object.namespace, b.object.namespace) ||
    compare(a.object.name, b.object.name) ||
    compare(a.field ?? '', b.field ?? '') ||
    compare(a.code, b.code) ||
    compare(a.message, b.message)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
