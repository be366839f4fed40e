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
  { name: "ingressClassName names another controller's class", init: { className: 'nginx' }, classes: [OURS, THEIRS], watch: true, admitted: false, codes: ['IngressClassOtherController'] },
  { name: 'ingressClassName names a class that does not exist', init: { className: 'missing' }, classes: [OURS], watch: true, admitted: false, codes: ['IngressClassNotFound'] },
  { name: 'no class, --watch-ingress-without-class on', init: {}, classes: [], watch: true, admitted: true },
  { name: 'no class, flag off, no default class', init: {}, classes: [OURS, THEIRS], watch: false, admitted: false, codes: ['IngressClassNoDefault'] },
  { name: 'no class, flag off, our class is the default', init: {}, classes: [OURS_DEFAULT, THEIRS], watch: false, admitted: true },
  { name: "no class, flag off, another controller's class is the default", init: {}, classes: [OURS, THEIRS_DEFAULT], watch: false, admitted: false, codes: ['IngressClassOtherController'] },
  { name: 'empty ingressClassName counts as no class', init: { className: '' }, classes: [], watch: true, admitted: true },
  { name: 'legacy annotation names our class', init: { annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS], watch: false, admitted: true },
  { name: "legacy annotation names another controller's class", init: { annotations: { [LEGACY]: 'nginx' } }, classes: [OURS, THEIRS], watch: true, admitted: false, codes: ['IngressClassOtherController'] },
  { name: 'legacy annotation names no known class', init: { annotations: { [LEGACY]: 'gatehouse' } }, classes: [], watch: true, admitted: false, codes: ['IngressClassNotFound'] },
  {
    name: 'field and annotation disagree: the field wins (ours), the annotation is reported',
    init: { className: 'gatehouse', annotations: { [LEGACY]: 'nginx' } },
    classes: [OURS, THEIRS],
    watch: false,
    admitted: true,
    codes: ['IngressClassAnnotationIgnored'],
  },
  { name: 'field and annotation disagree: the field wins (theirs), only that is reported', init: { className: 'nginx', annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS, THEIRS], watch: true, admitted: false, codes: ['IngressClassOtherController'] },
  { name: 'field and annotation agree: nothing reported', init: { className: 'gatehouse', annotations: { [LEGACY]: 'gatehouse' } }, classes: [OURS], watch: false, admitted: true },
  {
    name: 'the default-class annotation must be exactly "true"',
    init: {},
    classes: [{ ...OURS, metadata: { ...OURS.metadata, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'True' } } }],
    watch: false,
    admitted: false,
    codes: ['IngressClassNoDefault'],
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

test("an Ingress that is not ours yields its status intent and one info diagnostic saying why, nothing else", () => {
  const theirs = ingress('theirs', {
    className: 'nginx',
    convertedFrom: 'extensions/v1beta1',
    rules: [rule('BAD_HOST', ['nopath', 'Weird', 'missing', 80])],
    tls: [{ hosts: ['x.example.com'], secretName: 'missing' }],
    defaultBackend: { resource: { kind: 'Bucket', name: 'b' } },
  });
  const result = buildRouteTable(snapshotOf([theirs, THEIRS]), options());
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.object.name]), [['IngressClassOtherController', 'info', 'theirs']]);
  assert.deepEqual(result.status, [{ ingress: 'default/theirs', admitted: false }]);
  assert.deepEqual(result.table.virtualHosts, []);
  assert.deepEqual(result.table.policies, {});
  assert.equal(result.table.defaultBackend, undefined);
});

test('skipped Ingresses say why: the class, its controller and the field that named it', () => {
  const snapshot = snapshotOf([
    ingress('theirs', { className: 'nginx' }),
    ingress('legacy', { annotations: { [LEGACY]: 'nginx' } }),
    ingress('typo', { className: 'gatehuose' }),
    OURS,
    THEIRS,
  ]);
  const byName = new Map(selectIngresses(snapshot, { controllerName: CONTROLLER, watchIngressWithoutClass: false }).diagnostics.map((d) => [d.object.name, d]));
  const theirs = byName.get('theirs')!;
  assert.deepEqual([theirs.code, theirs.severity, theirs.object.kind, theirs.field], ['IngressClassOtherController', 'info', 'Ingress', 'spec.ingressClassName']);
  assert.match(theirs.message, /IngressClass "nginx" belongs to controller "k8s\.io\/ingress-nginx", not to Gatehouse/);
  assert.equal(byName.get('legacy')!.field, 'metadata.annotations["kubernetes.io/ingress.class"]');
  const typo = byName.get('typo')!;
  assert.deepEqual([typo.code, typo.severity], ['IngressClassNotFound', 'info']);
  assert.match(typo.message, /no IngressClass "gatehuose" exists/);
});

test('unclassed Ingresses with no default class anywhere: ONE warning, on our class, saying how to make it the default', () => {
  const unclassed = ['a', 'b', 'c', 'd', 'e'].map((name) => ingress(name, {}));
  const withClass = selectIngresses(snapshotOf([...unclassed, OURS, THEIRS]), { controllerName: CONTROLLER, watchIngressWithoutClass: false });
  assert.equal(withClass.diagnostics.length, 1);
  const d = withClass.diagnostics[0]!;
  assert.deepEqual([d.code, d.severity, d.object], ['IngressClassNoDefault', 'warning', { kind: 'IngressClass', namespace: '', name: 'gatehouse' }]);
  assert.match(d.message, /^5 Ingresses name no IngressClass and no IngressClass is the default/);
  assert.match(d.message, /\(default\/a, default\/b, default\/c, and 2 more\)/);
  assert.match(d.message, /kubectl annotate ingressclass gatehouse ingressclass\.kubernetes\.io\/is-default-class=true/);
  // No class of ours at all: the warning is the controller's, and says to create one.
  const none = selectIngresses(snapshotOf([unclassed[0]!]), { controllerName: CONTROLLER, watchIngressWithoutClass: false }).diagnostics;
  assert.equal(none.length, 1);
  assert.deepEqual(none[0]!.object, { kind: 'Controller', namespace: '', name: CONTROLLER });
  assert.match(none[0]!.message, /^1 Ingress names no IngressClass .*create an IngressClass with spec\.controller "[^"]+" and the annotation ingressclass\.kubernetes\.io\/is-default-class: "true"/);
  // With --watch-ingress-without-class, or our class the default, they are served: nothing to say.
  assert.deepEqual(selectIngresses(snapshotOf([...unclassed, OURS]), { controllerName: CONTROLLER, watchIngressWithoutClass: true }).diagnostics, []);
  assert.deepEqual(selectIngresses(snapshotOf([...unclassed, OURS_DEFAULT]), { controllerName: CONTROLLER, watchIngressWithoutClass: false }).diagnostics, []);
});
