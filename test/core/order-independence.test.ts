// Property (fixed seed): the output depends on the objects, never on the order they arrive in.
// Random worlds full of conflicts, shared hosts, equal timestamps and broken parts are built
// from shuffled snapshots, and every build must serialise to the same bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { IngressRule, IngressTLS, KubeObject } from '../../src/core/model.ts';
import { redactTable } from '../../src/core/route-table.ts';
import { CONTROLLER, endpoint, fakeCert, ingress, ingressClass, options, secret, service, slice, snapshotOf } from './fixtures.ts';

const SEED = 0x6a7e;
const WORLDS = 150;
const SHUFFLES = 4;

/** mulberry32: small, seedable, good enough to pick test cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function world(rand: () => number): KubeObject[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const count = (max: number) => Math.floor(rand() * (max + 1));
  const hosts = ['a.example.com', 'b.example.com', '*.example.com', undefined, 'Bad_Host', 'A.EXAMPLE.COM'];
  const paths = ['/', '/api', '/api/', '/api/v1', '/x', 'rel', undefined];
  const pathTypes = ['Prefix', 'Exact', 'ImplementationSpecific', 'Bogus'];
  const stamps = [undefined, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-05-01T00:00:00Z'];
  const ports: (number | string)[] = [80, 81, 'http', 'nope'];
  const objects: KubeObject[] = [ingressClass('gatehouse', CONTROLLER, rand() < 0.5), ingressClass('other', 'someone.else/controller')];
  for (let s = 0; s < 4; s++) {
    objects.push(service(`s${s}`, [{ name: 'http', port: 80 }, { port: 81 }], rand() < 0.2 ? { type: 'ExternalName' } : {}));
    for (let k = count(2); k > 0; k--) {
      const eps = Array.from({ length: count(3) }, () => endpoint(`10.0.${s}.${count(4)}`, pick([{ ready: true }, { ready: false }, { ready: false, serving: true, terminating: true }, {}])));
      objects.push(slice(`s${s}-${k}`, `s${s}`, [{ name: 'http', port: 8080 }, { port: 9090 }], eps));
    }
  }
  for (const name of ['t0', 't1', 't2']) {
    const names = [pick(['a.example.com', '*.example.com', 'b.example.com'])];
    objects.push(rand() < 0.8 ? secret(name, fakeCert(names, { notAfter: pick(['2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z']) })) : secret(name, {}, 'Opaque'));
  }
  for (let i = 0; i < 2 + count(4); i++) {
    const rules: IngressRule[] = Array.from({ length: count(3) }, () => {
      const r: IngressRule = { http: { paths: Array.from({ length: 1 + count(2) }, () => {
        const p: { path?: string; pathType?: string; backend: { service: { name: string; port: { number?: number; name?: string } } } } = {
          pathType: pick(pathTypes),
          backend: { service: { name: `s${count(4)}`, port: (() => { const port = pick(ports); return typeof port === 'number' ? { number: port } : { name: port }; })() } },
        };
        const path = pick(paths);
        if (path !== undefined) p.path = path;
        return p;
      }) } };
      const host = pick(hosts);
      if (host !== undefined) r.host = host;
      return r;
    });
    const tls: IngressTLS[] = Array.from({ length: count(2) }, () => (rand() < 0.2 ? { secretName: pick(['t0', 't1', 't2']) } : { hosts: [pick(['a.example.com', 'b.example.com', '*.example.com'])], secretName: pick(['t0', 't1', 't2', 'missing']) }));
    const init: Parameters<typeof ingress>[1] = { namespace: pick(['default', 'default', 'team']), rules, tls };
    const stamp = pick(stamps);
    if (stamp) init.created = stamp;
    if (rand() < 0.3) init.defaultBackend = { service: { name: `s${count(3)}`, port: { number: 80 } } };
    if (rand() < 0.2) init.className = pick(['gatehouse', 'other', 'missing']);
    objects.push(ingress(`ing${i}`, init));
  }
  return objects;
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function serialise(objects: readonly KubeObject[]): string {
  const result = buildRouteTable(snapshotOf(objects), options());
  return JSON.stringify({ ...result, table: redactTable(result.table) });
}

test(`output is independent of input order (${WORLDS} worlds × ${SHUFFLES} shuffles, seed ${SEED})`, () => {
  const rand = random(SEED);
  let withRoutes = 0;
  let withConflicts = 0;
  for (let w = 0; w < WORLDS; w++) {
    const objects = world(rand);
    const expected = serialise(objects);
    if (expected.includes('"routes":[{')) withRoutes++;
    if (expected.includes('Conflict')) withConflicts++;
    for (let s = 0; s < SHUFFLES; s++) assert.equal(serialise(shuffled(objects, rand)), expected, `world ${w}, shuffle ${s}`);
  }
  // The generator must actually exercise the interesting paths, or this property proves little.
  assert.ok(withRoutes > WORLDS / 2, `only ${withRoutes} worlds had routes`);
  assert.ok(withConflicts > WORLDS / 10, `only ${withConflicts} worlds had conflicts`);
});

test('building does not mutate the snapshot', () => {
  const objects = world(random(SEED + 1));
  const before = JSON.stringify(objects);
  serialise(objects);
  assert.equal(JSON.stringify(objects), before);
});
