// The chart through the real `helm` (built from the Go module proxy, see test/k8s/helm/): lint,
// `helm template` against golden output (default values; a customised values file), what each
// value turns on and off, the errors bad values get, the NetworkPolicy as rendered, and the
// Grafana dashboard's metric names. Regenerate the golden files with `npm run helm:golden:update`
// (GATEHOUSE_UPDATE_GOLDEN=1) and review the diff like code.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { createGatehouseMetrics } from '../../src/observability/gatehouse-metrics.ts';
import { CHART, createHelm, type Helm } from './helm-tool.ts';

const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env['GATEHOUSE_UPDATE_GOLDEN'] === '1';
const CUSTOM_VALUES = join(GOLDEN, 'custom-values.yaml');
const SERVICE_MONITOR_API = ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

function objects(stream: string): K8sObject[] {
  return parseAllDocuments(stream)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function one(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''} (found ${found.length})`);
  return found[0]!;
}

function kinds(objs: K8sObject[]): string[] {
  return objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

// Parsed YAML navigated inside assertions: `any` keeps them readable, and a wrong path fails the assertion.
type Any = any;

describe('the Helm chart (real helm: lint, template, golden output)', () => {
  let helm: Helm;
  before(() => {
    helm = createHelm();
  });
  after(() => helm?.dispose());

  it('passes helm lint --strict, with the default values and with the customised ones', async () => {
    for (const args of [[], ['-f', CUSTOM_VALUES]]) {
      const r = await helm.run(['lint', '--strict', CHART, ...args], { allowFailure: true });
      assert.equal(r.code, 0, `helm lint ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/, r.stdout);
    }
  });

  const goldenCases: { name: string; release: string; namespace: string; args: string[] }[] = [
    { name: 'default', release: 'gatehouse', namespace: 'gatehouse', args: [] },
    { name: 'custom', release: 'edge', namespace: 'ingress', args: ['-f', CUSTOM_VALUES, ...SERVICE_MONITOR_API] },
  ];
  for (const c of goldenCases) {
    it(`renders golden/${c.name}.yaml`, async () => {
      const actual = await helm.template(c.release, c.namespace, c.args);
      const path = join(GOLDEN, `${c.name}.yaml`);
      if (UPDATE) writeFileSync(path, actual);
      assert.equal(actual, readFileSync(path, 'utf8'), `${c.name}: output changed; if intended, run npm run helm:golden:update and review the diff`);
    });
  }

  it('by default: the objects deploy/ has, a LoadBalancer with externalTrafficPolicy Local, no HPA, no ServiceMonitor, no dashboard', async () => {
    const objs = objects(await helm.template('gatehouse', 'gatehouse'));
    assert.deepEqual(kinds(objs), [
      'ClusterRole/gatehouse', 'ClusterRoleBinding/gatehouse', 'Deployment/gatehouse', 'IngressClass/gatehouse',
      'NetworkPolicy/gatehouse', 'PodDisruptionBudget/gatehouse', 'Role/gatehouse-leader-election',
      'RoleBinding/gatehouse-leader-election', 'Service/gatehouse', 'Service/gatehouse-metrics', 'ServiceAccount/gatehouse',
    ]);
    const svc = one(objs, 'Service', 'gatehouse').spec as Any;
    assert.equal(svc.type, 'LoadBalancer');
    assert.equal(svc.externalTrafficPolicy, 'Local');
    const deploy = one(objs, 'Deployment').spec as Any;
    assert.equal(deploy.replicas, 2);
    const args: string[] = deploy.template.spec.containers[0].args;
    // The Deployment's flags agree with the objects beside it.
    assert.ok(args.includes(`--controller-name=${(one(objs, 'IngressClass').spec as Any).controller}`), args.join(' '));
    assert.ok(args.includes('--publish-service=gatehouse/gatehouse'), args.join(' '));
    assert.ok(args.includes('--leader-election-id=gatehouse-leader'), args.join(' '));
    assert.equal(one(objs, 'IngressClass').metadata.annotations, undefined, 'not the default class unless asked');
  });

  it('pod security: every field the restricted level checks is set on the pod and the container', async () => {
    const pod = (one(objects(await helm.template('gatehouse', 'gatehouse')), 'Deployment').spec as Any).template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.hostNetwork, undefined);
    const c = pod.containers[0].securityContext;
    assert.equal(c.allowPrivilegeEscalation, false);
    assert.deepEqual(c.capabilities.drop, ['ALL']);
    assert.equal(c.readOnlyRootFilesystem, true);
    // (test/helm/helm-install.test.ts has the API server's PodSecurity admission judge the real pod.)
  });

  it('the ServiceMonitor is rendered only when the cluster serves monitoring.coreos.com/v1 ServiceMonitor', async () => {
    const without = objects(await helm.template('gatehouse', 'gatehouse'));
    assert.ok(!without.some((o) => o.kind === 'ServiceMonitor'));
    const withCrd = objects(await helm.template('gatehouse', 'gatehouse', SERVICE_MONITOR_API));
    const sm = one(withCrd, 'ServiceMonitor').spec as Any;
    const metricsSvc = one(withCrd, 'Service', 'gatehouse-metrics');
    // It selects the metrics Service (and only it) by labels, on its named port.
    for (const [k, v] of Object.entries(sm.selector.matchLabels as Record<string, string>)) assert.equal(metricsSvc.metadata.labels?.[k], v, k);
    assert.notEqual(one(withCrd, 'Service', 'gatehouse').metadata.labels?.['app.kubernetes.io/component'], 'metrics');
    assert.equal(sm.endpoints[0].port, (metricsSvc.spec as Any).ports[0].name);
    assert.equal(sm.endpoints[0].path, '/metrics');
    assert.equal(sm.endpoints[0].honorLabels, true, 'Gatehouse\'s namespace/service labels must not become exported_*');
    // Turned off, it stays off even with the CRD.
    const off = objects(await helm.template('gatehouse', 'gatehouse', [...SERVICE_MONITOR_API, '--set', 'metrics.serviceMonitor.enabled=false']));
    assert.ok(!off.some((o) => o.kind === 'ServiceMonitor'));
  });

  it('the NetworkPolicy as rendered: traffic ports open, the admin port only from the scraper label (the test API server enforces none)', async () => {
    const objs = objects(await helm.template('gatehouse', 'gatehouse'));
    const np = one(objs, 'NetworkPolicy').spec as Any;
    const pod = (one(objs, 'Deployment').spec as Any).template;
    // It selects the Gatehouse pods.
    for (const [k, v] of Object.entries(np.podSelector.matchLabels as Record<string, string>)) assert.equal(pod.metadata.labels[k], v, k);
    assert.deepEqual(np.policyTypes, ['Ingress'], 'egress stays open: the API server and the backends');
    const portNames = new Set((pod.spec.containers[0].ports as { name: string }[]).map((p) => p.name));
    for (const rule of np.ingress as { ports: { port: string }[] }[]) {
      for (const p of rule.ports) assert.ok(portNames.has(p.port), `named port ${p.port} exists on the container`);
    }
    assert.equal(np.ingress.length, 2);
    const [traffic, admin] = np.ingress;
    assert.deepEqual(traffic.ports.map((p: { port: string }) => p.port), ['http', 'https']);
    assert.equal(traffic.from, undefined, 'anyone may reach the traffic ports');
    assert.deepEqual(admin.ports.map((p: { port: string }) => p.port), ['admin']);
    assert.deepEqual(admin.from, [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, namespaceSelector: {} }]);

    // Customised: the scraper's namespace and an extra peer (nodes' CIDR for plugins that filter probes).
    const custom = one(objects(await helm.template('edge', 'ingress', ['-f', CUSTOM_VALUES])), 'NetworkPolicy').spec as Any;
    assert.deepEqual(custom.ingress[1].from, [
      {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'kube-prometheus-stack' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      },
      { ipBlock: { cidr: '10.128.0.0/16' } },
    ]);
    const off = objects(await helm.template('gatehouse', 'gatehouse', ['--set', 'networkPolicy.enabled=false']));
    assert.ok(!off.some((o) => o.kind === 'NetworkPolicy'));
  });

  it('the customised values reach the objects: class, ports, args, autoscaler instead of replicas, PDB maxUnavailable, names', async () => {
    const objs = objects(await helm.template('edge', 'ingress', ['-f', CUSTOM_VALUES, ...SERVICE_MONITOR_API]));
    const ic = one(objs, 'IngressClass', 'edge');
    assert.equal(ic.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true');
    const deploy = one(objs, 'Deployment', 'edge-gatehouse').spec as Any;
    assert.equal(deploy.replicas, undefined, 'the HorizontalPodAutoscaler owns the replica count');
    const c = deploy.template.spec.containers[0];
    assert.equal(c.image, 'registry.example.com/platform/gatehouse:0.1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    for (const a of ['--controller-name=example.com/edge-gatehouse', '--publish-service=ingress/edge-gatehouse', '--leader-election-id=edge-leader',
      '--http-port=8081', '--admin-port=9091', '--drain-seconds=25', '--log-level=debug', '--max-body-size=8m']) {
      assert.ok(c.args.includes(a), `${a} in ${c.args.join(' ')}`);
    }
    const hpa = one(objs, 'HorizontalPodAutoscaler').spec as Any;
    assert.equal(hpa.scaleTargetRef.name, 'edge-gatehouse');
    assert.deepEqual([hpa.minReplicas, hpa.maxReplicas], [3, 10]);
    assert.deepEqual((one(objs, 'PodDisruptionBudget').spec as Any).maxUnavailable, 1);
    assert.equal((one(objs, 'Service', 'edge-gatehouse').spec as Any).externalTrafficPolicy, 'Cluster');
    assert.equal(one(objs, 'ServiceMonitor').metadata.labels?.release, 'kube-prometheus-stack');
    const rb = one(objs, 'RoleBinding') as Any;
    assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'edge-gatehouse', namespace: 'ingress' }]);
    assert.equal(one(objs, 'ConfigMap').metadata.namespace, 'monitoring');
  });

  it('no PodDisruptionBudget with a single replica (it would block every node drain); ClusterIP has no externalTrafficPolicy', async () => {
    const objs = objects(await helm.template('gatehouse', 'gatehouse', ['--set', 'replicaCount=1', '--set', 'service.type=ClusterIP']));
    assert.ok(!objs.some((o) => o.kind === 'PodDisruptionBudget'));
    assert.equal((one(objs, 'Service', 'gatehouse').spec as Any).externalTrafficPolicy, undefined);
    const noLeader = objects(await helm.template('gatehouse', 'gatehouse', ['--set', 'leaderElection.enabled=false']));
    assert.ok(!noLeader.some((o) => o.kind === 'Role'));
    assert.ok((one(noLeader, 'Deployment').spec as Any).template.spec.containers[0].args.includes('--no-leader-elect'));
  });

  it('bad values fail the render with a message that says what to change', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'service.type=External'], /service\.type must be LoadBalancer, NodePort or ClusterIP, not "External"/],
      [['--set', 'service.externalTrafficPolicy=local'], /service\.externalTrafficPolicy must be Local or Cluster/],
      [['--set', 'terminationGracePeriodSeconds=10'], /terminationGracePeriodSeconds \(10\) must exceed preStopSleepSeconds \+ drainSeconds/],
      [['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.minReplicas=8'], /autoscaling\.minReplicas \(8\) is above autoscaling\.maxReplicas \(6\)/],
      [['--set', 'networkPolicy.admin.scraperPodLabels=null'], /scraperPodLabels is empty: that would admit every pod to the admin port/],
      [['--set', 'serviceAccount.create=false'], /serviceAccount\.name is required when serviceAccount\.create is false/],
      // values.schema.json: a misspelt key, a wrong type, a flag without its dashes.
      [['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
      [['--set-string', 'replicaCount=two'], /\/replicaCount': got string, want integer/],
      [['--set', 'extraArgs[0]=log-level=debug'], /\/extraArgs\/0': 'log-level=debug' does not match pattern/],
    ];
    for (const [args, message] of cases) {
      const r = await helm.run(['template', 'gatehouse', CHART, ...args], { allowFailure: true });
      assert.notEqual(r.code, 0, `${args.join(' ')} must fail`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('the Grafana dashboard: valid JSON, shipped verbatim in its ConfigMap, and every metric it queries is one Gatehouse exports', async () => {
    const file = readFileSync(join(CHART, 'dashboards', 'gatehouse.json'), 'utf8');
    const dashboard = JSON.parse(file) as { uid: string; panels: { targets?: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
    const cm = one(objects(await helm.template('gatehouse', 'gatehouse', ['--set', 'grafanaDashboard.enabled=true'])), 'ConfigMap', 'gatehouse-dashboard');
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(cm.data!['gatehouse.json']!), dashboard);

    // The series the metrics work defines (names and types as agreed), plus what the registry exports today.
    const histograms = ['gatehouse_http_request_duration_seconds', 'gatehouse_upstream_response_duration_seconds'];
    const agreed = [
      'gatehouse_http_requests_total', ...histograms, 'gatehouse_http_request_bytes_total', 'gatehouse_http_response_bytes_total',
      'gatehouse_upstream_errors_total', 'gatehouse_upstream_retries_total', 'gatehouse_endpoint_ejections_total',
      'gatehouse_certificate_expiry_timestamp_seconds', 'gatehouse_build_info', 'gatehouse_event_loop_lag_seconds',
      'process_resident_memory_bytes', 'process_cpu_seconds_total',
    ];
    // The series exported before that work, which the dashboard charts too.
    const existing = [
      'gatehouse_builds_total', 'gatehouse_build_errors_total', 'gatehouse_last_build_duration_seconds',
      'gatehouse_config_last_applied_timestamp_seconds', 'gatehouse_diagnostics', 'gatehouse_ready', 'gatehouse_virtual_hosts',
      'gatehouse_routes', 'gatehouse_backends', 'gatehouse_objects', 'gatehouse_client_connections', 'gatehouse_requests_in_flight',
      'gatehouse_endpoints_ejected',
    ];
    // What the registry really exports now: a series the dashboard queries must be agreed or exported.
    const exported = [...createGatehouseMetrics().registry.render().matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const known = new Set([...agreed, ...exported, ...histograms.map((h) => `${h}_bucket`)]);

    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    exprs.push(...dashboard.templating.list.map((v) => (typeof v.query === 'object' && v.query !== null ? String((v.query as { query: string }).query) : '')));
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const m of expr.matchAll(/\b((?:gatehouse|process)_[a-z0-9_]+)\b/g)) used.add(m[1]!);
    }
    const unknown = [...used].filter((n) => !known.has(n));
    assert.deepEqual(unknown, [], 'the dashboard queries series nobody exports');
    // And it charts every agreed series (histograms through their buckets).
    const charted = (n: string): boolean => used.has(n) || used.has(`${n}_bucket`);
    assert.deepEqual(agreed.filter((n) => !charted(n)), [], 'agreed series missing from the dashboard');
    assert.deepEqual(existing.filter((n) => !charted(n)), [], 'existing series missing from the dashboard');
    // Histograms are queried through their buckets and with `le`, never as plain series.
    for (const expr of exprs) {
      for (const h of histograms) {
        if (expr.includes(h)) assert.match(expr, new RegExp(`${h}_bucket[^]*\\ble\\b|\\ble\\b[^]*${h}_bucket`), expr);
      }
    }
  });
});
