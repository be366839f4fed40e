import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { IngressClass } from '../../src/core/model.ts';
import { selectIngresses } from '../../src/core/select-ingresses.ts';
import { CONTROLLER, ingress, ingressClass, options, rule, snapshotOf, type IngressInit } from './fixtures.ts';

const OURS = ingressClass('gatehouse', CONTROLLER);
const OURS_DEFAULT = ingressClass('gatehouse', CONTROLLER, true);
const THEIRS = ingressClass('nginx', 'k8s.io/ingress-nginx');
const THEIRS_DEFAULT = ingressClass('nginx', 'k8s.io/ingress-nginx', true);
const LEGACY = 'kubernetes.io/ingress.class';

type Case = { name: string; init: IngressInit; classes: IngressClass[]; watch: boolean; admitted: boolean; codes?: string[] };

const CASES: Case[] = [
  { name: 'ingressClassName names our class', init: { className: 'gatehouse' }, classes: [OURS, THEIRS], watch: false, admitted: true },
  { name: "ingressClassName names another controller's class", init: { className: 'nginx' }, classes: [OURS, THEIRS], watch: true, admitted: false },
  { name: 'ingressClassName names a class that does not exist', init: { className: 'missing' }, classes: [OURS], watch: true, admitted: false },
  { name: 'no class, --watch-ingress-without-class on', init: {}, classes: [], watch: true, admitted: true },
  { name: 'no class, flag off, no default class', init: {}, classes: [OURS, THEIRS], watch: false, admitted: false },
  { name: 'no class, flag off, our class is the default', init: {}, classes: [OURS_DEFAULT, THEIRS], watch: false, admitted: true },
  { name: "no class, flag off, another controller's class is the default", init: {}, classes: [OURS, THEIRS_DEFAULT], watch: false, admitted: false },
  { name: 'empty ingressClassName counts as no class', init: { className: '' }, classes: [], watch: true, admitted: true },
  { name: 'legacy annotation names our class', init: { annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS], watch: false, admitted: true },
  { name: "legacy annotation names another controller's class", init: { annotations: { [LEGACY]: 'nginx' } }, classes: [OURS, THEIRS], watch: true, admitted: false },
  { name: 'legacy annotation names no known class', init: { annotations: { [LEGACY]: 'gatehouse' } }, classes: [], watch: true, admitted: false },
  {
    name: 'field and annotation disagree: the field wins (ours), the annotation is reported',
    init: { className: 'gatehouse', annotations: { [LEGACY]: 'nginx' } },
    classes: [OURS, THEIRS],
    watch: false,
    admitted: true,
    codes: ['IngressClassAnnotationIgnored'],
  },
  { name: 'field and annotation disagree: the field wins (theirs), nothing reported', init: { className: 'nginx', annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS, THEIRS], watch: true, admitted: false },
  { name: 'field and annotation agree: nothing reported', init: { className: 'gatehouse', annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS], watch: false, admitted: true },
  {
    name: 'the default-class annotation must be exactly "true"',
    init: {},
    classes: [{ ...OURS, metadata: { ...OURS.metadata, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'True' } } }],
    watch: false,
    admitted: false,
  },
];

for (const c of CASES) {
  test(`class selection: ${c.name}`, () => {
    const snapshot = snapshotOf([ingress('web', c.init), ...c.classes]);
    const selection = selectIngresses(snapshot, { controllerName: CONTROLLER, watchIngressWithoutClass: c.watch });
    assert.deepEqual(selection.status, [{ ingress: 'default/web', admitted: c.admitted }]);
    assert.equal(selection.admitted.length, c.admitted ? 1 : 0);
    assert.deepEqual(selection.diagnostics.map((d) => d.code), c.codes ?? []);
  });
}

test('admitted Ingresses come oldest first; status is sorted by key', () => {
  const snapshot = snapshotOf([
    ingress('c', { namespace: 'a' }),
    ingress('b', { created: '2024-02-01T00:00:00Z' }),
    ingress('a', { created: '2024-03-01T00:00:00Z' }),
    ingress('z', { className: 'nginx' }),
  ]);
  const selection = selectIngresses(snapshot, { controllerName: CONTROLLER, watchIngressWithoutClass: true });
  assert.deepEqual(
    selection.admitted.map((i) => `${i.metadata.namespace}/${i.metadata.name}`),
    ['default/b', 'default/a', 'a/c'], // no timestamp counts as youngest
  );
  assert.deepEqual(selection.status, [
    { ingress: 'a/c', admitted: true },
    { ingress: 'default/a', admitted: true },
    { ingress: 'default/b', admitted: true },
    { ingress: 'default/z', admitted: false },
  ]);
});

test("an Ingress that is not ours yields its status intent and nothing else", () => {
  const theirs = ingress('theirs', {
    className: 'nginx',
    convertedFrom: 'extensions/v1beta1',
    rules: [rule('BAD_HOST', ['nopath', 'Weird', 'missing', 80])],
    tls: [{ hosts: ['x.example.com'], secretName: 'missing' }],
    defaultBackend: { resource: { kind: 'Bucket', name: 'b' } },
  });
  const result = buildRouteTable(snapshotOf([theirs, THEIRS]), options());
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.status, [{ ingress: 'default/theirs', admitted: false }]);
  assert.deepEqual(result.table.virtualHosts, []);
  assert.deepEqual(result.table.policies, {});
  assert.equal(result.table.defaultBackend, undefined);
});
