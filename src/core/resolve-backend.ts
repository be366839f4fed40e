// An Ingress backend, resolved as Kubernetes resolves it: the Service in the Ingress namespace,
// its port by number or by name, then that port's endpoints from the Service's EndpointSlices.
// A Service with no endpoints is still a valid backend (the data plane answers 503).

import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { collectEndpoints } from './collect-endpoints.ts';
import type { EndpointSlice, IngressBackend, Service, ServicePort } from './model.ts';
import { quoteValue } from './quote-value.ts';
import type { Backend } from './route-table.ts';

export interface BackendContext {
  services: ReadonlyMap<string, Service>;
  /** From indexEndpointSlices(). */
  slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>;
  /**
   * Backends already resolved in this build, by id: many routes share a Service, and collecting
   * its endpoints once keeps a build linear in the size of the snapshot.
   */
  resolved?: Map<string, Backend>;
}

export interface BackendResolution {
  backend?: Backend;
  diagnostics: Diagnostic[];
}

/** `owner` and `field` say where the reference was written, e.g. the Ingress and 'spec.defaultBackend'. */
export function resolveIngressBackend(ref: IngressBackend, namespace: string, owner: ObjectRef, field: string, context: BackendContext): BackendResolution {
  if (ref.resource) {
    const what = `${ref.resource.kind} ${quoteValue(ref.resource.name)}`;
    return failed('ResourceBackendUnsupported', owner, `${field}.resource`, `resource backends are not supported (${what}); use a Service backend`);
  }
  if (!ref.service) return failed('BackendMissing', owner, field, 'the backend names no service');
  const port = ref.service.port.number ?? ref.service.port.name;
  if (port === undefined) return failed('BackendServicePortNotFound', owner, `${field}.service.port`, 'the backend names no service port');
  return resolveServiceBackend(namespace, ref.service.name, port, owner, `${field}.service`, context);
}

export function resolveServiceBackend(namespace: string, serviceName: string, port: number | string, owner: ObjectRef, field: string, context: BackendContext): BackendResolution {
  const service = context.services.get(`${namespace}/${serviceName}`);
  const serviceText = quoteValue(`${namespace}/${serviceName}`);
  if (service === undefined) return failed('BackendServiceNotFound', owner, `${field}.name`, `Service ${serviceText} does not exist`);
  if (service.spec.type === 'ExternalName') {
    return failed('ExternalNameServiceUnsupported', owner, `${field}.name`, `Service ${serviceText} is of type ExternalName, which Gatehouse does not proxy to`);
  }
  const servicePort = findServicePort(service.spec.ports, port);
  if (servicePort === undefined) {
    const portField = typeof port === 'number' ? 'port.number' : 'port.name';
    return failed('BackendServicePortNotFound', owner, `${field}.${portField}`, `Service ${serviceText} has no port ${quoteValue(String(port))}`);
  }
  const id = backendId(namespace, serviceName, port);
  const known = context.resolved?.get(id);
  // Endpoint diagnostics were returned with the first resolution; they concern the slices, not the caller.
  if (known) return { backend: known, diagnostics: [] };
  const slices = context.slicesByService.get(`${namespace}/${serviceName}`) ?? [];
  const { endpoints, diagnostics } = collectEndpoints(slices, servicePort.name ?? '');
  const backend: Backend = {
    id,
    namespace,
    service: serviceName,
    servicePort: port,
    endpoints,
    sessionAffinity: service.spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
  };
  context.resolved?.set(id, backend);
  return { backend, diagnostics };
}

export function backendId(namespace: string, service: string, port: number | string): string {
  return `${namespace}/${service}:${port}`;
}

/** The backend id as the Ingress wrote it ('ns/svc:port'), '' when it names no Service port: for refused routes. */
export function writtenBackendId(ref: IngressBackend, namespace: string): string {
  const port = ref.service?.port.number ?? ref.service?.port.name;
  return ref.service === undefined || port === undefined ? '' : backendId(namespace, ref.service.name, port);
}

function findServicePort(ports: readonly ServicePort[], port: number | string): ServicePort | undefined {
  return typeof port === 'number' ? ports.find((p) => p.port === port) : ports.find((p) => p.name === port);
}

function failed(code: Parameters<typeof makeDiagnostic>[0], owner: ObjectRef, field: string, message: string): BackendResolution {
  return { diagnostics: [makeDiagnostic(code, owner, field, message)] };
}
