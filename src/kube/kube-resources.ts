// The five collections Gatehouse watches, and where they live in the API.

import type { ObjectKind } from '../core/model.ts';

export interface KubeResource {
  kind: ObjectKind;
  apiVersion: string; // 'networking.k8s.io/v1', 'v1'
  plural: string;
  namespaced: boolean;
  /** Server-side filter: only TLS Secrets are watched whole; the others are read only when an
   * Ingress names them (sources/kube/referenced-secrets.ts). */
  fieldSelector?: string;
}

export const KUBE_RESOURCES: readonly KubeResource[] = [
  { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true, fieldSelector: 'type=kubernetes.io/tls' },
];

/** '/apis/networking.k8s.io/v1[/namespaces/NS]/ingresses' */
export function collectionPath(resource: Pick<KubeResource, 'apiVersion' | 'plural'>, namespace?: string): string {
  const base = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${ns}/${resource.plural}`;
}

/** '/apis/networking.k8s.io/v1/namespaces/NS/ingresses/NAME' */
export function objectPath(resource: Pick<KubeResource, 'apiVersion' | 'plural'>, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}
