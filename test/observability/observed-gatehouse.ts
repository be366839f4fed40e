// The built CLI in manifest mode over a temp directory of Services, EndpointSlices, Ingresses and
// Secrets, for the observability tests (metrics, /debug/traffic, tracing): they all need real
// requests through the real proxy and then read the admin port.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpRequest, type HttpResult } from '../support/http-client.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

export interface ServiceSpec {
  namespace?: string;
  /** Endpoints ('127.0.0.2:8080'); a closed port makes a connect error. */
  endpoints: string[];
}

export interface ObservedWorld {
  dir: string;
  gh: StartedGatehouse;
  /** GET on the admin port, body as text. */
  admin(path: string): Promise<HttpResult>;
  /** A request through the HTTP listener with the given Host. */
  request(host: string, path: string, options?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<HttpResult>;
}

/** Services are named by key ('ns/name' or 'name' in default); each exposes port 80 named 'http'. */
export async function startObservedGatehouse(
  t: { after(fn: () => Promise<void> | void): void },
  spec: { services: Record<string, ServiceSpec>; objects: object[]; args?: string[] },
): Promise<ObservedWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-obs-'));
  const docs: object[] = [];
  for (const [key, s] of Object.entries(spec.services)) {
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    const namespace = s.namespace ?? (key.includes('/') ? key.slice(0, key.indexOf('/')) : 'default');
    docs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    const byPort = new Map<number, string[]>();
    for (const e of s.endpoints) {
      const colon = e.lastIndexOf(':');
      const port = Number(e.slice(colon + 1));
      byPort.set(port, [...(byPort.get(port) ?? []), e.slice(0, colon)]);
    }
    let i = 0;
    for (const [port, addresses] of byPort) {
      docs.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-${i++}`, namespace, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port }],
        endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      });
    }
  }
  docs.push(...spec.objects);
  writeFileSync(join(dir, 'objects.yaml'), docs.map((d) => stringify(d)).join('---\n'));
  const gh = await startGatehouseProcess(['--manifests', dir, '--log-level', 'info', ...(spec.args ?? [])]);
  t.after(async () => {
    if (gh.child.exitCode === null && gh.child.signalCode === null) await gh.stop('SIGKILL').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const admin = (path: string): Promise<HttpResult> => httpRequest(gh.ports.admin, { path });
  await waitFor('/readyz 200', async () => (await admin('/readyz').catch(() => undefined))?.status === 200, 20_000);
  return {
    dir,
    gh,
    admin,
    request: (host, path, options = {}) =>
      httpRequest(gh.ports.http, { host, path, ...(options.method ? { method: options.method } : {}), ...(options.headers ? { headers: options.headers } : {}), ...(options.body !== undefined ? { body: options.body } : {}) }),
  };
}

/** An Ingress with one rule per host, each path a Prefix to the given Service's 'http' port. */
export function ingress(namespace: string, name: string, rules: Record<string, Record<string, string>>, extra: { tls?: { hosts: string[]; secretName: string }[]; annotations?: Record<string, string> } = {}): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.tls ? { tls: extra.tls } : {}),
      rules: Object.entries(rules).map(([host, paths]) => ({
        host,
        http: { paths: Object.entries(paths).map(([path, service]) => ({ path, pathType: 'Prefix', backend: { service: { name: service, port: { name: 'http' } } } })) },
      })),
    },
  };
}
