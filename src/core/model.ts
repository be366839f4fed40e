// The Kubernetes objects Gatehouse reads, as plain typed data.
// Sources normalise raw API/YAML objects into these shapes (see sources/normalize-object.ts);
// the core never sees untyped input. Only the fields Gatehouse uses are modelled.

export type ObjectKind = 'Ingress' | 'IngressClass' | 'Service' | 'EndpointSlice' | 'Secret';

export interface ObjectMeta {
  namespace: string; // '' for cluster-scoped kinds (IngressClass)
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string; // RFC 3339
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ServiceBackendPort {
  number?: number;
  name?: string;
}

export interface IngressBackend {
  service?: { name: string; port: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface HTTPIngressPath {
  path?: string;
  pathType?: string; // validated by the builder: an unknown value is a diagnostic, not a type error
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface Ingress {
  kind: 'Ingress';
  metadata: ObjectMeta;
  spec: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    tls?: IngressTLS[];
  };
  status?: { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };
  /** Set when the source converted a legacy v1beta1 object; the builder reports it. */
  convertedFrom?: string;
}

export interface IngressClass {
  kind: 'IngressClass';
  metadata: ObjectMeta;
  spec: { controller?: string };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service {
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    ports: ServicePort[];
    sessionAffinity?: string; // 'None' | 'ClientIP'
    externalIPs?: string[];
  };
  status?: { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: EndpointConditions;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string };
}

export interface EndpointPort {
  name?: string; // '' or absent for the unnamed port
  port?: number;
  protocol?: string;
}

export interface EndpointSlice {
  kind: 'EndpointSlice';
  metadata: ObjectMeta; // labels['kubernetes.io/service-name'] ties it to its Service
  addressType: string; // 'IPv4' | 'IPv6' | 'FQDN'
  endpoints: SliceEndpoint[];
  ports: EndpointPort[];
}

export interface Secret {
  kind: 'Secret';
  metadata: ObjectMeta;
  type: string;
  /** Decoded values (the source base64-decodes `data` and merges `stringData`). */
  data: Record<string, string>;
}

export type KubeObject = Ingress | IngressClass | Service | EndpointSlice | Secret;

/** `ns/name` for namespaced objects, `name` for cluster-scoped ones. Unambiguous: names cannot contain '/'. */
export function objectKey(meta: Pick<ObjectMeta, 'namespace' | 'name'>): string {
  return meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
