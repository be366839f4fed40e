// The scenarios of helm-install.test.ts (run inside a private network namespace, as the other
// end-to-end Kubernetes tests are). Everything is real: kube-apiserver + etcd, kubectl, the real
// helm, prometheus-operator's real ServiceMonitor CRD, and the built `gatehouse serve` running
// outside the cluster (no kubelet runs pods here) with the installed Deployment's own flags,
// under the chart's ServiceAccount token and RBAC.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { startGatehouse, type GatehouseProcess } from '../kube/gatehouse-process.ts';
import { endpointSliceYaml, eventually, ingressAddresses, serviceYaml } from '../kube/kube-fixtures.ts';
import { ENDPOINT_PREFIX } from '../kube/private-netns.ts';
import { CHART, createHelm, type Helm } from './helm-tool.ts';

const NS = 'gatehouse';
const RELEASE = 'gatehouse';
const LB_ADDRESS = '198.51.100.20'; // what a cloud would write into the Service's status
const ECHO_PORT = 8080;
const POD = 'gatehouse-helm-0';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Parsed objects navigated inside assertions: `any` keeps them readable; a wrong path fails the assertion.
  spec?: any;
}

function ingressYaml(name: string, host: string, className: string | undefined): string {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'default', name },
    spec: {
      ...(className === undefined ? {} : { ingressClassName: className }),
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  });
}

describe('helm install of charts/gatehouse into a real API server, then Gatehouse under its ServiceAccount', { concurrency: false }, () => {
  let h: KubeHarness;
  let helm: Helm;
  let echo: EchoBackend;
  let g: GatehouseProcess | undefined;
  let installed: Obj[] = [];

  const manifest = async (): Promise<Obj[]> => {
    const r = await helm.run(['get', 'manifest', RELEASE, `--namespace=${NS}`], { kubeconfig: h.adminKubeconfig });
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
  };
  const backendOf = async (host: string): Promise<string | undefined> => {
    const r = await httpRequest(g!.ports.http, { host, path: '/', timeoutMs: 5_000 });
    return r.status === 200 ? json<EchoReply>(r).name : `status ${r.status}`;
  };

  before(async () => {
    h = await startKubeHarness();
    helm = createHelm();
    echo = await startEchoBackend({ name: 'web', address: `${ENDPOINT_PREFIX}40`, port: ECHO_PORT });
  });

  after(async () => {
    await g?.stop('SIGTERM');
    await echo?.close();
    helm?.dispose();
    await h?.stop();
  });

  it('without the ServiceMonitor CRD, the chart renders no ServiceMonitor against this cluster', async () => {
    const r = await helm.run(['install', RELEASE, CHART, `--namespace=${NS}`, '--dry-run=server'], { kubeconfig: h.adminKubeconfig });
    // The output is the release summary, then MANIFEST:, the rendered objects, then NOTES:.
    const start = r.stdout.indexOf('\nMANIFEST:\n');
    const end = r.stdout.indexOf('\nNOTES:\n');
    assert.ok(start >= 0 && end > start, r.stdout.slice(0, 500));
    const kinds = parseAllDocuments(r.stdout.slice(start + '\nMANIFEST:\n'.length, end)).map((d) => (d.toJS() as Obj | null)?.kind);
    assert.ok(kinds.includes('Deployment'), r.stdout.slice(0, 500));
    assert.ok(!kinds.includes('ServiceMonitor'), 'no ServiceMonitor without its CRD');
  });

  it('installs (prometheus-operator\'s ServiceMonitor CRD first): every object is created and accepted, the ServiceMonitor too', async () => {
    await h.kubectl(['create', '-f', helm.tools.serviceMonitorCrd]);
    await h.kubectl(['wait', '--for=condition=Established', 'crd/servicemonitors.monitoring.coreos.com', '--timeout=60s']);
    const r = await helm.run(['install', RELEASE, CHART, `--namespace=${NS}`, '--create-namespace'], { kubeconfig: h.adminKubeconfig, timeoutMs: 180_000 });
    // NOTES.txt: the namespace label for the restricted Pod Security level, since Helm creates the namespace bare.
    assert.match(r.stdout, /kubectl label namespace gatehouse pod-security\.kubernetes\.io\/enforce=restricted/);
    const status = JSON.parse((await helm.run(['status', RELEASE, `--namespace=${NS}`, '-o', 'json'], { kubeconfig: h.adminKubeconfig })).stdout) as { info: { status: string } };
    assert.equal(status.info.status, 'deployed');

    installed = await manifest();
    assert.deepEqual(installed.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/gatehouse', 'ClusterRoleBinding/gatehouse', 'Deployment/gatehouse', 'IngressClass/gatehouse',
      'NetworkPolicy/gatehouse', 'PodDisruptionBudget/gatehouse', 'Role/gatehouse-leader-election',
      'RoleBinding/gatehouse-leader-election', 'Service/gatehouse', 'Service/gatehouse-metrics', 'ServiceAccount/gatehouse',
      'ServiceMonitor/gatehouse',
    ]);
    // Each one is stored by the API server (kubectl reads them back from the manifest's references).
    const live = await h.kubectlJson<{ items: Obj[] }>(['get', '-f', '-'], { input: (await helm.run(['get', 'manifest', RELEASE, `--namespace=${NS}`], { kubeconfig: h.adminKubeconfig })).stdout });
    assert.equal(live.items.length, installed.length);
    for (const o of live.items) assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], RELEASE, `${o.kind}/${o.metadata.name}`);
    const sm = await h.kubectlJson<Obj>(['get', 'servicemonitor', 'gatehouse', '-n', NS]);
    assert.equal(sm.spec.endpoints[0].port, 'metrics');
    const svc = await h.kubectlJson<Obj>(['get', 'service', 'gatehouse', '-n', NS]);
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.equal(svc.spec.externalTrafficPolicy, 'Local');
  });

  it('the NetworkPolicy is stored exactly as rendered (this API server enforces none, so the rendering is what is checked)', async () => {
    const rendered = installed.find((o) => o.kind === 'NetworkPolicy')!;
    const stored = await h.kubectlJson<Obj>(['get', 'networkpolicy', 'gatehouse', '-n', NS]);
    assert.deepEqual(stored.spec, rendered.spec);
    const admin = stored.spec.ingress.find((r: { ports: { port: string }[] }) => r.ports.some((p) => p.port === 'admin'));
    assert.deepEqual(admin.from, [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, namespaceSelector: {} }]);
  });

  it('the pod the Deployment would run passes the API server\'s PodSecurity admission at the restricted level; a weakened one does not', async () => {
    await h.kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted', '--overwrite']);
    const deployment = await h.kubectlJson<Obj>(['get', 'deployment', 'gatehouse', '-n', NS]);
    const pod = (spec: unknown): string => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'psa-check', namespace: NS, labels: deployment.spec.template.metadata.labels }, spec,
    });
    const ok = await h.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod(deployment.spec.template.spec), allowFailure: true });
    assert.equal(ok.code, 0, ok.stderr);
    // The check can fail: the same pod allowed to escalate privileges is refused.
    const weakened = structuredClone(deployment.spec.template.spec);
    weakened.containers[0].securityContext.allowPrivilegeEscalation = true;
    const refused = await h.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod(weakened), allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /violates PodSecurity "restricted/);
  });

  it('Gatehouse, with the Deployment\'s own flags and the chart\'s ServiceAccount token, serves an Ingress and publishes its status', async () => {
    // No cloud controller runs here: write the load balancer's address as one would.
    await h.kubectl(['patch', 'service', 'gatehouse', '-n', NS, '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: LB_ADDRESS }] } } })]);
    await h.apply(serviceYaml('default', 'web', [{ name: 'http', port: 80 }]));
    await h.apply(endpointSliceYaml('default', 'web', 'http', [{ address: echo.address, port: ECHO_PORT }]));
    await h.apply(ingressYaml('web', 'web.example.com', 'gatehouse'));

    const deployment = await h.kubectlJson<Obj>(['get', 'deployment', 'gatehouse', '-n', NS]);
    const container = deployment.spec.template.spec.containers[0] as { args: string[] };
    assert.equal(container.args[0], 'serve');
    // Listening ports are the harness's (free ports on 127.0.0.1); every other flag is the chart's.
    const args = container.args.slice(1).filter((a) => !/^--(http|https|admin)-port=/.test(a));
    assert.ok(args.includes('--publish-service=gatehouse/gatehouse'), args.join(' '));
    const kubeconfig = await h.serviceAccountKubeconfig(NS, deployment.spec.template.spec.serviceAccountName as string);
    g = await startGatehouse(POD, [...args, `--kubeconfig=${kubeconfig}`], { POD_NAME: POD, POD_NAMESPACE: NS });
    await eventually('/readyz 200', async () => (await httpRequest(g!.ports.admin, { path: '/readyz' })).status === 200, { timeoutMs: 60_000 });

    await eventually('web.example.com served by its endpoint', async () => (await backendOf('web.example.com')) === 'web');
    await eventually('address published on the Ingress', async () => (await ingressAddresses(h, 'default', 'web')).some((e) => e.ip === LB_ADDRESS), { timeoutMs: 60_000 });
    const holder = await h.kubectl(['get', 'lease', 'gatehouse-leader', '-n', NS, '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.equal(holder.stdout.trim(), POD, 'the Lease the chart\'s Role allows, in the release namespace');
    const metrics = await httpRequest(g.ports.admin, { path: '/metrics' });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body.toString(), /^gatehouse_ready 1$/m);
  });

  it('an Ingress with basic auth: its Opaque auth-secret is read under the chart\'s RBAC (401 without, 200 with the password)', async () => {
    const sha = `{SHA}${createHash('sha1').update('chart-pass').digest('base64')}`;
    await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default', name: 'web-auth' }, type: 'Opaque', stringData: { auth: `ops:${sha}\n` } }));
    const guarded = JSON.parse(ingressYaml('guarded', 'guarded.example.com', 'gatehouse')) as Obj;
    guarded.metadata.annotations = { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'web-auth' };
    await h.apply(JSON.stringify(guarded));
    const get = async (authorization?: string): Promise<number> =>
      (await httpRequest(g!.ports.http, { host: 'guarded.example.com', path: '/', timeoutMs: 5_000, ...(authorization ? { headers: { authorization } } : {}) })).status;
    await eventually('the password accepted', async () => (await get(`Basic ${Buffer.from('ops:chart-pass').toString('base64')}`)) === 200);
    assert.equal(await get(), 401);
  });

  it('helm upgrade --set ingressClass.default=true: the class becomes default and an Ingress that names no class is served', async () => {
    await h.apply(ingressYaml('plain', 'plain.example.com', undefined));
    assert.equal(await backendOf('plain.example.com'), 'status 404', 'not ours while no class is default');
    await helm.run(['upgrade', RELEASE, CHART, `--namespace=${NS}`, '--reuse-values', '--set', 'ingressClass.default=true'], { kubeconfig: h.adminKubeconfig, timeoutMs: 180_000 });
    const status = JSON.parse((await helm.run(['status', RELEASE, `--namespace=${NS}`, '-o', 'json'], { kubeconfig: h.adminKubeconfig })).stdout) as { version: number; info: { status: string } };
    assert.deepEqual([status.version, status.info.status], [2, 'deployed']);
    const ic = await h.kubectlJson<Obj>(['get', 'ingressclass', 'gatehouse']);
    assert.equal(ic.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true');
    await eventually('plain.example.com served', async () => (await backendOf('plain.example.com')) === 'web');
    await eventually('address published on the unclassed Ingress', async () => (await ingressAddresses(h, 'default', 'plain')).some((e) => e.ip === LB_ADDRESS), { timeoutMs: 60_000 });
  });

  it('needed nothing beyond the chart\'s RBAC: no request was forbidden, and the ServiceAccount can do no more', async () => {
    const forbidden = g!.logs.filter((l) => l.status === 403 || /forbidden/i.test(JSON.stringify(l)));
    assert.deepEqual(forbidden, []);
    const can = async (...args: string[]): Promise<string> =>
      (await h.kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${NS}:gatehouse`], { allowFailure: true })).stdout.trim();
    assert.equal(await can('update', 'ingresses', '--subresource=status'), 'yes');
    assert.equal(await can('list', 'secrets', '--all-namespaces'), 'yes');
    assert.equal(await can('get', 'secrets', '-n', 'default'), 'yes');
    assert.equal(await can('update', 'ingresses'), 'no');
    assert.equal(await can('update', 'leases', '-n', NS), 'yes');
    assert.equal(await can('create', 'leases', '-n', 'default'), 'no');
    assert.equal(await can('delete', 'events'), 'no');
    assert.equal(await can('create', 'pods', '-n', NS), 'no');
    assert.equal(await can('get', 'configmaps', '-n', NS), 'no');
  });

  it('helm uninstall removes what it installed, cluster-scoped objects included', async () => {
    await g?.stop('SIGTERM');
    g = undefined;
    await helm.run(['uninstall', RELEASE, `--namespace=${NS}`], { kubeconfig: h.adminKubeconfig, timeoutMs: 180_000 });
    const gone: [kind: string, name: string, ns?: string][] = [
      ['clusterrole', 'gatehouse'], ['ingressclass', 'gatehouse'], ['deployment', 'gatehouse', NS], ['networkpolicy', 'gatehouse', NS], ['servicemonitor', 'gatehouse', NS],
    ];
    for (const [kind, name, ns] of gone) {
      const r = await h.kubectl(['get', kind, name, ...(ns ? ['-n', ns] : [])], { allowFailure: true });
      assert.notEqual(r.code, 0, `${kind}/${name} still there`);
      assert.match(r.stderr, /NotFound/);
    }
  });
});
