// Only diagnostics about Ingresses Gatehouse admits may become Events: the reasons it skipped
// someone else's Ingress stay in the log and /debug/diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { ourIngressDiagnostics } from '../../src/status/our-ingress-diagnostics.ts';
import { CONTROLLER, ingress, ingressClass, options, rule, snapshotOf } from '../core/fixtures.ts';

test("a skipped Ingress's IngressClassOtherController and the controller-wide IngressClassNoDefault are never Event material", () => {
  const result = buildRouteTable(
    snapshotOf([
      ingressClass('gatehouse', CONTROLLER),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ingress('ours', { className: 'gatehouse', rules: [rule('ours.example.com', ['/', 'Prefix', 'missing', 80])] }),
      ingress('theirs', { className: 'nginx' }),
      ingress('typo', { className: 'gatehuose' }),
      ingress('unclassed', {}),
    ]),
    options({ watchIngressWithoutClass: false }),
  );
  const codes = result.diagnostics.map((d) => `${d.code} ${d.object.name}`).sort();
  assert.deepEqual(codes, ['BackendServiceNotFound ours', 'IngressClassNoDefault gatehouse', 'IngressClassNotFound typo', 'IngressClassOtherController theirs']);
  const events = ourIngressDiagnostics(result.diagnostics, result.status).map((d) => `${d.code} ${d.object.name}`);
  assert.deepEqual(events, ['BackendServiceNotFound ours']);
});
