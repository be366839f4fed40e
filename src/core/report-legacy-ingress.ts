// An Ingress the source converted from a removed API version still serves, with a warning that
// says how to write it as networking.k8s.io/v1 (the conversion itself happens in the source).

import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';

const HOW_TO_UPGRADE =
  'set apiVersion: networking.k8s.io/v1; write each backend as service: {name, port: {number}} (or port: {name}) ' +
  'instead of serviceName/servicePort; give every path a pathType (Prefix, Exact or ImplementationSpecific); ' +
  'use spec.defaultBackend instead of spec.backend and spec.ingressClassName instead of the kubernetes.io/ingress.class annotation';

export function reportLegacyIngress(ingress: Ingress): Diagnostic | undefined {
  if (ingress.convertedFrom === undefined) return undefined;
  const from = quoteValue(ingress.convertedFrom);
  return makeDiagnostic('LegacyIngressAPIVersion', objectRef(ingress), 'apiVersion', `written as ${from}, which Kubernetes no longer serves; converted to networking.k8s.io/v1. To upgrade: ${HOW_TO_UPGRADE}`);
}
