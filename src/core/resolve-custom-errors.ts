// custom-http-errors' error backend, per Ingress, as ingress-nginx chooses it (its controller's
// DefaultBackendUpstreamName): the Service of the Ingress's `default-backend` annotation when that
// Service has a ready endpoint, else the controller-wide default backend (--default-backend here).
// ingress-nginx always has one (its built-in backend answers 404 to everything); Gatehouse may
// have none, and then the annotation has no effect: the route's answers are relayed as they are,
// and a warning says so (so `gatehouse check` reports it). gRPC backends are left alone: their
// errors travel as grpc-status trailers of 200 answers, which no error page can stand in for.
// The chosen backend joins the table's backends, so the data plane has its endpoints and pools.

import type { CustomHttpErrorsSetting } from './annotations/parse-ingress-policy.ts';
import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import type { RoutePolicy } from './policy.ts';
import { quoteValue } from './quote-value.ts';
import { resolveServiceBackend, type BackendContext } from './resolve-backend.ts';
import type { Backend } from './route-table.ts';
import type { BuildOptions } from './snapshot.ts';

export interface CustomErrorsIngress {
  ingress: Ingress;
  /** The backend of its `default-backend` annotation, when that resolved. */
  fallback?: Backend;
}

export function resolveCustomErrors(
  ingresses: readonly CustomErrorsIngress[],
  settings: ReadonlyMap<string, CustomHttpErrorsSetting>,
  policies: Map<string, RoutePolicy>,
  flag: BuildOptions['defaultBackend'],
  context: BackendContext,
): { backends: Map<string, Backend>; diagnostics: Diagnostic[] } {
  const backends = new Map<string, Backend>();
  const diagnostics: Diagnostic[] = [];
  // --default-backend, resolved once and only when an Ingress needs it.
  let flagBackend: Backend | undefined | null = null;
  const controllerDefault = (): Backend | undefined => {
    if (flagBackend === null) {
      flagBackend = flag === undefined ? undefined : resolveServiceBackend(flag.namespace, flag.service, flag.port, { kind: 'Service', namespace: flag.namespace, name: flag.service }, 'spec', context).backend;
    }
    return flagBackend;
  };
  for (const { ingress, fallback } of ingresses) {
    const key = objectKey(ingress.metadata);
    const setting = settings.get(key);
    const policy = policies.get(key);
    if (setting === undefined || policy === undefined) continue;
    const noEffect = (why: string): void => {
      diagnostics.push(makeDiagnostic('AnnotationNoEffect', objectRef(ingress), `metadata.annotations[${quoteValue(setting.key)}]`, `${quoteValue(setting.key)} has no effect: ${why}`));
    };
    if (policy.backendProtocol === 'GRPC' || policy.backendProtocol === 'GRPCS') {
      noEffect(`the backend protocol is ${policy.backendProtocol}, whose errors travel as grpc-status trailers of 200 answers; they are relayed as they are`);
      continue;
    }
    const usable = fallback !== undefined && fallback.endpoints.some((e) => e.ready);
    const backend = usable ? fallback : (controllerDefault() ?? fallback);
    if (backend === undefined) {
      const flagText = flag === undefined ? 'no --default-backend' : `the --default-backend Service ${flag.namespace}/${flag.service} cannot be resolved`;
      noEffect(`there is no error backend (no usable default-backend annotation on this Ingress, ${flagText}); the route's answers are relayed as they are, where ingress-nginx would answer from its built-in default backend`);
      continue;
    }
    backends.set(backend.id, backend);
    policy.customErrors = { codes: setting.codes, backend: backend.id, ...(setting.ownAnswersOnly ? { ownAnswersOnly: true as const } : {}) };
  }
  return { backends, diagnostics };
}
