// The built CLI bounds its own memory (app/runtime-flags.ts): `serve` re-executes itself once, same
// pid, with --max-semi-space-size, --heap-growing-percent and MALLOC_ARENA_MAX; its young generation stays within that bound
// under load; and tens of thousands of proxied requests (keep-alive and new connections, access log
// on) leave no growth of the kind a per-request leak makes. Bounds catch a leak or a lost bound,
// never a performance figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HEAP_GROWING_PERCENT, DEFAULT_SEMI_SPACE_MB } from '../../src/app/runtime-flags.ts';
import { startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

const HOST = 'mem.example.com';
const BODY = 'x'.repeat(99) + '\n';

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

function get(port: number, agent: Agent | false, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: HOST, ...headers }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests, `concurrency` at a time over keep-alive connections; every fifth on a new connection. */
async function load(port: number, count: number, concurrency: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let bad: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < count && bad === undefined) {
      const i = next++;
      const r = await get(port, i % 5 === 0 ? false : agent, i % 5 === 0 ? { connection: 'close' } : {});
      if (r.status !== 200 || r.body !== BODY) bad = `request ${i}: ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  assert.equal(bad, undefined);
}

async function newSpaceBytes(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text);
  assert.ok(m, 'the new-space gauge is exported');
  return Number(m[1]);
}

test('serve re-executes with the memory bounds, keeps the young generation small and does not grow per request', { timeout: 300_000 }, async (t) => {
  const backend = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', () => resolve()));
  const backendPort = (backend.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'gh-memory-'));
  t.after(() => {
    backend.closeAllConnections();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'manifests'));
  const docs = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'mem', namespace: 'default' }, spec: { rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'mem', port: { number: 80 } } } }] } }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'mem', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort }] } },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'mem-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'mem' } }, addressType: 'IPv4', ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] },
  ];
  writeFileSync(join(dir, 'manifests', 'mem.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n'));

  const gh = await startGatehouseProcess(['--manifests', join(dir, 'manifests'), '--access-log-file', join(dir, 'access.log')]);
  t.after(() => gh.stop());
  const pid = gh.child.pid!;
  // The process that serves is the one spawned (execve keeps the pid), now with the bounds.
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes(`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`), cmdline.join(' '));
  assert.ok(cmdline.includes(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`), cmdline.join(' '));
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes('MALLOC_ARENA_MAX=2'));
  await waitFor('a 200 through the route', async () => (await get(gh.ports.http, false).catch(() => ({ status: 0 }))).status === 200, 20_000);

  await load(gh.ports.http, 3_000, 50); // warm-up: JIT, pools
  // The old generation grows in a sawtooth (up to ~30 MiB here before a full collection) and RSS
  // keeps its high-water mark, so growth is measured after a first stretch of load, over a second
  // one twice as long: a leak grows with the requests, the sawtooth does not.
  await load(gh.ports.http, 20_000, 50);
  const settled = statusKiB(pid, 'VmRSS');
  await load(gh.ports.http, 40_000, 50);
  const after = statusKiB(pid, 'VmRSS');
  const newSpace = await newSpaceBytes(gh.adminUrl);
  console.log(`gatehouse: RSS ${(settled / 1024).toFixed(1)} MiB after 23,000 requests, ${(after / 1024).toFixed(1)} MiB after 40,000 more (peak ${(statusKiB(pid, 'VmHWM') / 1024).toFixed(1)} MiB); new space ${(newSpace / 1048576).toFixed(1)} MiB`);
  // Two semi-spaces of the bound; without it V8 grows them to 16-32 MiB each under this load.
  assert.ok(newSpace <= 2 * DEFAULT_SEMI_SPACE_MB * 1048576, `new space ${newSpace} bytes`);
  // A leak of 1.7 KiB per request would be 66 MiB here.
  assert.ok(after - settled < 64 * 1024, `RSS grew by ${((after - settled) / 1024).toFixed(1)} MiB over 40,000 requests`);
});
