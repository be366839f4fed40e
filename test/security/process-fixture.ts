// The real thing for abuse tests: the built CLI in its own process (so "the process survives" means
// exactly that, and its memory can be read from /proc), serving manifests that point at two
// recording backends on 127.0.0.2 and 127.0.0.3.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';
import { startRecordingBackend, type RecordingBackend } from '../support/recording-backend.ts';
import { RawConnection } from '../support/raw-http.ts';
import { HOST } from './harness.ts';

export interface ProcessFixture {
  gh: StartedGatehouse;
  publicBackend: RecordingBackend;
  adminBackend: RecordingBackend;
  /** Resident set size of the Gatehouse process, bytes. */
  rss(): number;
  /** Peak resident set size of the Gatehouse process, bytes. */
  peakRss(): number;
  /** True while the process runs. */
  alive(): boolean;
  close(): Promise<void>;
}

function manifests(publicPort: number, adminPort: number, extraAnnotations = ''): string {
  const svc = (name: string): string => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: sec }
spec:
  ports: [{ name: http, port: 80 }]
`;
  const slice = (name: string, address: string, port: number): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: sec
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: ["${address}"], conditions: { ready: true } }]
`;
  const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: sec
  annotations: {${extraAnnotations}}
spec:
  rules:
  - host: ${HOST}
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: public, port: { number: 80 } } } }
      - { path: /admin, pathType: Prefix, backend: { service: { name: admin, port: { number: 80 } } } }
`;
  return [svc('public'), svc('admin'), slice('public', '127.0.0.2', publicPort), slice('admin', '127.0.0.3', adminPort), ingress].join('---\n');
}

function procField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`${field} missing for ${pid}`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

export async function startProcessFixture(args: readonly string[] = [], o: { annotations?: string } = {}): Promise<ProcessFixture> {
  const publicBackend = await startRecordingBackend({ address: '127.0.0.2', name: 'public' });
  const adminBackend = await startRecordingBackend({ address: '127.0.0.3', name: 'admin' });
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sec-'));
  writeFileSync(join(dir, 'app.yaml'), manifests(publicBackend.port, adminBackend.port, o.annotations ?? ''));
  let gh: StartedGatehouse | undefined;
  try {
    gh = await startGatehouseProcess(['--manifests', dir, ...args]);
    const adminUrl = gh.adminUrl;
    await waitFor('readiness', async () => {
      const r = await fetch(`${adminUrl}/readyz`).catch(() => undefined);
      return r?.status === 200;
    });
    // Routing works before any test starts.
    const conn = await RawConnection.connect({ port: gh.ports.http });
    try {
      await conn.send(`GET /ready-check HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
      const r = await conn.readResponse();
      assert.ok(r !== 'closed' && r.status === 200, 'the fixture routes to its backend');
    } finally {
      conn.destroy();
    }
  } catch (err) {
    await gh?.stop('SIGKILL');
    await publicBackend.close();
    await adminBackend.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const started = gh;
  const pid = started.child.pid;
  assert.ok(pid !== undefined);
  return {
    gh: started,
    publicBackend,
    adminBackend,
    rss: () => procField(pid, 'VmRSS'),
    peakRss: () => procField(pid, 'VmHWM'),
    alive: () => started.child.exitCode === null && started.child.signalCode === null,
    async close(): Promise<void> {
      await started.stop('SIGTERM');
      await publicBackend.close();
      await adminBackend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The process is alive, wrote nothing alarming to stderr, and answers a probe on a new connection. */
export async function assertHealthy(f: ProcessFixture, what: string): Promise<void> {
  assert.ok(f.alive(), `${what}: the Gatehouse process exited`);
  const stderr = f.gh.stderr();
  assert.ok(!/uncaught|unhandled|TypeError|RangeError|FATAL/i.test(stderr), `${what}: stderr: ${stderr.slice(-1000)}`);
  const crashes = f.gh.logs.filter((l) => /uncaught|unhandled/i.test(l.msg));
  assert.deepEqual(crashes, [], `${what}: crash log lines`);
  const conn = await RawConnection.connect({ port: f.gh.ports.http });
  try {
    await conn.send(`GET /probe HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed', `${what}: probe got no answer`);
    assert.equal(r.status, 200, `${what}: probe got ${r.status}`);
  } finally {
    conn.destroy();
  }
  const admin = await fetch(`${f.gh.adminUrl}/healthz`);
  assert.equal(admin.status, 200, `${what}: admin /healthz`);
}

/** GET /debug/dataplane of the running process. */
export async function dataplaneStats(f: ProcessFixture): Promise<{ connections: number; inFlightRequests: number; upgradedConnections: number }> {
  const r = await fetch(`${f.gh.adminUrl}/debug/dataplane`);
  return (await r.json()) as { connections: number; inFlightRequests: number; upgradedConnections: number };
}

/** One unlabelled sample of /metrics, or undefined when absent. */
export async function metricValue(f: ProcessFixture, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${f.gh.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

export interface Bystander {
  /** Stops the loop; resolves with what it saw. */
  stop(): Promise<{ ok: number; failures: string[] }>;
}

/**
 * A second client on another route (Prefix /admin, the admin backend): one request on a new
 * connection every 200 ms while an attack runs, each allowed 10 s on this shared machine (an outage, not a slow answer,
 * is what fails it). The attack tests assert it saw no failure.
 */
export function startBystander(f: ProcessFixture): Bystander {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  let n = 0;
  // Bounded: a failed test that never stops it must not keep the test process alive for long.
  const deadline = Date.now() + 120_000;
  const loop = (async () => {
    while (running && Date.now() < deadline) {
      const path = `/admin/bystander-${++n}`;
      const started = Date.now();
      try {
        const conn = await RawConnection.connect({ port: f.gh.ports.http, timeoutMs: 10_000 });
        try {
          await conn.send(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
          const r = await conn.readResponse();
          if (r === 'closed' || r.status !== 200) failures.push(`${path}: ${r === 'closed' ? 'closed' : r.status}`);
          else ok++;
        } finally {
          conn.destroy();
        }
      } catch (err) {
        failures.push(`${path}: ${(err as Error).message} after ${Date.now() - started} ms`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}

/** Stops the bystander and asserts it was served throughout (and at least `min` times). */
export async function assertBystanderServed(b: Bystander, what: string, min = 3): Promise<void> {
  const seen = await b.stop();
  assert.deepEqual(seen.failures, [], `${what}: the bystander on another route was not served`);
  assert.ok(seen.ok >= min, `${what}: the bystander made only ${seen.ok} requests`);
}

/** An endless body, written only as fast as the proxy takes it, until the proxy closes the connection. */
export function endless(req: IncomingMessage, res: ServerResponse, limit = Infinity): void {
  const chunk = Buffer.alloc(64 * 1024, 'e');
  res.writeHead(200, limit === Infinity ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/octet-stream', 'content-length': limit });
  res.on('error', () => {});
  // Every continuation goes through setImmediate, and a closed connection ends the loop: the
  // recording backend's socket wrapper accepts writes after a close without ever saying so.
  let sent = 0;
  const gone = (): boolean => res.destroyed || req.socket.destroyed || sent >= limit;
  const pump = (): void => {
    for (let i = 0; i < 16 && !gone(); i++) {
      const part = limit - sent < chunk.length ? chunk.subarray(0, limit - sent) : chunk;
      sent += part.length;
      if (!res.write(part)) return void res.once('drain', () => setImmediate(pump));
    }
    if (sent >= limit) res.end();
    else if (!gone()) setImmediate(pump);
  };
  pump();
}

