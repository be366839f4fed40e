// The dashboard's server side, over real HTTP against the built CLI: its files under a strict CSP
// (and nothing else served from disk), /debug/builds recording what each build changed when a
// manifest is edited live, and the diff itself on hand-made tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffRouteTables } from '../../src/core/diff-route-tables.ts';
import type { BuildRecord } from '../../src/app/build-history.ts';
import { createBuildHistory } from '../../src/app/build-history.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { ingress, options, rule, service, serviceBackend, snapshotOf } from '../core/fixtures.ts';
import { httpRequest } from '../support/http-client.ts';
import { startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

function ingressYaml(paths: [string, string][], annotations: Record<string, string> = {}): string {
  const list = paths.map(([p, svc]) => `      - path: ${p}\n        pathType: Prefix\n        backend: { service: { name: ${svc}, port: { number: 80 } } }`).join('\n');
  const ann = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n');
  return `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n${ann === '' ? '' : `  annotations:\n${ann}\n`}spec:\n  rules:\n  - host: app.example.com\n    http:\n      paths:\n${list}\n---\napiVersion: v1\nkind: Service\nmetadata: { name: a }\nspec: { ports: [{ port: 80 }] }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: b }\nspec: { ports: [{ port: 80 }] }\n`;
}

test('dashboard files: a fixed list under a strict CSP; /debug/builds says what a live edit changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-dash-admin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, ingressYaml([['/a', 'a'], ['/b', 'b']]));
  const gh = await startGatehouseProcess(['--manifests', dir]);
  t.after(async () => void (await gh.stop()));
  await waitFor('ready', async () => (await fetch(`${gh.adminUrl}/readyz`)).status === 200, 20_000);

  const page = await httpRequest(gh.ports.admin, { path: '/' });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(page.headers['content-security-policy']), /^default-src 'none'; script-src 'self'; style-src 'self';/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.match(page.body.toString(), /<script type="module" src="\/dashboard\/dashboard\.js"><\/script>/);
  assert.doesNotMatch(page.body.toString(), /<script>|style="|(src|href)="https?:/, 'no inline code, no other origin');
  for (const [path, type] of [['/dashboard/dashboard.js', 'text/javascript; charset=utf-8'], ['/dashboard/dashboard.css', 'text/css; charset=utf-8'], ['/dashboard/favicon.svg', 'image/svg+xml'], ['/dashboard/diagnostics', 'text/html; charset=utf-8']] as const) {
    const r = await httpRequest(gh.ports.admin, { path });
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.ok(r.body.length > 100, path);
  }
  const head = await httpRequest(gh.ports.admin, { path: '/', method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  // Only the listed files: no path reaches the file system.
  for (const path of ['/dashboard/', '/dashboard/index.html', '/dashboard/../dashboard-assets.ts', '/dashboard/diagnostics.md', '/dashboard/%2e%2e/admin-server.ts']) {
    assert.equal((await httpRequest(gh.ports.admin, { path })).status, 404, path);
  }
  const help = (await httpRequest(gh.ports.admin, { path: '/dashboard/diagnostics' })).body.toString();
  assert.match(help, /<h2 id="pathconflict">PathConflict<\/h2>/);
  assert.match(help, /<strong>Fix:<\/strong>/, 'rendered from docs/diagnostics.md');

  const builds = async (): Promise<BuildRecord[]> => ((await (await fetch(`${gh.adminUrl}/debug/builds`)).json()) as { builds: BuildRecord[] }).builds;
  const first = await builds();
  assert.equal(first.length, 1);
  assert.equal(first[0]!.outcome, 'applied');
  assert.deepEqual(first[0]!.counts, { virtualHosts: 1, routes: 2, backends: 2, endpoints: 0, certificates: 0, errors: 0, warnings: 0 });
  assert.deepEqual(first[0]!.changes?.added, ['app.example.com Prefix /a → default/a:80 (default/app)', 'app.example.com Prefix /b → default/b:80 (default/app)']);

  // Edit: /a now goes to b, /b is gone, /c is new, and an annotation changes the policy.
  writeFileSync(file, ingressYaml([['/a', 'b'], ['/c', 'a']], { 'gatehouse.dev/retries': '3' }));
  await waitFor('the second build', async () => (await builds()).length === 2, 20_000, 100);
  const [latest, previous] = await builds();
  assert.equal(latest!.seq, previous!.seq + 1);
  assert.equal(latest!.outcome, 'applied');
  assert.ok(latest!.durationMs >= 0);
  assert.ok(Date.parse(latest!.at) >= Date.parse(previous!.at));
  assert.deepEqual(latest!.changes, {
    added: ['app.example.com Prefix /c → default/a:80 (default/app)'],
    removed: ['app.example.com Prefix /b → default/b:80 (default/app)'],
    changed: ['app.example.com Prefix /a: default/a:80 (default/app) → default/b:80 (default/app)'],
    endpointsChanged: [],
  });
  // A policy-only edit is a change too.
  writeFileSync(file, ingressYaml([['/a', 'b'], ['/c', 'a']], { 'gatehouse.dev/retries': '4' }));
  await waitFor('the third build', async () => (await builds()).length === 3, 20_000, 100);
  assert.deepEqual((await builds())[0]!.changes?.changed, ['app.example.com Prefix /a: policy of default/app changed', 'app.example.com Prefix /c: policy of default/app changed']);
});

test('build history: bounded, newest first, failed builds and applies recorded with their reason', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const history = createBuildHistory({ limit: 3, now: () => (now += 1000) });
  const objects = [ingress('web', { rules: [rule('a.example.com', ['/', 'Prefix', 'web', 80])] }), service('web', [{ port: 80 }])];
  const build = history.build(buildRouteTable);
  const result = build(snapshotOf(objects), options());
  history.applied(result.table);
  const failing = history.build(() => {
    throw new Error('boom\nsecond line');
  });
  assert.throws(() => failing());
  const again = build(snapshotOf(objects), options());
  history.applyFailed(new Error('listener gone'));
  void again;
  for (let i = 0; i < 2; i++) history.applied(build(snapshotOf([...objects, ingress(`x${i}`, { defaultBackend: serviceBackend('web', 80) })]), options()).table);
  const view = history.view().builds;
  assert.equal(view.length, 3, 'bounded');
  assert.deepEqual(view.map((b) => [b.seq, b.outcome]), [[5, 'applied'], [4, 'applied'], [3, 'failed']]);
  assert.equal(view[2]!.error, 'apply failed: listener gone');
  assert.deepEqual(view[1]!.changes?.added, ['catch-all default → default/web:80 (default/x0)']);
  // x0 gone, x1 in its place: the same backend from another Ingress is a change of that entry.
  assert.deepEqual(view[0]!.changes, { added: [], removed: [], changed: ['catch-all default: default/web:80 (default/x0) → default/web:80 (default/x1)'], endpointsChanged: [] });
  const all = createBuildHistory();
  assert.throws(() => all.build(() => { throw new Error('boom\nsecond line'); })());
  assert.equal(all.view().builds[0]!.error, 'boom second line');
});

test('diff: routes are compared by what they match, not by positional id', () => {
  const t1 = buildRouteTable(snapshotOf([ingress('web', { rules: [rule('a.example.com', ['/x', 'Prefix', 'web', 80], ['/y', 'Exact', 'web', 80])] }), service('web', [{ port: 80 }])]), options()).table;
  // A path inserted first renumbers the ids of the others: only the new one is "added".
  const t2 = buildRouteTable(snapshotOf([ingress('web', { rules: [rule('a.example.com', ['/new', 'Prefix', 'web', 80], ['/x', 'Prefix', 'web', 80], ['/y', 'Exact', 'web', 80])] }), service('web', [{ port: 80 }])]), options()).table;
  assert.deepEqual(diffRouteTables(t1, t2), { added: ['a.example.com Prefix /new → default/web:80 (default/web)'], removed: [], changed: [], endpointsChanged: [] });
  assert.deepEqual(diffRouteTables(t2, t2), { added: [], removed: [], changed: [], endpointsChanged: [] });
  assert.equal(diffRouteTables(undefined, t1).added.length, 2);
});
