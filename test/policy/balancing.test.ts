// Each load-balancing algorithm's distribution through a real DataPlane on real sockets, chosen by
// real annotations, and consistent hashing's small movement when a backend scales up.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { EchoBackend } from '../support/echo-backend.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { endpointOf, policyFrom, pool, send, startBackends, startPolicyPlane, tableFor } from './plane.ts';
import { spread, tally } from './support.ts';

const backends: EchoBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

async function echoes(count: number, first: number): Promise<EchoBackend[]> {
  const started = await startBackends(count, first);
  backends.push(...started);
  return started;
}

test('round-robin (the default): 600 requests over 3 endpoints, exactly 200 each', async (t) => {
  const three = await echoes(3, 2);
  const plane = await startPolicyPlane(tableFor(three.map((b) => endpointOf(b)), policyFrom({})));
  try {
    const answers = await pool(600, 1, () => send(plane.port));
    const counts = tally(answers.map((a) => a.backend));
    assert.deepEqual(counts, { b2: 200, b3: 200, b4: 200 });
    t.diagnostic(`round-robin ${JSON.stringify(counts)}`);
  } finally {
    await plane.stop();
  }
});

test('random: 900 requests over 3 endpoints, each near a third', async (t) => {
  const three = await echoes(3, 5);
  const plane = await startPolicyPlane(tableFor(three.map((b) => endpointOf(b)), policyFrom({ 'gatehouse.dev/load-balance': 'random' })));
  try {
    const answers = await pool(900, 6, () => send(plane.port));
    const counts = tally(answers.map((a) => a.backend));
    assert.equal(Object.keys(counts).length, 3);
    // Expected 300 each, standard deviation about 14: 220..380 is more than 5 deviations.
    for (const n of Object.values(counts)) assert.ok(n > 220 && n < 380, JSON.stringify(counts));
    t.diagnostic(`random ${JSON.stringify(counts)} (max/min ${spread(counts).toFixed(2)})`);
  } finally {
    await plane.stop();
  }
});

test('least-request: a slow endpoint gets far fewer requests than its third; round-robin gives it exactly a third', async (t) => {
  const fast = await echoes(2, 8);
  const slow = await startEchoBackend({
    address: '127.0.0.10',
    name: 'slow',
    handler: (req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200, { 'x-backend': 'slow', 'content-length': 2 }).end('ok'), 250);
    },
  });
  backends.push(slow);
  const endpoints = [...fast, slow].map((b) => endpointOf(b));
  const lr = await startPolicyPlane(tableFor(endpoints, policyFrom({ 'gatehouse.dev/load-balance': 'least-request' })));
  const rr = await startPolicyPlane(tableFor(endpoints, policyFrom({})));
  try {
    const least = tally((await pool(300, 12, () => send(lr.port))).map((a) => a.backend));
    const robin = tally((await pool(300, 12, () => send(rr.port))).map((a) => a.backend));
    assert.equal(robin.slow, 100);
    const slowShare = (least.slow ?? 0) / 300;
    assert.ok(slowShare < 0.2, `least-request sent ${least.slow} of 300 to the slow endpoint`);
    t.diagnostic(`least-request ${JSON.stringify(least)} vs round-robin ${JSON.stringify(robin)} (slow endpoint answers in 250 ms, 12 concurrent clients)`);
  } finally {
    await lr.stop();
    await rr.stop();
  }
});

test('consistent-hash by header: every key always on one endpoint; scaling 3 → 4 moves only the new endpoint’s share', async (t) => {
  const four = await echoes(4, 11);
  const policy = policyFrom({ 'gatehouse.dev/load-balance': 'consistent-hash', 'gatehouse.dev/hash-key': 'header:x-user' });
  const plane = await startPolicyPlane(tableFor(four.slice(0, 3).map((b) => endpointOf(b)), policy));
  try {
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const home = new Map<string, string>();
    await pool(users.length * 3, 6, async (i) => {
      const user = users[i % users.length]!;
      const answer = await send(plane.port, { headers: { 'x-user': user } });
      const seen = home.get(user);
      if (seen !== undefined) assert.equal(answer.backend, seen, `${user} stays on ${seen}`);
      home.set(user, answer.backend);
    });
    const before = tally(home.values());
    assert.equal(Object.keys(before).length, 3);
    for (const n of Object.values(before)) assert.ok(n > 60, JSON.stringify(before));

    plane.apply(tableFor(four.map((b) => endpointOf(b)), policy));
    let moved = 0;
    const after = new Map<string, string>();
    await pool(users.length, 6, async (i) => {
      const user = users[i]!;
      const answer = await send(plane.port, { headers: { 'x-user': user } });
      after.set(user, answer.backend);
      if (answer.backend !== home.get(user)) {
        moved++;
        assert.equal(answer.backend, 'b14', 'a key only moves to the added endpoint');
      }
    });
    const share = moved / users.length;
    // Ideal 1/4; with 300 keys the standard deviation is 2.5 points.
    assert.ok(share > 0.12 && share < 0.38, `moved ${moved} of ${users.length}`);
    t.diagnostic(`consistent-hash 300 keys over 3: ${JSON.stringify(before)}; after adding a 4th: ${JSON.stringify(tally(after.values()))}; moved ${moved}/300 = ${(share * 100).toFixed(1)}% (ideal 25%), all to the new endpoint`);
  } finally {
    await plane.stop();
  }
});
