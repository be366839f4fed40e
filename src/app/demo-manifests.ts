// What the demo adds beside the example manifests: EndpointSlices pointing at its echo pods (as
// the endpoints controller would write them) and a self-signed tls-secret for kubia.example.com.
// Written with the yaml library, never by pasting strings into YAML.

import { stringify } from 'yaml';
import type { DemoPod } from './demo-backends.ts';

/** Which Services select which app, as the selectors in examples/services.yaml say. */
export const DEMO_SERVICES: Record<string, string> = { 'kubia-nodeport': 'kubia', kubia: 'kubia', foo: 'foo', bar: 'bar' };

export function endpointSlicesYaml(pods: readonly DemoPod[]): string {
  const docs: unknown[] = [];
  for (const [service, app] of Object.entries(DEMO_SERVICES)) {
    // One slice per pod: each echo pod listens on its own port, and a slice has one port list.
    for (const pod of pods.filter((p) => p.app === app)) {
      docs.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${service}-${pod.name}`, labels: { 'kubernetes.io/service-name': service } },
        addressType: 'IPv4',
        ports: [{ port: pod.port, protocol: 'TCP' }],
        endpoints: [{ addresses: [pod.address], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: pod.name } }],
      });
    }
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

export function tlsSecretYaml(certPem: string, keyPem: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: 'tls-secret' },
    data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  });
}
