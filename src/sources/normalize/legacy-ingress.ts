// Legacy extensions/v1beta1 and networking.k8s.io/v1beta1 Ingresses, converted to networking.k8s.io/v1
// as the API server converts them: `backend` becomes `defaultBackend`, `serviceName`/`servicePort`
// become `service.name`/`service.port`, a missing pathType is ImplementationSpecific. The Ingress
// keeps `convertedFrom`, so the builder can say how to upgrade.

import type { IngressBackend, ServiceBackendPort } from '../../core/model.ts';
import { FieldError, optString, typeName } from './field-readers.ts';

export const LEGACY_INGRESS_VERSIONS: ReadonlySet<string> = new Set(['networking.k8s.io/v1beta1', 'extensions/v1beta1']);

/** The fields of a v1beta1 backend (v1 has `service` and `resource`). */
export const V1BETA1_BACKEND_FIELDS: readonly string[] = ['serviceName', 'servicePort', 'resource'];

/** A v1beta1 backend's service part (`resource` is read by the caller, as in v1). */
export function parseLegacyBackend(b: Record<string, unknown>, field: string, backend: IngressBackend): IngressBackend {
  const serviceName = optString(b['serviceName'], `${field}.serviceName`);
  if (serviceName !== undefined) {
    // A missing servicePort becomes an empty port: the builder reports it on that path alone.
    backend.service = { name: serviceName, port: legacyPort(b['servicePort'], `${field}.servicePort`) };
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
