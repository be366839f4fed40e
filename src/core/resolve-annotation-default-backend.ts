// ingress-nginx's `default-backend` annotation: a Service of the Ingress's namespace (its first
// port, as ingress-nginx takes it) that answers for the Ingress's routes whose own backend cannot
// be resolved or has no ready endpoint, instead of the 503 they would answer otherwise.

import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';
import { resolveServiceBackend, type BackendContext } from './resolve-backend.ts';
import type { Backend } from './route-table.ts';

export const DEFAULT_BACKEND_ANNOTATION = 'nginx.ingress.kubernetes.io/default-backend';

/** RFC 1035 label, as Kubernetes requires of Service names. */
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function resolveAnnotationDefaultBackend(ingress: Ingress, context: BackendContext): { backend?: Backend; diagnostics: Diagnostic[] } {
  const annotations = ingress.metadata.annotations;
  if (!Object.hasOwn(annotations, DEFAULT_BACKEND_ANNOTATION)) return { diagnostics: [] };
  const name = annotations[DEFAULT_BACKEND_ANNOTATION]!;
  const field = `metadata.annotations[${quoteValue(DEFAULT_BACKEND_ANNOTATION)}]`;
  const owner = objectRef(ingress);
  if (!SERVICE_NAME.test(name)) {
    // Quoted only when short printable ASCII: a message never carries bidi or control characters.
    const shown = name.length <= 63 && /^[\x21-\x7e]*$/.test(name) ? quoteValue(name) : 'the value';
    return { diagnostics: [makeDiagnostic('AnnotationInvalid', owner, field, `${shown} is not a valid value for ${quoteValue(DEFAULT_BACKEND_ANNOTATION)}: expected the name of a Service in namespace ${quoteValue(ingress.metadata.namespace)}; the routes without a usable backend answer 503`)] };
  }
  const service = context.services.get(`${ingress.metadata.namespace}/${name}`);
  const first = service?.spec.ports[0];
  // The port by number: the first port as ingress-nginx takes it. A missing Service is reported by the resolver.
  const resolved = resolveServiceBackend(ingress.metadata.namespace, name, first?.port ?? 0, owner, field, context);
  const diagnostics = resolved.diagnostics.map((d) => (d.field?.startsWith(field) === true ? { ...d, field } : d));
  return resolved.backend ? { backend: resolved.backend, diagnostics } : { diagnostics };
}
