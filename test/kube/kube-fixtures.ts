// Shared pieces of the Kubernetes-mode tests: bounded polling, the deploy/ RBAC applied to a test
// API server, and small manifest builders (the tests create EndpointSlices themselves, as the
// endpoints controller would; no controller-manager runs).

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeHarness } from '../support/kube-harness.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** The Namespace, ServiceAccount, RBAC and IngressClass from deploy/, as an operator applies them. */
export async function applyDeployRbac(h: KubeHarness): Promise<void> {
  for (const f of ['00-namespace.yaml', '10-rbac.yaml', '20-ingressclass.yaml']) {
    await h.apply(readFileSync(join(REPO, 'deploy', f), 'utf8'));
  }
}

export interface ServicePortSpec {
  name: string;
  port: number;
}

export function serviceYaml(namespace: string, name: string, ports: ServicePortSpec[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })), ...extra },
  });
}

/** An EndpointSlice for Service namespace/service with these endpoints (address + port). */
export function endpointSliceYaml(
  namespace: string,
  service: string,
  portName: string,
  endpoints: { address: string; port: number; ready?: boolean }[],
  sliceName = `${service}-slice`,
): string {
  // All endpoints of one slice share the port list, so one slice per distinct port.
  const ports = [...new Set(endpoints.map((e) => e.port))];
  if (ports.length > 1) throw new Error('endpointSliceYaml: one port per slice');
  return JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: sliceName, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.address], conditions: { ready: e.ready ?? true } })),
    ports: ports.length === 0 ? [] : [{ name: portName, port: ports[0], protocol: 'TCP' }],
  });
}

export function tlsSecretYaml(namespace: string, name: string, certPem: string, keyPem: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace, name },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  });
}

export interface IngressStatusEntry {
  ip?: string;
  hostname?: string;
}

export async function ingressAddresses(h: KubeHarness, namespace: string, name: string): Promise<IngressStatusEntry[]> {
  const ing = await h.kubectlJson<{ status?: { loadBalancer?: { ingress?: IngressStatusEntry[] } } }>(['get', 'ingress', name, '-n', namespace]);
  return ing.status?.loadBalancer?.ingress ?? [];
}

/** Sets status.loadBalancer.ingress of an Ingress as another controller (or a person) would. */
export async function setIngressAddresses(h: KubeHarness, namespace: string, name: string, entries: IngressStatusEntry[]): Promise<void> {
  await h.kubectl(['patch', 'ingress', name, '-n', namespace, '--subresource=status', '--type=merge',
    '-p', JSON.stringify({ status: { loadBalancer: { ingress: entries } } })]);
}
