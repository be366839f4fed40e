// The balancing algorithms, passive health, the retry budget and the affinity cookie as pure units
// (plain data in, choices out; manual clocks). Behaviour through real sockets is in the other files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLICY, type RoutePolicy } from '../../src/core/policy.ts';
import { ConsistentHash, createBalancer, hash32, mix32, rendezvous, RoundRobin, type Slot } from '../../src/dataplane/proxy/balancers.ts';
import { affinityCookie, affinityCookieValue } from '../../src/dataplane/proxy/cookie-affinity.ts';
import { PolicyPicker } from '../../src/dataplane/proxy/endpoint-picker.ts';
import { PassiveHealth } from '../../src/dataplane/proxy/passive-health.ts';
import { RetryBudget } from '../../src/dataplane/proxy/retry-budget.ts';
import { TrafficState } from '../../src/dataplane/proxy/traffic-state.ts';
import { backendOf, context, ep, ManualClock, spread, tally } from './support.ts';

function slots(n: number, health = new PassiveHealth()): Slot[] {
  return Array.from({ length: n }, (_, i) => {
    const key = `10.0.0.${i + 1}:8080`;
    return { endpoint: ep(`10.0.0.${i + 1}`), health: health.record(key), seed: hash32(key) };
  });
}

test('round-robin cycles through the slots in order', () => {
  const s = slots(3);
  const rr = new RoundRobin();
  const picked = Array.from({ length: 7 }, () => rr.pick(s).endpoint.address);
  assert.deepEqual(picked, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']);
});

test('random spreads evenly (10,000 picks over 4 slots)', () => {
  const s = slots(4);
  const random = createBalancer('random', undefined);
  const counts = tally(Array.from({ length: 10_000 }, () => random.pick(s, context()).endpoint.address));
  assert.equal(Object.keys(counts).length, 4);
  for (const n of Object.values(counts)) assert.ok(n > 2200 && n < 2800, JSON.stringify(counts));
});

test('least-request never picks the busiest slot (power of two choices) and spreads equal loads', () => {
  const s = slots(4);
  s[0]!.health.inFlight = 10;
  const lr = createBalancer('least-request', undefined);
  const busy = tally(Array.from({ length: 2000 }, () => lr.pick(s, context()).endpoint.address));
  assert.equal(busy['10.0.0.1'], undefined, JSON.stringify(busy));
  s[0]!.health.inFlight = 0;
  const even = tally(Array.from({ length: 8000 }, () => lr.pick(s, context()).endpoint.address));
  for (const n of Object.values(even)) assert.ok(n > 1700 && n < 2300, JSON.stringify(even));
  assert.equal(lr.pick(s.slice(0, 1), context()), s[0]);
});

test('consistent hash: even spread, and scaling 5 → 6 endpoints moves only the new endpoint’s share', () => {
  const five = slots(5);
  const six = slots(6);
  const keys = Array.from({ length: 20_000 }, (_, i) => hash32(`user-${i}`));
  const before = keys.map((k) => rendezvous(five, k).endpoint.address);
  const after = keys.map((k) => rendezvous(six, k).endpoint.address);
  const counts = tally(before);
  assert.ok(spread(counts) < 1.1, JSON.stringify(counts));
  let moved = 0;
  for (let i = 0; i < keys.length; i++) {
    if (before[i] === after[i]) continue;
    moved++;
    assert.equal(after[i], '10.0.0.6', 'a key only ever moves to the added endpoint');
  }
  const share = moved / keys.length;
  assert.ok(share > 0.15 && share < 0.185, `moved ${share}`); // ideal 1/6 = 0.167
  // Removing an endpoint moves only its own keys.
  const four = five.filter((s) => s.endpoint.address !== '10.0.0.3');
  keys.forEach((k, i) => {
    if (before[i] !== '10.0.0.3') assert.equal(rendezvous(four, k).endpoint.address, before[i]);
  });
});

test('consistent hash reads its key from a header, a cookie or the client address; no key → round-robin', () => {
  const s = slots(8);
  const byHeader = new ConsistentHash({ kind: 'header', name: 'x-user' });
  const a = byHeader.pick(s, context({ headers: { 'x-user': 'alice' } }));
  for (let i = 0; i < 20; i++) assert.equal(byHeader.pick(s, context({ headers: { 'x-user': 'alice' }, clientIp: `192.0.2.${i}` })), a);
  const byCookie = new ConsistentHash({ kind: 'cookie', name: 'sid' });
  const c = byCookie.pick(s, context({ cookie: 'sid=42; other=1' }));
  for (let i = 0; i < 20; i++) assert.equal(byCookie.pick(s, context({ cookie: `x=${i}; sid=42` })), c);
  const byIp = new ConsistentHash({ kind: 'client-ip' });
  assert.equal(byIp.pick(s, context({ clientIp: '198.51.100.7' })), byIp.pick(s, context({ clientIp: '198.51.100.7' })));
  const noKey = Array.from({ length: 16 }, () => byHeader.pick(s, context()).endpoint.address);
  assert.equal(new Set(noKey).size, 8, 'requests without the header are spread round-robin');
});

test('hash functions are deterministic 32-bit unsigned values', () => {
  assert.equal(hash32('abc'), hash32('abc'));
  assert.notEqual(hash32('abc'), hash32('abd'));
  assert.ok(mix32(-1) >= 0 && mix32(-1) <= 0xffffffff);
});

test('passive health: N consecutive failures eject, the interval doubles, then the endpoint returns', () => {
  const clock = new ManualClock();
  const health = new PassiveHealth({ consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 3000, now: clock.now });
  const r = health.record('10.0.0.1:80');
  health.report(r, true);
  health.report(r, true);
  health.report(r, false); // a success resets the count
  health.report(r, true);
  health.report(r, true);
  assert.equal(health.isEjected(r), false);
  health.report(r, true);
  assert.equal(health.isEjected(r), true);
  assert.equal(health.ejectedCount, 1);
  clock.advance(999);
  assert.equal(health.isEjected(r), true);
  clock.advance(1);
  assert.equal(health.isEjected(r), false, 'back after the base interval');
  health.report(r, true); // on probation: one failure ejects again, for twice as long
  assert.equal(health.isEjected(r), true);
  clock.advance(1999);
  assert.equal(health.isEjected(r), true);
  clock.advance(1);
  assert.equal(health.isEjected(r), false);
  health.report(r, true);
  clock.advance(3000); // capped at max
  assert.equal(health.isEjected(r), false);
  assert.equal(r.ejections, 3);
  // A healthy spell as long as the max interval forgets the level.
  health.report(r, false);
  clock.advance(3000);
  health.report(r, false);
  assert.equal(r.ejectionLevel, 0);
  assert.deepEqual(health.snapshot(), [{ endpoint: '10.0.0.1:80', inFlight: 0, requests: 0, failures: 7, consecutiveFailures: 0, ejected: false, ejections: 3 }]);
});

test('retry budget: a floor, then 20% of recent requests, over a sliding window', () => {
  const clock = new ManualClock();
  const budget = new RetryBudget({ ratio: 0.2, minRetries: 3, windowMs: 10_000, now: clock.now });
  assert.deepEqual([budget.tryRetry(), budget.tryRetry(), budget.tryRetry(), budget.tryRetry()], [true, true, true, false]);
  for (let i = 0; i < 100; i++) budget.recordRequest();
  let granted = 0;
  while (budget.tryRetry()) granted++;
  assert.equal(granted, 20, '3 + 20% of 100, minus the 3 spent');
  assert.deepEqual(budget.snapshot(), { requests: 100, retries: 23, available: 0, refusedTotal: 2, retriesTotal: 23 });
  clock.advance(10_000);
  assert.equal(budget.snapshot().requests, 0, 'the window slid past');
  assert.equal(budget.tryRetry(), true);
});

test('affinity cookie: a keyed hash that hides the endpoint, and a Set-Cookie built from validated parts', () => {
  const key = Buffer.alloc(32, 7);
  const v = affinityCookieValue(key, 'shop/web:80', ep('10.1.2.3'));
  assert.match(v, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(affinityCookieValue(key, 'shop/web:80', ep('10.1.2.3')), v);
  assert.notEqual(affinityCookieValue(Buffer.alloc(32, 8), 'shop/web:80', ep('10.1.2.3')), v, 'another key, another value');
  assert.notEqual(affinityCookieValue(key, 'shop/web:80', ep('10.1.2.4')), v);
  assert.ok(!v.includes('10'), 'no trace of the address');
  const c = affinityCookie({ cookieName: 'GATEHOUSE', path: '/' });
  assert.equal(c.setCookie(v, false), `GATEHOUSE=${v}; Path=/; HttpOnly`);
  assert.equal(c.setCookie(v, true), `GATEHOUSE=${v}; Path=/; HttpOnly; Secure`);
  const full = affinityCookie({ cookieName: 'route', path: '/shop', maxAgeSeconds: 60, sameSite: 'Strict', secure: true });
  assert.equal(full.setCookie('x', false), 'route=x; Path=/shop; Max-Age=60; SameSite=Strict; HttpOnly; Secure');
  assert.equal(affinityCookie({ cookieName: 'a', path: '/', secure: false }).setCookie('x', true), 'a=x; Path=/; HttpOnly');
  // Parts that never pass the parser fall back to the defaults rather than reach a header.
  assert.equal(affinityCookie({ cookieName: 'a;b', path: '/x\r\nEvil: 1' }).setCookie('x', false), 'GATEHOUSE=x; Path=/; HttpOnly');
});

function picker(endpoints = [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')], policy: Partial<RoutePolicy> = {}, state = new TrafficState({ affinityKey: Buffer.alloc(32, 1) }), affinity: 'None' | 'ClientIP' = 'None'): PolicyPicker {
  return new PolicyPicker(backendOf(endpoints, affinity), { ...DEFAULT_POLICY, ...policy }, state);
}

test('picker with cookie affinity: a new session gets a cookie; a pinned one keeps its endpoint; a gone endpoint re-pins', () => {
  const state = new TrafficState({ affinityKey: Buffer.alloc(32, 1) });
  const policy = { affinity: { cookieName: 'GATEHOUSE', path: '/' } };
  const p = picker(undefined, policy, state);
  const first = context();
  const e = p.pick(first)!;
  assert.equal(first.responseHeaders[0], 'set-cookie');
  const cookie = first.responseHeaders[1]!.split(';')[0]!;
  for (let i = 0; i < 10; i++) {
    const again = context({ cookie });
    assert.equal(p.pick(again), e);
    assert.deepEqual(again.responseHeaders, [], 'no new cookie for a pinned session');
  }
  // Added endpoints do not move it; a table without its endpoint does, with a new cookie.
  const grown = picker([ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3'), ep('10.0.0.4'), ep('10.0.0.5')], policy, state);
  assert.equal(grown.pick(context({ cookie }))?.address, e.address);
  const shrunk = picker([ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')].map((x) => (x.address === e.address ? { ...x, ready: false } : x)), policy, state);
  const moved = context({ cookie });
  assert.notEqual(shrunk.pick(moved)?.address, e.address);
  assert.match(moved.responseHeaders[1]!, /^GATEHOUSE=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly$/);
  assert.notEqual(moved.responseHeaders[1]!.split(';')[0], cookie);
  // A forged or stale value is just a new session.
  const forged = context({ cookie: 'GATEHOUSE=AAAAAAAAAAAAAAAAAAAAAA' });
  assert.ok(p.pick(forged));
  assert.equal(forged.responseHeaders.length, 2);
});

test('picker: a retry avoids failed endpoints and replaces the cookie it set; the budget can refuse it', () => {
  const state = new TrafficState({ affinityKey: Buffer.alloc(32, 1), retryBudget: { minRetries: 1, ratio: 0 } });
  const p = picker([ep('10.0.0.1'), ep('10.0.0.2')], { affinity: { cookieName: 'S', path: '/' } }, state);
  const ctx = context();
  const a = p.pick(ctx)!;
  p.release(a, 'connect-error');
  ctx.failed.push(a);
  const b = p.pick(ctx)!;
  assert.notEqual(b, a);
  assert.equal(ctx.responseHeaders.length, 2, 'one Set-Cookie, for the endpoint that answered');
  assert.ok(ctx.responseHeaders[1]!.startsWith('S='));
  p.release(b, 'ok');
  const ctx2 = context();
  const c = p.pick(ctx2)!;
  p.release(c, 'reset');
  ctx2.failed.push(c);
  assert.equal(p.pick(ctx2), undefined, 'the floor of one retry is spent');
  assert.equal(state.backend('shop/web:80').budget.snapshot().refusedTotal, 1);
});

test('picker: ejected endpoints are skipped, and when all are ejected all are used (panic mode)', () => {
  const clock = new ManualClock();
  const state = new TrafficState({ health: { consecutiveFailures: 1, baseEjectionMs: 1000, now: clock.now } });
  const endpoints = [ep('10.0.0.1'), ep('10.0.0.2')];
  const p = picker(endpoints, {}, state);
  p.release(endpoints[0]!, 'connect-error');
  for (let i = 0; i < 6; i++) assert.equal(p.pick(context())?.address, '10.0.0.2');
  p.release(endpoints[1]!, 'timeout');
  assert.equal(state.health.ejectedCount, 2);
  const both = new Set(Array.from({ length: 4 }, () => p.pick(context())?.address));
  assert.deepEqual([...both].sort(), ['10.0.0.1', '10.0.0.2']);
  assert.ok(state.snapshot().backends[0]!.panics > 0);
  clock.advance(1000);
  assert.equal(state.snapshot().ejectedEndpoints, 0, 'both returned after the interval');
});

test('picker: 5xx counts as a failure only with eject-on-5xx; an aborted client counts as nothing', () => {
  const state = new TrafficState({ health: { consecutiveFailures: 2 } });
  const endpoints = [ep('10.0.0.1'), ep('10.0.0.2')];
  const lenient = picker(endpoints, {}, state);
  for (let i = 0; i < 5; i++) lenient.release(endpoints[0]!, 'http-5xx');
  lenient.release(endpoints[0]!, 'aborted');
  assert.equal(state.health.ejectedCount, 0);
  const strict = picker(endpoints, { ejectOn5xx: true }, state);
  strict.release(endpoints[0]!, 'http-5xx');
  strict.release(endpoints[0]!, 'http-5xx');
  assert.equal(state.health.ejectedCount, 1);
});

test('picker: serving endpoints only when none is ready; Service ClientIP affinity hashes the client address', () => {
  const terminating = ep('10.0.0.9', 8080, { ready: false, serving: true, terminating: true });
  assert.equal(picker([ep('10.0.0.1'), terminating]).pick(context())?.address, '10.0.0.1');
  assert.equal(picker([terminating]).pick(context())?.address, '10.0.0.9');
  assert.equal(picker([ep('10.0.0.1', 80, { ready: false, serving: false })]).pick(context()), undefined);
  const sticky = picker(undefined, {}, undefined, 'ClientIP');
  const seen = new Map<string, Set<string>>();
  for (let i = 0; i < 300; i++) {
    const ip = `198.51.100.${i % 30}`;
    const set = seen.get(ip) ?? new Set();
    set.add(sticky.pick(context({ clientIp: ip }))!.address);
    seen.set(ip, set);
  }
  for (const [ip, set] of seen) assert.equal(set.size, 1, `${ip} always on one endpoint`);
  assert.equal(new Set([...seen.values()].map((s) => [...s][0])).size, 3, 'clients spread over the endpoints');
});

test('picker: least-request counts requests in flight until release', () => {
  const state = new TrafficState();
  const endpoints = [ep('10.0.0.1'), ep('10.0.0.2')];
  const p = picker(endpoints, { loadBalance: 'least-request' }, state);
  const a = p.pick(context())!;
  const b = p.pick(context())!;
  assert.notEqual(a, b, 'the second goes to the idle one');
  const snapshot = state.snapshot().endpoints;
  assert.deepEqual(snapshot.map((e) => e.inFlight), [1, 1]);
  p.release(a, 'ok');
  assert.equal(p.pick(context()), a);
});
