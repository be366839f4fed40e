// Default backends (docs/routing.md): an Ingress's spec.defaultBackend serves the requests that
// match no route on the hosts of that Ingress's own rules; the oldest Ingress's defaultBackend is
// also the controller-wide catch-all; the --default-backend flag is the catch-all when no Ingress
// provides one. On a host (or for the catch-all) claimed by several Ingresses, the older wins. A
// defaultBackend that cannot be resolved still claims its place and answers 503 (docs/routing.md).

import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import { resolveIngressBackend, resolveServiceBackend, writtenBackendId, type BackendContext } from './resolve-backend.ts';
import type { Backend, DefaultBackendRef, RouteTable } from './route-table.ts';
import type { BuildOptions } from './snapshot.ts';

/** The policy key of the --default-backend catch-all: never an Ingress key (those contain '/'). */
export const CONTROLLER_DEFAULT_POLICY = '--default-backend';

export type { DefaultBackendRef } from './route-table.ts';

export interface DefaultBackends {
  byHost: Map<string, DefaultBackendRef>;
  catchAll?: NonNullable<RouteTable['defaultBackend']>;
  backends: Map<string, Backend>;
  diagnostics: Diagnostic[];
}

export interface IngressWithHosts {
  ingress: Ingress;
  /** The distinct valid hosts of its rules ('*' for a rule without host). */
  hosts: readonly string[];
  /** The backend of its `default-backend` annotation: answers when spec.defaultBackend cannot. */
  fallback?: Backend;
}

/** `ingresses` oldest first. */
export function resolveDefaultBackends(
  ingresses: readonly IngressWithHosts[],
  flag: BuildOptions['defaultBackend'],
  context: BackendContext,
): DefaultBackends {
  const result: DefaultBackends = { byHost: new Map(), backends: new Map(), diagnostics: [] };
  for (const entry of ingresses) claimForIngress(entry, context, result);
  if (!result.catchAll && flag) claimForFlag(flag, context, result);
  return result;
}

function claimForIngress({ ingress, hosts, fallback }: IngressWithHosts, context: BackendContext, result: DefaultBackends): void {
  const ref = ingress.spec.defaultBackend;
  if (!ref) return;
  const owner = objectRef(ingress);
  const resolved = resolveIngressBackend(ref, ingress.metadata.namespace, owner, 'spec.defaultBackend', context);
  result.diagnostics.push(...resolved.diagnostics);
  const key = objectKey(ingress.metadata);
  // A default backend that cannot be resolved keeps its claims and answers 503 there (or the
  // default-backend annotation's Service answers): its requests never go to someone else's backend.
  const usable = resolved.backend !== undefined && (fallback === undefined || resolved.backend.endpoints.some((e) => e.ready));
  const backend = usable ? resolved.backend : fallback;
  // The annotation's Service in the place of spec.defaultBackend's: told so with X-Code: 503, as ingress-nginx does.
  const standsInFor = backend !== undefined && backend === fallback ? { service: ref.service?.name ?? '', port: ref.service?.port.number ?? ref.service?.port.name ?? '' } : undefined;
  const claim: DefaultBackendRef = backend
    ? { backend: backend.id, policy: key, ingress: key, ...(standsInFor === undefined ? {} : { standsInFor }) }
    : { backend: writtenBackendId(ref, ingress.metadata.namespace), policy: key, ingress: key, refused: resolved.diagnostics.find((d) => d.severity === 'error')?.code ?? 'BackendMissing' };
  let used = false;
  for (const host of hosts) {
    const holder = result.byHost.get(host);
    if (holder) result.diagnostics.push(conflict(owner, `host ${host} already gets its default backend from the older Ingress ${holder.ingress}`));
    else result.byHost.set(host, { ...claim });
    used ||= !holder;
  }
  if (!result.catchAll) {
    result.catchAll = { ...claim }; // a copy: the table shares no object between two places
    used = true;
  } else if (hosts.length === 0) {
    result.diagnostics.push(conflict(owner, `the controller-wide default backend is already provided by the older Ingress ${result.catchAll.ingress ?? ''}; this one is not used`));
  }
  if (used && backend) result.backends.set(backend.id, backend);
}

function claimForFlag(flag: NonNullable<BuildOptions['defaultBackend']>, context: BackendContext, result: DefaultBackends): void {
  const owner: ObjectRef = { kind: 'Service', namespace: flag.namespace, name: flag.service };
  const resolved = resolveServiceBackend(flag.namespace, flag.service, flag.port, owner, 'spec', context);
  // Problems with the flag itself are not about a field of the Service: say it is the flag.
  for (const diagnostic of resolved.diagnostics) {
    if (diagnostic.object !== owner) {
      result.diagnostics.push(diagnostic);
      continue;
    }
    const { field: _field, ...rest } = diagnostic;
    result.diagnostics.push({ ...rest, message: `--default-backend: ${diagnostic.message}` });
  }
  if (!resolved.backend) return;
  result.backends.set(resolved.backend.id, resolved.backend);
  result.catchAll = { backend: resolved.backend.id, policy: CONTROLLER_DEFAULT_POLICY };
}

function conflict(owner: ObjectRef, message: string): Diagnostic {
  return makeDiagnostic('DefaultBackendConflict', owner, 'spec.defaultBackend', message);
}
