// custom-http-errors compiled for the request path (ingress-nginx's `proxy_intercept_errors on` +
// `error_page CODE = @custom_<backend>_CODE`): which statuses a route's answer is replaced for, the
// error backend and its endpoint picker, and the route facts ingress-nginx's `@custom_` location
// sends along ($namespace, $ingress_name, $service_name, $service_port). Built once per table;
// undefined for a route without custom-http-errors, so such routes pay one field check.
// What happens per request: proxy/custom-error-request.ts (the decision and the request) and
// proxy/custom-error-page.ts (the second dispatch).

import type { CustomErrorsPolicy } from '../../core/policy.ts';
import type { Backend } from '../../core/route-table.ts';
import type { EndpointPicker } from '../proxy/endpoint-picker.ts';

export interface CompiledCustomErrors {
  /** 1 at the index of each listed status (400 to 599), 0 elsewhere: one array read per answer. */
  readonly codes: Uint8Array;
  /** disable-proxy-intercept-errors: only Gatehouse's own answers are replaced, never the backend's. */
  readonly ownAnswersOnly: boolean;
  /** The error backend (the default-backend annotation's Service, else --default-backend's). */
  readonly backend: Backend;
  readonly picker: EndpointPicker;
  /** X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port of the route, as name/value pairs. */
  readonly routeHeaders: readonly string[];
}

/** The part every route of a policy shares. */
export interface SharedCustomErrors {
  readonly codes: Uint8Array;
  readonly ownAnswersOnly: boolean;
  readonly backend: Backend;
  readonly picker: EndpointPicker;
}

export function compileSharedCustomErrors(policy: CustomErrorsPolicy, backend: Backend, picker: EndpointPicker): SharedCustomErrors {
  const codes = new Uint8Array(600);
  for (const code of policy.codes) if (code >= 400 && code <= 599) codes[code] = 1;
  return { codes, ownAnswersOnly: policy.ownAnswersOnly === true, backend, picker };
}

/**
 * One route's view: `ingress` is its Ingress key ('ns/name', the policy key), `routeBackend` the
 * Service the route sends to (for a canary request, the canary's: the one that answered).
 */
export function compileCustomErrors(shared: SharedCustomErrors, ingress: string, routeBackend: Backend): CompiledCustomErrors {
  return { ...shared, routeHeaders: routeFactHeaders(ingress, routeBackend.service, routeBackend.servicePort) };
}

/**
 * X-Namespace, X-Ingress-Name, X-Service-Name and X-Service-Port as name/value pairs. The values
 * are Kubernetes names, which the API server validates but a manifest file may not: anything but
 * a name's characters (letters, digits, '-', '.', '_') is sent as an empty value, never as written.
 */
export function routeFactHeaders(ingress: string, service: string, port: number | string): string[] {
  const slash = ingress.indexOf('/');
  return ['x-namespace', nameValue(ingress.slice(0, slash)), 'x-ingress-name', nameValue(ingress.slice(slash + 1)), 'x-service-name', nameValue(service), 'x-service-port', nameValue(String(port))];
}

function nameValue(text: string): string {
  return text.length <= 253 && /^[A-Za-z0-9._-]*$/.test(text) ? text : '';
}
