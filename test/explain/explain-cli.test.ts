// `gatehouse explain` as a user runs it: the built CLI over manifest files (offline) and against a
// running Gatehouse's admin port (--admin), exact text, JSON for tools, and the exit codes
// (0 proxied to a backend, 1 not, 2 bad command line or unreadable input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Explanation } from '../../src/core/explain-request.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { spawnGatehouse, startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const SHOP = join(FIXTURES, 'shop.yaml');
const PLAIN = join(FIXTURES, 'plain.yaml');

async function explain(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnGatehouse(['explain', ...args]);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([p.exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('explain did not exit')), 30_000)))]);
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The shop's TLS Secret, made per run (keys are never committed). */
function tlsSecret(t: { after(fn: () => void): void }): string {
  const ca = makeCa();
  const leaf = makeLeaf(ca, { names: ['shop.example.com'] });
  const dir = mkdtempSync(join(tmpdir(), 'gh-explain-'));
  t.after(() => {
    ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'shop-tls.yaml');
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  writeFileSync(file, `apiVersion: v1\nkind: Secret\nmetadata: { name: shop-tls, namespace: shop }\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${b64(leaf.certPem)}\n  tls.key: ${b64(leaf.keyPem)}\n`);
  return file;
}

const RETIRES =
  '  warning AnnotationUnknown Ingress shop/shop metadata.annotations["gatehouse.dev/retires"]: "gatehouse.dev/retires" is not a Gatehouse annotation and is ignored; did you mean "gatehouse.dev/retries"?';

const HTTPS_API = [
  'request     https://shop.example.com/api/items',
  'host        shop.example.com → virtual host shop.example.com (exact): exact host shop.example.com',
  '            TLS certificate shop/shop-tls (Ingress shop/shop)',
  'paths       most specific first; the first that matches wins',
  '  no       Exact   /api/v1/status  shop/shop#r0.p1  Exact: /api/items is not /api/v1/status',
  '  MATCH    Prefix  /api            shop/shop#r0.p0  Prefix: elements [api] are a prefix of [api, items]',
  '  skipped  Prefix  /               shop/shop#r0.p2  also matches, but a more specific path won',
  'decision    route shop/shop#r0.p0: path /api (Prefix) of Ingress shop/shop',
  'policy      of Ingress shop/shop',
  '  ssl-redirect     on                default            does not apply: the request is already HTTPS',
  '  hsts             max-age=31536000  annotation',
  '  load-balance     round-robin       default',
  '  retries          1                 default',
  '  eject-on-5xx     off               default',
  '  connect-timeout  5s                --connect-timeout',
  '  read-timeout     30s               annotation',
  '  send-timeout     1m                --send-timeout',
  '  max-body-size    no limit          --max-body-size',
  'backend     shop/api:http (Service shop/api, port http): 1 of 2 endpoints eligible',
  '  10.1.0.1:8080  ready        eligible  ready (shop/api-7d9f-a)',
  '  10.1.0.2:8080  terminating  skipped   not ready: used only when no endpoint is ready (shop/api-7d9f-b)',
  'answer      proxied to shop/api:http: its one eligible endpoint (round-robin)',
  '            response header strict-transport-security: max-age=31536000',
  'diagnostics 1 about the objects involved (docs/diagnostics.md)',
  RETIRES,
  '',
].join('\n');

test('offline: the whole trace of a proxied HTTPS request, exit 0', async (t) => {
  const secret = tlsSecret(t);
  const r = await explain('-f', SHOP, '-f', secret, 'https://shop.example.com/api/items');
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, HTTPS_API);
  assert.equal(r.code, 0);
});

test('offline: plain HTTP to the TLS host is a 308 on the canonical path (exit 1); --https-port shapes the Location', async (t) => {
  const secret = tlsSecret(t);
  const r = await explain('-f', SHOP, '-f', secret, '--https-port', '443', 'http://Shop.Example.com:8080/api/v1/../items?id=7');
  assert.equal(r.code, 1);
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['request     http://Shop.Example.com:8080/api/v1/../items?id=7', '            routed as /api/items?id=7 (the canonical form the data plane uses)']);
  assert.ok(lines.includes('  ssl-redirect     on                default            plain HTTP gets a 308 to HTTPS'), r.stdout);
  assert.ok(lines.includes('  hsts             max-age=31536000  annotation         does not apply: sent on HTTPS responses only'), r.stdout);
  assert.ok(lines.includes('answer      308 Permanent Redirect to https://shop.example.com/api/items?id=7: shop.example.com serves TLS and ssl-redirect is on'), r.stdout);
});

test('offline: wildcard host default, controller catch-all, 503 without endpoints, 404 without any default', async () => {
  const [wild, unknown, status, missing] = await Promise.all([
    explain('-f', SHOP, 'http://x.tenants.example.com/other'),
    explain('-f', SHOP, 'http://unknown.test/'),
    explain('-f', SHOP, '--no-watch-ingress-without-class', 'http://shop.example.com/'),
    explain('-f', PLAIN, 'http://docs.example.com/guide/'),
  ]);
  assert.equal(wild.code, 0);
  assert.match(wild.stdout, /^host        x\.tenants\.example\.com → virtual host \*\.tenants\.example\.com \(wildcard\): no virtual host x\.tenants\.example\.com; \*\.tenants\.example\.com matches one label \(x\)$/m);
  assert.match(wild.stdout, /^  no  Prefix  \/app  shop\/tenants#r0\.p0  Prefix: element 1 is "app", the request has "other"$/m);
  assert.match(wild.stdout, /^decision    host default backend: no path of \*\.tenants\.example\.com matches: the default backend of Ingress shop\/tenants, which defines this host$/m);
  assert.match(wild.stdout, /^answer      proxied to shop\/web:80: its one eligible endpoint \(round-robin\)$/m);
  assert.equal(unknown.code, 0);
  assert.match(unknown.stdout, /^host        unknown\.test: no virtual host for unknown\.test \(tried unknown\.test, \*\.test, \*\)$/m);
  assert.match(unknown.stdout, /^decision    default backend: no virtual host: the catch-all default backend of Ingress shop\/tenants$/m);
  // Class filtering is the builder's: without --watch-ingress-without-class nothing is ours.
  assert.equal(status.code, 1);
  assert.match(status.stdout, /^answer      404 Not Found: no virtual host, and there is no default backend/m);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stdout,
    [
      'request     http://docs.example.com/guide/',
      'host        docs.example.com → virtual host docs.example.com (exact): exact host docs.example.com',
      'paths       most specific first; the first that matches wins',
      '  no  Exact  /guide  web/docs#r0.p0  Exact: differs in the trailing slash (it counts for Exact)',
      'decision    nothing: no path of docs.example.com matches and it has no default backend, and there is no default backend (no Ingress defaultBackend, no --default-backend)',
      'answer      404 Not Found: no path of docs.example.com matches and it has no default backend, and there is no default backend (no Ingress defaultBackend, no --default-backend)',
      '',
    ].join('\n'),
  );
});

test('offline: -o json carries the same decision for tools; headers and client IP reach the hash key', async () => {
  const r = await explain('-f', SHOP, '-o', 'json', '-H', 'Cookie: a=1', '--header', 'cookie: b=2', '--client-ip', '192.0.2.7', 'http://x.tenants.example.com/app/');
  assert.equal(r.code, 0);
  const e = JSON.parse(r.stdout) as Explanation;
  assert.equal(e.served, true);
  assert.deepEqual(e.request.headers, { cookie: 'a=1; b=2' });
  assert.equal(e.request.clientIp, '192.0.2.7');
  assert.equal(e.host?.match, 'wildcard');
  assert.deepEqual(e.decision, { kind: 'route', route: 'shop/tenants#r0.p0', ingress: 'shop/tenants', reason: 'path /app (Prefix) of Ingress shop/tenants' });
  assert.equal(e.backend?.id, 'shop/api:http');
  assert.deepEqual(e.backend?.endpoints.map((ep) => [ep.address, ep.port, ep.state, ep.eligible]), [
    ['10.1.0.1', 8080, 'ready', true],
    ['10.1.0.2', 8080, 'terminating', false],
  ]);
  assert.equal(e.answer.kind, 'proxied');
});

test('a refused URL is explained as the data plane answers it (400), exit 1', async () => {
  const r = await explain('-f', PLAIN, 'http://docs.example.com/a/%2e%2e%2fetc');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, ['request     http://docs.example.com/a/%2e%2e%2fetc', 'answer      400: the request target is refused before routing (forbidden percent-encoding %2F in path)', ''].join('\n'));
});

test('bad command lines and unreadable input: exit 2, one line on stderr, nothing on stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-explain-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A port nothing listens on: bound, then closed.
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'apiVersion: v1\nkind: Service\nmetadata: { name: x\n');
  const cases: [string[], RegExp][] = [
    [['-f', PLAIN], /^gatehouse: explain: missing URL/],
    [['http://a/'], /^gatehouse: explain: say where the routes come from/],
    [['-f', PLAIN, '--admin', 'http://127.0.0.1:1', 'http://a/'], /^gatehouse: explain: -f and --admin exclude each other/],
    [['-f', PLAIN, 'http://a/', 'http://b/'], /^gatehouse: explain: one URL at a time, got 2/],
    [['-f', PLAIN, '--bogus', 'http://a/'], /^gatehouse: unknown flag --bogus/],
    [['-f', PLAIN, '-o', 'yaml', 'http://a/'], /^gatehouse: --output: expected text or json/],
    [['-f', '/nonexistent/gatehouse', 'http://a/'], /^gatehouse: -f: cannot read "\/nonexistent\/gatehouse" \(no such file or folder\)/],
    [['-f', PLAIN, 'ftp://a/'], /^gatehouse: explain: the URL scheme must be http or https/],
    [['-f', PLAIN, 'http://a b/'], /^gatehouse: explain: not a valid host\[:port\]/],
    [['-f', PLAIN, '-H', 'novalue', 'http://a/'], /^gatehouse: explain: a header is written NAME:VALUE/],
    [['-f', PLAIN, '-H', 'Host: b', 'http://a/'], /^gatehouse: explain: give the host in the URL/],
    [['-f', PLAIN, '--client-ip', 'me', 'http://a/'], /^gatehouse: explain: not an IP address/],
    [['-f', broken, 'http://a/'], /^gatehouse: explain: broken\.yaml:\d+:\d+: .*no objects loaded from it \(ManifestParseError\)\n$/],
    [['--admin', `http://127.0.0.1:${closed}`, 'http://a/'], new RegExp(`^gatehouse: explain: cannot reach http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`)],
    [['--admin', 'http://127.0.0.1:1', '--default-backend', 'a/b:80', 'http://a/'], /^gatehouse: --default-backend: only with -f/],
  ];
  const results = await Promise.all(cases.map(([args]) => explain(...args)));
  cases.forEach(([args, pattern], i) => {
    const r = results[i]!;
    const what = args.join(' ');
    assert.equal(r.code, 2, what);
    assert.match(r.stderr.replace(dir + '/', ''), pattern, what);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line: ${JSON.stringify(r.stderr)}`);
    assert.equal(r.stdout, '', what);
  });
});

test('explain --help and gatehouse help explain print the usage, exit 0', async () => {
  const [a, b] = await Promise.all([explain('--help'), (async () => {
    const p = spawnGatehouse(['help', 'explain']);
    return { code: await p.exited, stdout: p.stdout() };
  })()]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: gatehouse explain -f PATH\.\.\. URL/);
  }
});

test('--admin: a running Gatehouse explains over its live table, the same trace as offline; /debug/explain refuses bad input with 400', async (t) => {
  const secret = tlsSecret(t);
  const gh = await startGatehouseProcess(['--manifests', SHOP, '--manifests', secret]);
  t.after(() => gh.stop());
  await waitFor('ready', async () => (await fetch(`${gh.adminUrl}/readyz`)).status === 200, 20_000);
  const online = await explain('--admin', gh.adminUrl, 'https://shop.example.com/api/items');
  assert.equal(online.stderr, '');
  assert.equal(online.stdout, HTTPS_API);
  assert.equal(online.code, 0);
  // The live Location carries the port this process bound.
  const [live, offline] = await Promise.all([
    explain('--admin', `127.0.0.1:${gh.ports.admin}`, '-o', 'json', 'http://shop.example.com/x'),
    explain('-f', SHOP, '-f', secret, '--https-port', String(gh.ports.https), '-o', 'json', 'http://shop.example.com/x'),
  ]);
  assert.equal(live.code, 1);
  const e = JSON.parse(live.stdout) as Explanation;
  assert.deepEqual(e.answer, { kind: 'redirect', status: 308, location: `https://shop.example.com:${gh.ports.https}/x`, summary: `308 Permanent Redirect to https://shop.example.com:${gh.ports.https}/x: shop.example.com serves TLS and ssl-redirect is on` });
  // The same explanation, plus what only a live process knows: each endpoint's requests in flight.
  for (const ep of e.backend?.endpoints ?? []) {
    assert.equal(ep.inFlight, 0);
    delete ep.inFlight;
  }
  assert.deepEqual(e, JSON.parse(offline.stdout));

  const bad = await fetch(`${gh.adminUrl}/debug/explain?url=${encodeURIComponent('gopher://x/')}`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: 'the URL scheme must be http or https, got "gopher"' });
  const none = await fetch(`${gh.adminUrl}/debug/explain`);
  assert.equal(none.status, 400);
});
