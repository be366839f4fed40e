// External authentication (ingress-nginx auth-url and friends) through one real DataPlane, the
// policies made by the real core (collectPolicies) from Ingress annotations, against an auth
// service that answers as oauth2-proxy's /oauth2/auth and Authelia's /api/verify do
// (test/support/auth-server.ts), over HTTP/1.1, h2c, the HTTPS listener (curl, HTTP/1.1 and h2) and
// a WebSocket upgrade. Allowed requests reach the backend with the auth answer's headers in place
// of the client's; 401 answers 401 or redirects to the signin URL with the original URL in `rd`;
// 403 answers 403; anything else, a timeout or an unreachable service answers 500 and never
// reaches the backend; the body never goes to the auth service; answers are cached by key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { Ingress } from '../../src/core/model.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { closeExternalAuthPools, MAX_INFLIGHT_PER_ORIGIN } from '../../src/dataplane/steps/external-auth.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startAuthServer, type AuthServer } from '../support/auth-server.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { closedPort, listenOnEveryTransport, waitFor, type TransportListeners } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest, json, type HttpResult } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { connectWebSocket } from '../support/websocket.ts';

const execFileAsync = promisify(execFile);
const N = 'nginx.ingress.kubernetes.io/';
const OAUTH_HEADERS = 'X-Auth-Request-User, X-Auth-Request-Email';

let auth: AuthServer;
let tlsAuth: AuthServer;
let echo: EchoBackend;
let dp: DataPlane;
let listeners: TransportListeners;
let diagnostics: Diagnostic[];
const lines: Record<string, unknown>[] = [];

function ingress(name: string, annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name, labels: {}, annotations }, spec: {} };
}

before(async () => {
  auth = await startAuthServer({ address: '127.0.0.3' });
  const ca = makeCa({ name: 'auth test CA' });
  const leaf = makeLeaf(ca, { names: ['auth.internal'] });
  tlsAuth = await startAuthServer({ address: '127.0.0.3', tls: { cert: leaf.certPem, key: leaf.keyPem } });
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const base = `http://127.0.0.3:${auth.port}`;
  const oauth = { [`${N}auth-url`]: `${base}/oauth2/auth`, [`${N}auth-response-headers`]: OAUTH_HEADERS };
  const ingresses = [
    ingress('oauth', { ...oauth, [`${N}auth-signin`]: 'https://$host/oauth2/start?rd=$escaped_request_uri' }),
    ingress('signin', { ...oauth, [`${N}auth-signin`]: 'https://login.example.com/start' }),
    ingress('plain', oauth),
    ingress('always', { ...oauth, [`${N}auth-always-set-cookie`]: 'true' }),
    ingress('authelia', { [`${N}auth-url`]: `${base}/api/verify`, [`${N}auth-response-headers`]: 'Remote-User,Remote-Groups,Remote-Email,Remote-Name' }),
    ingress('method', { [`${N}auth-url`]: `${base}/oauth2/auth?host=$host&ip=$remote_addr`, [`${N}auth-method`]: 'POST', [`${N}auth-request-redirect`]: 'https://$host/after$is_args$args' }),
    ingress('cached', { ...oauth, [`${N}auth-cache-key`]: '$cookie__oauth2_proxy', [`${N}auth-cache-duration`]: '200 202 1m' }),
    ingress('status500', { [`${N}auth-url`]: `${base}/status/500` }),
    ingress('status404', { [`${N}auth-url`]: `${base}/status/404` }),
    ingress('status302', { [`${N}auth-url`]: `${base}/status/302` }),
    ingress('status401', { [`${N}auth-url`]: `${base}/status/401` }),
    ingress('hang', { [`${N}auth-url`]: `${base}/hang`, [`${N}proxy-read-timeout`]: '1' }),
    ingress('hanglong', { [`${N}auth-url`]: `${base}/hang` }),
    ingress('unreachable', { [`${N}auth-url`]: `http://127.0.0.3:${await closedPort('127.0.0.3')}/check` }),
    ingress('tls', { ...oauth, [`${N}auth-url`]: `https://127.0.0.3:${tlsAuth.port}/oauth2/auth` }),
    ingress('badvar', { [`${N}auth-url`]: `${base}/oauth2/auth?user=$remote_user` }),
    ingress('badurl', { [`${N}auth-url`]: 'ftp://auth.example.com/check' }),
    ingress('nourl', { [`${N}auth-signin`]: 'https://login.example.com/' }),
    ingress('open', {}),
  ];
  const collected = collectPolicies(ingresses, new Map(), { allowCrossNamespaceSecrets: false });
  diagnostics = collected.diagnostics;
  const backend = 'shop/web:80';
  const table = routeTable({
    hosts: Object.fromEntries(ingresses.map((i) => [`${i.metadata.name}.example.com`, { routes: [{ path: '/', backend, policy: `shop/${i.metadata.name}` }] }])),
    backends: { [backend]: [`127.0.0.2:${echo.port}`] },
    policies: Object.fromEntries(collected.policies),
  });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  dp = new DataPlane({ logger });
  dp.apply(table);
  listeners = await listenOnEveryTransport(dp, table, logger);
});

after(async () => {
  await listeners.close();
  await closeExternalAuthPools();
  await Promise.all([auth.close(), tlsAuth.close(), echo.close()]);
});

const get = (host: string, o: { path?: string; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> =>
  httpRequest(listeners.http, { host: `${host}.example.com`, timeoutMs: 20_000, ...o });

function setCookies(r: HttpResult): string[] {
  const v = r.headers['set-cookie'];
  return v === undefined ? [] : v;
}

test('the core reads the annotations; broken ones refuse their Ingress with a diagnostic naming what is wrong', () => {
  const byName = (name: string): Diagnostic[] => diagnostics.filter((d) => d.object.name === name);
  assert.deepEqual(byName('oauth'), []);
  assert.match(byName('badvar')[0]!.message, /\$remote_user is not a supported variable/);
  assert.match(byName('badurl')[0]!.message, /only http and https/);
  assert.match(byName('nourl')[0]!.message, /auth-url" is not set/);
  for (const name of ['badvar', 'badurl', 'nourl']) assert.equal(byName(name)[0]!.code, 'AnnotationProtectionInvalid');
});

test('broken configurations answer 503 and never reach the auth service or the backend', async () => {
  const before = { auth: auth.requests.length, echo: echo.count() };
  for (const name of ['badvar', 'badurl', 'nourl']) assert.equal((await get(name)).status, 503, name);
  assert.deepEqual({ auth: auth.requests.length, echo: echo.count() }, before);
});

test('oauth2-proxy: a session is let through; the auth answer headers replace the client\'s; the body never goes to auth', async () => {
  const body = 'x'.repeat(1000);
  const r = await get('oauth', {
    path: '/api/items?page=2',
    method: 'POST',
    body,
    headers: { cookie: '_oauth2_proxy=alice-session', 'x-auth-request-user': 'mallory', 'X-Original-URL': 'http://evil.example.com/', 'content-type': 'text/plain' },
  });
  assert.equal(r.status, 200);
  const seen = json<EchoReply>(r);
  assert.equal(seen.headers['x-auth-request-user'], 'alice', 'the auth answer wins over the client');
  assert.equal(seen.headers['x-auth-request-email'], 'alice@example.com');
  assert.equal(seen.bodyBytes, 1000, 'the backend gets the body');
  const sent = auth.requests.at(-1)!;
  assert.equal(sent.url, '/oauth2/auth');
  assert.equal(sent.method, 'GET', 'the subrequest is a GET, as nginx auth_request');
  assert.equal(sent.bodyBytes, 0, 'no body to the auth service');
  assert.equal(sent.headers['content-length'], undefined);
  assert.equal(sent.headers['transfer-encoding'], undefined);
  assert.equal(sent.headers['x-original-url'], 'http://oauth.example.com/api/items?page=2');
  assert.equal(sent.headers['x-original-method'], 'POST');
  assert.equal(sent.headers['x-auth-request-redirect'], '/api/items?page=2');
  assert.equal(sent.headers['x-forwarded-host'], 'oauth.example.com');
  assert.equal(sent.headers['x-forwarded-proto'], 'http');
  assert.equal(sent.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(sent.headers['x-real-ip'], '127.0.0.1');
  assert.equal(sent.headers['x-sent-from'], 'nginx-ingress-controller');
  assert.equal(sent.headers.host, `127.0.0.3:${auth.port}`);
  assert.equal(sent.headers.cookie, '_oauth2_proxy=alice-session', 'the original headers go to auth');
  assert.equal(sent.headers['content-type'], 'text/plain');
  assert.equal(sent.headers['x-auth-request-user'], undefined, 'a client cannot pose as the auth answer');
  assert.equal(sent.headers['x-request-id'], seen.headers['x-request-id'], 'one request id for auth and backend');
  const bearer = await get('oauth', { headers: { authorization: 'Bearer good-token' } });
  assert.equal(json<EchoReply>(bearer).headers['x-auth-request-user'], 'bot');
  assert.equal(json<EchoReply>(bearer).headers.authorization, 'Bearer good-token', 'Authorization goes on (it is not basic auth)');
});

test('a header named in auth-response-headers but absent from the answer is removed, not left as the client sent it', async () => {
  const r = await get('authelia', { headers: { cookie: 'authelia_session=dev-session', 'remote-name': 'Mallory', 'Remote-User': 'root' } });
  assert.equal(r.status, 200);
  const h = json<EchoReply>(r).headers;
  assert.equal(h['remote-user'], 'harry');
  assert.equal(h['remote-groups'], 'dev');
  assert.equal(h['remote-name'], 'HARRY');
});

test('401: the signin redirect carries the original URL in rd, exactly as ingress-nginx builds it', async () => {
  const before = echo.count();
  const own = await get('oauth', { path: '/a/b?x=1&y=two' });
  assert.equal(own.status, 302);
  assert.equal(own.headers.location, 'https://oauth.example.com/oauth2/start?rd=%2Fa%2Fb%3Fx%3D1%26y%3Dtwo', 'rd=$escaped_request_uri as the URL says');
  const added = await get('signin', { path: '/a/b?x=1&y=two' });
  assert.equal(added.status, 302);
  assert.equal(added.headers.location, 'https://login.example.com/start?rd=http://signin.example.com%2Fa%2Fb%3Fx%3D1%26y%3Dtwo', 'rd added: $scheme://$http_host$escaped_request_uri');
  const stale = await get('signin', { path: '/', headers: { cookie: '_oauth2_proxy=expired' } });
  assert.equal(stale.status, 302);
  assert.deepEqual(setCookies(stale), ['_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly'], 'the auth answer\'s Set-Cookie goes on the redirect');
  const plain = await get('plain', { headers: { cookie: '_oauth2_proxy=expired' } });
  assert.equal(plain.status, 401);
  assert.deepEqual(setCookies(plain), [], 'without auth-always-set-cookie a 401 carries no auth cookie (nginx add_header)');
  const www = await get('status401');
  assert.equal(www.status, 401);
  assert.equal(www.headers['www-authenticate'], 'Bearer realm="test"', 'the auth answer\'s WWW-Authenticate is passed on');
  assert.equal(echo.count(), before, 'no denied request reached the backend');
});

test('Authelia: no session 401, a user outside the group 403, an admin through', async () => {
  const before = echo.count();
  assert.equal((await get('authelia', { path: '/admin/users' })).status, 401);
  assert.equal((await get('authelia', { path: '/admin/users', headers: { cookie: 'authelia_session=dev-session' } })).status, 403);
  assert.equal(auth.requests.at(-1)!.headers['x-original-url'], 'http://authelia.example.com/admin/users');
  assert.equal(echo.count(), before);
  const admin = await get('authelia', { path: '/admin/users', headers: { cookie: 'authelia_session=admin-session' } });
  assert.equal(admin.status, 200);
  assert.equal(json<EchoReply>(admin).headers['remote-groups'], 'admins,dev');
});

test('anything but 2xx, 401 and 403, a timeout, an unreachable service: 500, never through', async () => {
  const before = echo.count();
  for (const name of ['status500', 'status404', 'status302', 'unreachable']) {
    const r = await get(name);
    assert.equal(r.status, 500, name);
  }
  const started = performance.now();
  const hang = await get('hang');
  assert.equal(hang.status, 500);
  assert.ok(performance.now() - started >= 900, 'the timeout is the route\'s proxy-read-timeout (1s)');
  assert.equal(echo.count(), before, 'nothing reached the backend');
  await waitFor(() => lines.some((l) => l['msg'] === 'access' && l['host'] === 'hang.example.com' && l['error'] === 'auth: timeout'), 5000, 'the access log says why');
});

test('auth-method, auth-request-redirect and variables in auth-url', async () => {
  const r = await get('method', { path: '/p?q=1', headers: { cookie: '_oauth2_proxy=alice-session' } });
  assert.equal(r.status, 200);
  const sent = auth.requests.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, '/oauth2/auth?host=method.example.com&ip=127.0.0.1');
  assert.equal(sent.bodyBytes, 0);
  assert.equal(sent.headers['x-auth-request-redirect'], 'https://method.example.com/after?q=1');
  assert.equal(sent.headers['x-original-uri'], '/p?q=1', 'with auth-method, as ingress-nginx');
  assert.equal(sent.headers['x-scheme'], 'http');
});

test('cache: a 2xx answer is reused for the same key until it expires; 401 is never cached', async () => {
  const count = (): number => auth.count('/oauth2/auth');
  const start = count();
  assert.equal((await get('cached', { headers: { cookie: '_oauth2_proxy=alice-session' } })).status, 200);
  assert.equal(count(), start + 1, 'miss');
  const hit = await get('cached', { headers: { cookie: '_oauth2_proxy=alice-session' } });
  assert.equal(hit.status, 200);
  assert.equal(json<EchoReply>(hit).headers['x-auth-request-user'], 'alice', 'the cached answer\'s headers are applied');
  assert.equal(count(), start + 1, 'hit: the auth service was not asked');
  assert.equal((await get('cached', { headers: { cookie: '_oauth2_proxy=refresh' } })).status, 200);
  assert.equal(count(), start + 2, 'another key: miss');
  assert.equal((await get('cached', { headers: { cookie: '_oauth2_proxy=refresh' } })).status, 200);
  assert.equal(count(), start + 3, 'an answer that sets a cookie is not cached');
  assert.equal((await get('cached', { headers: { cookie: '_oauth2_proxy=nobody' } })).status, 401);
  assert.equal((await get('cached', { headers: { cookie: '_oauth2_proxy=nobody' } })).status, 401);
  assert.equal(count(), start + 5, '401 is asked every time');
  assert.equal((await get('plain', { headers: { cookie: '_oauth2_proxy=alice-session' } })).status, 200);
  assert.equal((await get('plain', { headers: { cookie: '_oauth2_proxy=alice-session' } })).status, 200);
  assert.equal(count(), start + 7, 'no auth-cache-key: no cache');
});

test('Set-Cookie of the auth answer: on successful backend answers; with auth-always-set-cookie on every answer', async () => {
  const ok = await get('plain', { headers: { cookie: '_oauth2_proxy=refresh' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(setCookies(ok), ['_oauth2_proxy=refreshed; Path=/; HttpOnly; Secure', 'oauth2_seen=1; Path=/']);
  const failed = await get('plain', { path: '/?echo-status=500', headers: { cookie: '_oauth2_proxy=refresh' } });
  assert.equal(failed.status, 500);
  assert.deepEqual(setCookies(failed), [], 'a 500 from the backend: no auth cookie without always');
  const always = await get('always', { path: '/?echo-status=500', headers: { cookie: '_oauth2_proxy=refresh' } });
  assert.equal(always.status, 500);
  assert.equal(setCookies(always).length, 2, 'always: on the backend\'s 500 too');
  const denied = await get('always', { headers: { cookie: '_oauth2_proxy=expired' } });
  assert.equal(denied.status, 401);
  assert.deepEqual(setCookies(denied), ['_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly'], 'always: on the 401 too');
});

test('HTTPS auth-url (a certificate nginx would not verify either)', async () => {
  const r = await get('tls', { headers: { cookie: '_oauth2_proxy=alice-session' } });
  assert.equal(r.status, 200);
  assert.equal(json<EchoReply>(r).headers['x-auth-request-user'], 'alice');
  assert.equal(tlsAuth.count('/oauth2/auth'), 1);
  assert.equal((await get('tls')).status, 401);
});

test('curl over the HTTPS listener (HTTP/1.1 and h2) and h2c: allowed, redirected, 500', async () => {
  const curl = async (args: string[]): Promise<string> =>
    (await execFileAsync('curl', ['-sS', '-k', '--max-time', '20', '-o', '/dev/null', '-D', '-', ...args], { encoding: 'utf8' })).stdout;
  const https = (host: string): string[] => ['--resolve', `${host}.example.com:${listeners.https}:127.0.0.1`, `https://${host}.example.com:${listeners.https}/x?y=1`];
  for (const mode of [['--http1.1'], ['--http2']]) {
    const allowed = await curl([...mode, '-b', '_oauth2_proxy=alice-session', ...https('oauth')]);
    assert.match(allowed, /^HTTP\/[\d.]+ 200/, allowed);
    const sent = auth.requests.at(-1)!;
    assert.equal(sent.headers['x-original-url'], `https://oauth.example.com:${listeners.https}/x?y=1`);
    assert.equal(sent.headers['x-forwarded-proto'], 'https');
    const redirected = await curl([...mode, ...https('signin')]);
    assert.match(redirected, /^HTTP\/[\d.]+ 302/);
    assert.match(redirected, new RegExp(`location: https://login\\.example\\.com/start\\?rd=https://signin\\.example\\.com:${listeners.https}%2Fx%3Fy%3D1`, 'i'));
    assert.match(await curl([...mode, ...https('status500')]), /^HTTP\/[\d.]+ 500/);
  }
  const h2c = async (host: string, cookie?: string): Promise<{ status: number; user: string | undefined }> => {
    const session = h2connect(`http://127.0.0.1:${listeners.h2c}`);
    try {
      return await new Promise((resolve, reject) => {
        session.on('error', reject);
        const headers: Record<string, string> = { ':path': '/', ':authority': `${host}.example.com` };
        if (cookie !== undefined) headers.cookie = cookie;
        const stream = session.request(headers);
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: Buffer) => (body += c.toString()));
        stream.on('end', () => resolve({ status, user: status === 200 ? (JSON.parse(body) as EchoReply).headers['x-auth-request-user'] as string : undefined }));
        stream.on('error', reject);
      });
    } finally {
      session.close();
    }
  };
  assert.deepEqual(await h2c('oauth', '_oauth2_proxy=alice-session'), { status: 200, user: 'alice' });
  assert.equal((await h2c('plain')).status, 401);
  assert.equal((await h2c('status404')).status, 500);
});

test('WebSocket upgrade: checked the same way before the backend is asked', async () => {
  const denied = await connectWebSocket(listeners.http, { host: 'oauth.example.com', path: '/ws?a=1', timeoutMs: 20_000 });
  assert.equal(denied.status, 302);
  assert.match(denied.responseHead, /location: https:\/\/oauth\.example\.com\/oauth2\/start\?rd=%2Fws%3Fa%3D1/i);
  denied.close();
  const plain = await connectWebSocket(listeners.http, { host: 'plain.example.com', timeoutMs: 20_000 });
  assert.equal(plain.status, 401);
  plain.close();
  const broken = await connectWebSocket(listeners.http, { host: 'status500.example.com', timeoutMs: 20_000 });
  assert.equal(broken.status, 500);
  broken.close();
  const ws = await connectWebSocket(listeners.http, { host: 'oauth.example.com', headers: { cookie: '_oauth2_proxy=alice-session', 'x-auth-request-user': 'mallory' }, timeoutMs: 20_000 });
  assert.equal(ws.status, 101);
  ws.send('hello');
  assert.equal((await ws.next(10_000)).payload.toString(), 'hello');
  ws.close();
  assert.equal(echo.requests.at(-1)!.headers['x-auth-request-user'], 'alice');
  assert.equal(auth.requests.at(-1)!.headers.upgrade, undefined, 'the auth request is not an upgrade');
});

test('a client that goes away aborts its auth subrequest', async () => {
  const before = auth.aborted();
  const waiting = auth.count('/hang');
  const socket = netConnect(listeners.http, '127.0.0.1');
  socket.on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nHost: hanglong.example.com\r\n\r\n');
  await waitFor(() => auth.count('/hang') > waiting, 10_000, 'the subrequest arrives');
  socket.destroy();
  await waitFor(() => auth.aborted() > before, 10_000, 'the subrequest is aborted');
});

test('at most MAX_INFLIGHT_PER_ORIGIN subrequests wait on one auth origin: the rest answer 503 at once, never through', async () => {
  const extra = 20;
  const before = echo.count();
  const sockets = Array.from({ length: MAX_INFLIGHT_PER_ORIGIN + extra }, () => {
    const socket = netConnect(listeners.http, '127.0.0.1');
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (c: Buffer) => (head += c.toString('latin1')));
    socket.write('GET / HTTP/1.1\r\nHost: hanglong.example.com\r\n\r\n');
    return { socket, head: () => head };
  });
  try {
    await waitFor(() => sockets.filter((s) => s.head().startsWith('HTTP/1.1 503')).length >= extra, 20_000, 'the requests over the limit are refused');
    const refused = sockets.filter((s) => s.head().length > 0);
    assert.equal(refused.length, extra, 'exactly the requests over the limit were answered');
    for (const s of refused) assert.match(s.head(), /retry-after: 1/i);
    assert.equal(echo.count(), before, 'none reached the backend');
  } finally {
    for (const s of sockets) s.socket.destroy();
  }
  // The waiting ones were aborted with their clients: the origin takes new checks again.
  await waitFor(() => auth.aborted() > 0, 10_000, 'subrequests aborted');
  const again = await get('oauth', { headers: { cookie: '_oauth2_proxy=alice-session' } });
  assert.equal(again.status, 200);
});

test('the open Ingress next to them is not affected', async () => {
  const before = auth.requests.length;
  assert.equal((await get('open')).status, 200);
  assert.equal(auth.requests.length, before);
});
