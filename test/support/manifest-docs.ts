// The manifest documents most CLI tests serve: a Service `web` whose EndpointSlice points at one test
// backend, and Ingresses routing a host's `/` to it. Written once here, joined as multi-document YAML.
import { stringify } from 'yaml';

export interface BackendAddress {
  address: string;
  port: number;
}

/** Service `web` (port 80, named http) and its EndpointSlice with the backend as its one ready endpoint. */
export function webService(backend: BackendAddress): unknown[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-0', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backend.port }],
      endpoints: [{ addresses: [backend.address], conditions: { ready: true } }],
    },
  ];
}

/** Ingress `name` routing `host` (default `NAME.example.com`) `/` (Prefix) to Service web. */
export function webIngress(name: string, annotations: Record<string, string> = {}, host = `${name}.example.com`): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }] },
  };
}

/** The documents as one multi-document YAML file's text. */
export function manifestYaml(docs: readonly unknown[]): string {
  return docs.map((d) => stringify(d)).join('---\n');
}
