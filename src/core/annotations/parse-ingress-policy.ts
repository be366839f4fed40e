// STUB (owned by the traffic-policy work): parses an Ingress's annotations into a typed RoutePolicy.
import type { Diagnostic } from '../diagnostics.ts';
import type { Ingress } from '../model.ts';
import { DEFAULT_POLICY, type RoutePolicy } from '../policy.ts';

export function parseIngressPolicy(_ingress: Ingress): { policy: RoutePolicy; diagnostics: Diagnostic[] } {
  return { policy: { ...DEFAULT_POLICY }, diagnostics: [] };
}
