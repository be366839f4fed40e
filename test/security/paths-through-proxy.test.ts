// Path canonicalisation end to end: every spelling routes like its canonical form, and the pod
// sees the canonical path (the query untouched). Includes a fixed-seed property run through the
// real proxy: the route that answers and the path the pod sees are those of the canonical form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, isConnectionClose } from '../support/raw-http.ts';
import { canonicalizeTarget } from '../../src/dataplane/http/canonical-path.ts';
import { findMatchingRoute, type PathMatcher } from '../../src/core/path-match.ts';
import { echoBody, HOST, startFixture, type Fixture } from './harness.ts';
import { makePrng } from './prng.ts';

let f: Fixture;
let conn: RawConnection;
before(async () => {
  f = await startFixture();
  conn = await RawConnection.connect({ port: f.port });
});
after(async () => {
  conn.destroy();
  await f.close();
});

/** One request on a shared keep-alive connection (reopened after a rejection closes it). */
async function route(target: string): Promise<{ status: number; backend?: string; url?: string }> {
  if (conn.isEnded) conn = await RawConnection.connect({ port: f.port });
  await conn.send(`GET ${target} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  const r = await conn.readResponse();
  assert.ok(r !== 'closed', `no answer for ${JSON.stringify(target)}`);
  if (isConnectionClose(r)) {
    await conn.waitClosed();
    conn = await RawConnection.connect({ port: f.port });
  }
  if (r.status !== 200) return { status: r.status };
  const body = echoBody(r);
  return { status: 200, backend: body.backend, url: body.url };
}

test('the spellings of /admin from the issue all reach the /admin route, and the pod sees /admin', async () => {
  for (const t of ['/admin', '/public/../admin', '/public/%2e%2e/admin', '//admin', '/%61dmin', '/%2E%2E/admin', '/./admin', '/public/./../admin', '///admin', '/x/y/../../admin', '/public/.%2e/admin']) {
    assert.deepEqual(await route(t), { status: 200, backend: 'admin', url: '/admin' }, t);
  }
});

test('more canonical routing: sub-paths, trailing slashes, case, Exact routes, query untouched', async () => {
  const cases: [string, { status: number; backend?: string; url?: string }][] = [
    ['//admin//x/', { status: 200, backend: 'admin', url: '/admin/x/' }],
    ['/admin/../public', { status: 200, backend: 'public', url: '/public' }],
    ['/admin/..', { status: 200, backend: 'public', url: '/' }],
    ['/ADMIN', { status: 200, backend: 'public', url: '/ADMIN' }],
    ['/%41DMIN', { status: 200, backend: 'public', url: '/ADMIN' }],
    ['/adminx', { status: 200, backend: 'public', url: '/adminx' }],
    ['/exact', { status: 200, backend: 'admin', url: '/exact' }],
    ['/x/../exact', { status: 200, backend: 'admin', url: '/exact' }],
    ['/exact/', { status: 200, backend: 'public', url: '/exact/' }],
    ['/exact/.', { status: 200, backend: 'public', url: '/exact/' }],
    ['/admin?next=/../%2e%2e/%2f', { status: 200, backend: 'admin', url: '/admin?next=/../%2e%2e/%2f' }],
    ['/a%7cb', { status: 200, backend: 'public', url: '/a%7Cb' }],
    ['/admin%2f', { status: 400 }],
    ['/admin%2F..%2Fpublic', { status: 400 }],
    ['/public/..;/admin', { status: 400 }],
    ['/public%5c..%5cadmin', { status: 400 }],
    ['/%2561dmin', { status: 400 }],
  ];
  for (const [target, expected] of cases) assert.deepEqual(await route(target), expected, target);
});

test('absolute-form targets route by their authority and reach the pod in origin-form', async () => {
  assert.deepEqual(await route(`http://${HOST}/public/../admin?q=1`), { status: 200, backend: 'admin', url: '/admin?q=1' });
  assert.deepEqual(await route(`HTTP://${HOST.toUpperCase()}:80`), { status: 200, backend: 'public', url: '/' });
});

test('property through the proxy (seed 606, 300 targets): the answering route and the forwarded path are the canonical ones', async () => {
  const routes: PathMatcher[] = [
    { path: '/exact', match: 'Exact' },
    { path: '/admin', match: 'Prefix' },
    { path: '/', match: 'Prefix' },
  ];
  const backendOf = (p: string): string => (findMatchingRoute(routes, p)?.path === '/' ? 'public' : 'admin');
  const rng = makePrng(606);
  const pieces = ['admin', 'public', 'exact', 'a', '.', '..', '%2e', '%2E%2e', '%61dmin', 'ad%6din', '', '%2f', '%5c', ';', '..;', '%7c', '%41', 'x.y', '%', '%zz', '~'];
  let accepted = 0;
  for (let k = 0; k < 300; k++) {
    let t = '';
    const n = 1 + rng.int(5);
    for (let i = 0; i < n; i++) t += '/' + rng.pick(pieces);
    if (rng.chance(0.2)) t += '/';
    if (rng.chance(0.2)) t += '?q=' + rng.pick(pieces);
    const c = canonicalizeTarget(t);
    const got = await route(t);
    if (!c.ok) {
      assert.equal(got.status, c.status, `${t}: ${c.reason}`);
      continue;
    }
    accepted++;
    assert.deepEqual(got, { status: 200, backend: backendOf(c.path), url: c.path + c.query }, t);
  }
  assert.ok(accepted > 100, `only ${accepted} accepted`);
});
