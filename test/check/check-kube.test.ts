// `gatehouse check` against a real API server, as a user with a read-only view of the cluster: the
// ServiceAccount it runs as may only `list` the five kinds (no get, no watch, no write), so the
// check proves it reads with one LIST per kind (and one LIST by name per Secret an annotation
// names) and changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnGatehouse } from '../support/spawn-gatehouse.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let h: KubeHarness;
let readOnly: string;
let noSecrets: string;

const READ_ONLY_RBAC = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: checker, namespace: default }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: gatehouse-check }
rules:
  - { apiGroups: [networking.k8s.io], resources: [ingresses, ingressclasses], verbs: [list] }
  - { apiGroups: [""], resources: [services, secrets], verbs: [list] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: gatehouse-check }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gatehouse-check }
subjects: [{ kind: ServiceAccount, name: checker, namespace: default }]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: nobody, namespace: default }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: no-secrets, namespace: default }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: gatehouse-check-no-secrets }
rules:
  - { apiGroups: [networking.k8s.io], resources: [ingresses, ingressclasses], verbs: [list] }
  - { apiGroups: [""], resources: [services], verbs: [list] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: gatehouse-check-no-secrets }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gatehouse-check-no-secrets }
subjects: [{ kind: ServiceAccount, name: no-secrets, namespace: default }]
`;

function ingress(name: string, className: string, annotations: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'default', name, annotations },
    spec: {
      ingressClassName: className,
      rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  });
}

before(async () => {
  h = await startKubeHarness();
  await h.apply(READ_ONLY_RBAC);
  await h.apply(JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'gatehouse' }, spec: { controller: 'gatehouse.dev/ingress-controller' } }));
  await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { ports: [{ port: 80 }] } }));
  await h.apply(ingress('plain', 'gatehouse', { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' }));
  await h.apply(ingress('login', 'gatehouse', { 'nginx.ingress.kubernetes.io/auth-url': 'https://auth.example.com/check?user=$remote_user' }));
  await h.apply(ingress('legacy', 'nginx', { 'nginx.ingress.kubernetes.io/service-upstream': 'true' }));
  // Basic auth from an Opaque Secret: honoured when check can read it, refused when it cannot.
  await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default', name: 'htpasswd' }, type: 'Opaque', stringData: { auth: 'ops:{PLAIN}pw\n' } }));
  await h.apply(ingress('guarded', 'gatehouse', { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'htpasswd' }));
  readOnly = await h.serviceAccountKubeconfig('default', 'checker');
  noSecrets = await h.serviceAccountKubeconfig('default', 'no-secrets');
});

after(async () => {
  await h?.stop();
});

async function check(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnGatehouse(['check', ...args], { env: { KUBECONFIG: '' } });
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('gatehouse check did not exit')), 60_000);
  });
  try {
    return { code: await Promise.race([p.exited, hang]), stdout: p.stdout(), stderr: p.stderr() };
  } finally {
    clearTimeout(timer);
    p.child.kill();
  }
}

interface Report {
  verdict: string;
  input: unknown[];
  summary: Record<string, number>;
  ingresses: { ingress: string; verdict: string; skipped?: string; annotations: { key: string; outcome: string }[]; routes: { host: string; answer: string; backend: string }[] }[];
}

test('check --kubeconfig reads the live cluster with list-only rights and reports every Ingress', async () => {
  const r = await check('--kubeconfig', readOnly, '-o', 'json');
  assert.equal(r.stderr, '');
  assert.equal(r.code, 3, 'the Ingress with an auth-url Gatehouse cannot parse ($remote_user) is refused');
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(report.summary, { ingresses: 4, honoured: 2, ignored: 0, refused: 1, skipped: 1 });
  assert.deepEqual(report.input, [], 'the API server\'s own fields (managedFields, clusterIPs, ...) are not reported as skipped input');
  const by = Object.fromEntries(report.ingresses.map((i) => [i.ingress, i]));
  assert.equal(by['default/plain']!.verdict, 'honoured');
  assert.equal(by['default/guarded']!.verdict, 'honoured', 'its auth-secret was read');
  assert.deepEqual(by['default/plain']!.routes.map((x) => [x.host, x.answer, x.backend]), [['plain.example.com', 'backend', 'default/web:80']]);
  assert.equal(by['default/login']!.verdict, 'refused');
  assert.deepEqual(by['default/login']!.annotations.map((a) => [a.key, a.outcome]), [
    // kubectl apply's own bookkeeping is left to kubectl.
    ['kubectl.kubernetes.io/last-applied-configuration', 'other'],
    ['nginx.ingress.kubernetes.io/auth-url', 'refuses'],
  ]);
  assert.equal(by['default/legacy']!.verdict, 'skipped');
  assert.match(by['default/legacy']!.skipped!, /class "nginx" is not an IngressClass of gatehouse.dev\/ingress-controller/);
});

test('check --ingress-class nginx checks the Ingresses about to be switched over (exit 3), and the cluster is unchanged', async () => {
  const before = await h.kubectlJson<{ items: { metadata: { resourceVersion: string } }[] }>(['get', 'ingresses,ingressclasses', '-A']);
  const r = await check('--kubeconfig', readOnly, '--ingress-class', 'nginx');
  assert.equal(r.code, 3);
  assert.match(r.stdout, /Ingress default\/legacy {2,}IGNORED/);
  assert.match(r.stdout, /IGNORED {3}nginx.ingress.kubernetes.io\/service-upstream: "true"/);
  // kubectl's last-applied-configuration (kilobytes of JSON) is cut, and the table stays 100 columns wide.
  assert.match(r.stdout, /other {5}kubectl.kubernetes.io\/last-applied-configuration: "\{.{10,70}\.\.\."\n/);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, JSON.stringify(line));
  const after = await h.kubectlJson<{ items: { metadata: { resourceVersion: string } }[] }>(['get', 'ingresses,ingressclasses', '-A']);
  assert.deepEqual(after.items.map((i) => i.metadata.resourceVersion), before.items.map((i) => i.metadata.resourceVersion));
});

test('check with a kubeconfig context that does not exist exits 2 with one line', async () => {
  const r = await check('--kubeconfig', readOnly, '--context', 'no-such-context');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^gatehouse: --context: no context named "no-such-context"/);
});

test('check without the right to list Secrets warns on stderr and still reports; without the right to list Ingresses it exits 2', async () => {
  const r = await check('--kubeconfig', noSecrets, '-o', 'json');
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^gatehouse: warning: cannot list Secrets \(forbidden\)/);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(report.summary['ingresses'], 4);
  assert.equal(report.ingresses.find((i) => i.ingress === 'default/guarded')!.verdict, 'refused', 'its auth-secret cannot be read: refused, as serve would');
  const none = await h.serviceAccountKubeconfig('default', 'nobody');
  const denied = await check('--kubeconfig', none);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /^gatehouse: cannot list ingressclasses from https:\/\/127\.0\.0\.1:\d+: /);
  assert.equal(denied.stdout, '');
});
