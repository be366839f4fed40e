// Session affinity through a real DataPlane on real sockets: cookie affinity (1,000 requests from
// cookie-keeping clients), endpoints removed, made not ready and added, HTTPS cookie attributes,
// and Service ClientIP affinity from distinct client addresses.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, test } from 'node:test';
import type { EchoBackend } from '../support/echo-backend.ts';
import { createHttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import { connectWebSocket } from '../support/websocket.ts';
import { CookieClient, endpointOf, HOST, policyFrom, pool, send, startBackends, startPolicyPlane, tableFor } from './plane.ts';
import { spread, tally } from './support.ts';

const backends: EchoBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

async function echoes(count: number, first = 2): Promise<EchoBackend[]> {
  const started = await startBackends(count, first);
  backends.push(...started);
  return started;
}

const COOKIE = { 'gatehouse.dev/affinity': 'cookie' };

test('1,000 requests from 10 cookie-keeping clients: each client always on its endpoint, clients spread over the endpoints', async (t) => {
  const [b2, b3, b4] = await echoes(3, 2);
  const plane = await startPolicyPlane(tableFor([b2!, b3!, b4!].map((b) => endpointOf(b)), policyFrom(COOKIE)));
  try {
    const clients = Array.from({ length: 10 }, () => new CookieClient(new Agent({ keepAlive: true, maxSockets: 1 })));
    const seen = clients.map(() => new Set<string>());
    const cookiesIssued = clients.map(() => 0);
    // The 10 clients run concurrently, each sending its 100 requests one after the other (as a
    // browser tab would: the cookie of one response goes with the next request).
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < 100; i++) {
          const answer = await client.get(plane.port, `/item/${i}`);
          assert.equal(answer.status, 200);
          seen[c]!.add(answer.backend);
          cookiesIssued[c]! += answer.setCookie.length;
        }
      }),
    );
    for (let c = 0; c < 10; c++) {
      assert.equal(seen[c]!.size, 1, `client ${c} saw ${[...seen[c]!].join(', ')}`);
      assert.equal(cookiesIssued[c], 1, `client ${c} got exactly one cookie`);
      const value = clients[c]!.jar.get('GATEHOUSE')!;
      assert.match(value, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!value.includes('127'), 'the cookie does not carry the address');
    }
    const sessions = tally(seen.map((s) => [...s][0]!));
    assert.equal(Object.keys(sessions).length, 3, `sessions over every endpoint: ${JSON.stringify(sessions)}`);
    const requests = { b2: b2!.count(), b3: b3!.count(), b4: b4!.count() };
    assert.equal(requests.b2 + requests.b3 + requests.b4, 1000);
    t.diagnostic(`sessions per endpoint ${JSON.stringify(sessions)}; requests per endpoint ${JSON.stringify(requests)}`);
    for (const c of clients) c.agent!.destroy();
  } finally {
    await plane.stop();
  }
});

test('the Set-Cookie carries HttpOnly always, Path, and the configured attributes; no Secure over plain HTTP by default', async () => {
  const [b] = await echoes(1, 5);
  const policy = policyFrom({ ...COOKIE, 'gatehouse.dev/session-cookie-name': 'route', 'gatehouse.dev/session-cookie-path': '/shop', 'gatehouse.dev/session-cookie-max-age': '600', 'gatehouse.dev/session-cookie-samesite': 'Lax' });
  const plane = await startPolicyPlane(tableFor([endpointOf(b!)], policy));
  try {
    const answer = await send(plane.port, { path: '/shop/cart' });
    assert.equal(answer.setCookie.length, 1);
    assert.match(answer.setCookie[0]!, /^route=[A-Za-z0-9_-]{22}; Path=\/shop; Max-Age=600; SameSite=Lax; HttpOnly$/);
  } finally {
    await plane.stop();
  }
});

test('over HTTPS the affinity cookie is Secure by default', async () => {
  const [b] = await echoes(1, 6);
  const table = tableFor([endpointOf(b!)], policyFrom(COOKIE));
  const plane = await startPolicyPlane(table);
  const https = createHttpsListener({ dataPlane: plane.fx.dataPlane });
  https.apply(table);
  const port = await https.listen('127.0.0.1', 0);
  try {
    const setCookie = await new Promise<string[]>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, servername: HOST, headers: { host: HOST }, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0]!, /^GATEHOUSE=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; Secure$/);
  } finally {
    await https.close();
    await plane.stop();
  }
});

test('removed or not-ready endpoints move their sessions with a new cookie; added endpoints move none', async (t) => {
  const [b7, b8, b9, b10] = await echoes(4, 7);
  const policy = policyFrom(COOKIE);
  const plane = await startPolicyPlane(tableFor([b7!, b8!, b9!].map((b) => endpointOf(b)), policy));
  try {
    const clients = Array.from({ length: 9 }, () => new CookieClient());
    const home = new Map<CookieClient, string>();
    for (const c of clients) home.set(c, (await c.get(plane.port)).backend);
    assert.deepEqual(Object.values(tally(home.values())), [3, 3, 3], 'new sessions are placed round-robin');

    // b9 leaves the table: only its clients move, each with a new cookie.
    plane.apply(tableFor([b7!, b8!].map((b) => endpointOf(b)), policy));
    let moved = 0;
    for (const c of clients) {
      const before = home.get(c)!;
      const cookie = c.jar.get('GATEHOUSE');
      const answer = await c.get(plane.port);
      if (before === 'b9') {
        assert.notEqual(answer.backend, 'b9');
        assert.equal(answer.setCookie.length, 1, 'a moved session gets a new cookie');
        assert.notEqual(c.jar.get('GATEHOUSE'), cookie);
        moved++;
      } else {
        assert.equal(answer.backend, before, 'other sessions stay');
        assert.equal(answer.setCookie.length, 0);
      }
      home.set(c, answer.backend);
      // ...and then stay on their new endpoint.
      assert.equal((await c.get(plane.port)).backend, answer.backend);
    }
    assert.equal(moved, 3);

    // Two endpoints are added: nobody moves.
    plane.apply(tableFor([b7!, b8!, b9!, b10!].map((b) => endpointOf(b)), policy));
    for (const c of clients) {
      const answer = await c.get(plane.port);
      assert.equal(answer.backend, home.get(c));
      assert.equal(answer.setCookie.length, 0);
    }

    // b7 becomes not ready (terminating, still serving): its sessions move while ready ones exist.
    plane.apply(tableFor([endpointOf(b7!, { ready: false, serving: true, terminating: true }), ...[b8!, b9!, b10!].map((b) => endpointOf(b))], policy));
    const movedFrom7: string[] = [];
    for (const c of clients) {
      const before = home.get(c)!;
      const answer = await c.get(plane.port);
      if (before === 'b7') {
        assert.notEqual(answer.backend, 'b7');
        assert.equal(answer.setCookie.length, 1);
        movedFrom7.push(answer.backend);
      } else {
        assert.equal(answer.backend, before);
      }
    }
    assert.ok(movedFrom7.length > 0);
    t.diagnostic(`moved on removal: ${moved} of 9 sessions (exactly the removed endpoint's); moved on adding 2 endpoints: 0; moved off the not-ready endpoint: ${movedFrom7.length}`);
  } finally {
    await plane.stop();
  }
});

test('Service sessionAffinity ClientIP: each client address always reaches the same endpoint, addresses spread', async (t) => {
  const [b11, b12, b13] = await echoes(3, 11);
  const plane = await startPolicyPlane(tableFor([b11!, b12!, b13!].map((b) => endpointOf(b)), policyFrom({}), 'ClientIP'));
  try {
    const homes = new Map<string, Set<string>>();
    await pool(24 * 10, 8, async (i) => {
      const source = `127.0.1.${(i % 24) + 1}`;
      const agent = new Agent({ keepAlive: false, localAddress: source } as ConstructorParameters<typeof Agent>[0] & { localAddress: string });
      const answer = await send(plane.port, { agent });
      agent.destroy();
      assert.equal(answer.status, 200);
      const set = homes.get(source) ?? new Set<string>();
      set.add(answer.backend);
      homes.set(source, set);
    });
    for (const [source, set] of homes) assert.equal(set.size, 1, `${source} reached ${[...set].join(', ')}`);
    const spreadOver = tally([...homes.values()].map((s) => [...s][0]!));
    assert.ok(Object.keys(spreadOver).length >= 2, JSON.stringify(spreadOver));
    t.diagnostic(`24 client addresses × 10 requests: addresses per endpoint ${JSON.stringify(spreadOver)} (max/min ${spread(spreadOver).toFixed(2)})`);
  } finally {
    await plane.stop();
  }
});

test('a WebSocket upgrade with cookie affinity gets its cookie on the 101, and a pinned one reaches its endpoint', async () => {
  const two = await echoes(2, 14);
  const plane = await startPolicyPlane(tableFor(two.map((b) => endpointOf(b)), policyFrom(COOKIE)));
  try {
    const first = await connectWebSocket(plane.port, { host: HOST });
    assert.equal(first.status, 101);
    const cookie = /\r\nset-cookie: (GATEHOUSE=[A-Za-z0-9_-]{22}); Path=\/; HttpOnly(?:\r\n|$)/i.exec(first.responseHead)?.[1];
    assert.ok(cookie !== undefined, first.responseHead);
    const backend = /\r\nx-backend: (\S+)(?:\r\n|$)/i.exec(first.responseHead)![1];
    first.close();
    for (let i = 0; i < 4; i++) {
      const again = await connectWebSocket(plane.port, { host: HOST, headers: { cookie } });
      assert.equal(again.status, 101);
      assert.equal(/\r\nx-backend: (\S+)(?:\r\n|$)/i.exec(again.responseHead)![1], backend);
      assert.doesNotMatch(again.responseHead, /set-cookie/i);
      again.close();
    }
  } finally {
    await plane.stop();
  }
});
