// custom-http-errors through the built CLI, as a user runs it: manifests with an Ingress whose
// default-backend annotation names a team's error-pages Service and one that relies on the
// controller's --default-backend, real backends on 127.0.0.x, and `gatehouse check` saying what an
// Ingress without any error backend gets (a warning, exit 1) and that the flag fixes it (exit 0).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startEchoBackend } from '../support/echo-backend.ts';
import { startErrorPagesBackend } from '../support/error-pages-backend.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { spawnGatehouse, startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

function service(name: string, address: string, port: number): string {
  return [
    stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } }),
    stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port }],
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
    }),
  ].join('---\n');
}

function ingress(name: string, host: string, annotations: Record<string, string>): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
  });
}

async function check(...args: string[]): Promise<{ code: number | string; stdout: string }> {
  const p = spawnGatehouse(['check', ...args]);
  const code = await p.exited;
  return { code, stdout: p.stdout() };
}

test('serve: each Ingress gets its error pages from its own error backend; check reports an Ingress without one', async (t) => {
  const app = await startEchoBackend({ address: '127.0.0.2', name: 'app' });
  const team = await startErrorPagesBackend('127.0.0.3');
  const global = await startErrorPagesBackend('127.0.0.5');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-error-pages-'));
  t.after(async () => {
    await Promise.all([app.close(), team.close(), global.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'services.yaml'), [service('app', app.address, app.port), service('team-pages', team.address, team.port), service('global-pages', global.address, global.port)].join('---\n'));
  const N = 'nginx.ingress.kubernetes.io/';
  writeFileSync(
    join(dir, 'ingresses.yaml'),
    [
      ingress('shop', 'shop.example.com', { [`${N}custom-http-errors`]: '404,503', [`${N}default-backend`]: 'team-pages' }),
      ingress('blog', 'blog.example.com', { [`${N}custom-http-errors`]: '404' }),
    ].join('---\n'),
  );

  // check before switching: without --default-backend the blog's error pages have nowhere to come from.
  const without = await check('-f', dir);
  assert.equal(without.code, 1, without.stdout);
  assert.match(without.stdout, /IGNORED\s+nginx.ingress.kubernetes.io\/custom-http-errors: "404"/);
  assert.match(without.stdout, /has no effect: there is no error\s+backend/);
  const withFlag = await check('-f', dir, '--default-backend', 'default/global-pages:80');
  assert.equal(withFlag.code, 0, withFlag.stdout);
  assert.match(withFlag.stdout, /error pages for 404 from default\/global-pages:80/);

  const gh = await startGatehouseProcess(['--manifests', dir, '--default-backend', 'default/global-pages:80', '--log-level', 'info']);
  t.after(async () => {
    await gh.stop('SIGKILL').catch(() => {});
  });
  const port = gh.ports.http;
  await waitFor('the shop serves', async () => (await httpRequest(port, { host: 'shop.example.com', path: '/' })).status === 200);

  const shop = await httpRequest(port, { host: 'shop.example.com', path: '/missing?echo-status=404', headers: { accept: 'application/json' } });
  assert.equal(shop.status, 404);
  assert.equal(shop.headers['x-error-page'], 'yes');
  const shopPage = json<{ headers: Record<string, string> }>(shop);
  assert.equal(shopPage.headers['x-code'], '404');
  assert.equal(shopPage.headers['x-ingress-name'], 'shop');
  assert.equal(team.requests.length, 1, "the team's error pages answered");

  const blog = await httpRequest(port, { host: 'blog.example.com', path: '/old-post?echo-status=404' });
  assert.equal(blog.status, 404);
  assert.equal(json<{ headers: Record<string, string> }>(blog).headers['x-original-uri'], '/old-post?echo-status=404');
  assert.equal(global.requests.length, 1, "the controller's error pages answered");

  const ok = await httpRequest(port, { host: 'blog.example.com', path: '/post?echo-status=200' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-backend'], 'app');
  assert.ok(!gh.logs.some((l) => l.msg === 'diagnostic' && l['code'] === 'AnnotationNoEffect'), 'no warning once every Ingress has an error backend');
});
