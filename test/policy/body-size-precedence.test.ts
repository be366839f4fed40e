// --max-body-size is the default and an Ingress's gatehouse.dev/max-body-size overrides it in both
// directions, as ingress-nginx users expect of proxy-body-size: a route whose annotation allows 2m
// accepts a 1.5 MiB body while the flag says 1m, whether its length is announced (Content-Length)
// or streamed (chunked); a route without the annotation still gets 413, before any body byte is read
// when Content-Length says so; a route whose annotation says 1k gets 413 below the flag's limit.
// The whole pipeline runs in-process: the command line, manifests on disk, the annotation parser,
// the route-table builder and the data plane, as `gatehouse serve` wires them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startGatehouse, type RunningGatehouse } from '../../src/app/start-gatehouse.ts';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { waitFor } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { RawConnection } from '../support/raw-http.ts';

const MiB = 1024 * 1024;
const BODY = 1.5 * MiB;

let dir: string;
let backend: EchoBackend;
let gh: RunningGatehouse;
let port: number;
const access: Record<string, unknown>[] = [];

function ingress(name: string, host: string, annotations: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'shop', annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
}

before(async () => {
  backend = await startEchoBackend({ address: '127.0.0.2', name: 'web' });
  dir = mkdtempSync(join(tmpdir(), 'gh-body-limit-'));
  const objects = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backend.port }],
      endpoints: [{ addresses: [backend.address], conditions: { ready: true } }],
    },
    ingress('uploads', 'uploads.example.com', { 'gatehouse.dev/max-body-size': '2m' }),
    ingress('plain', 'plain.example.com', {}),
    ingress('tiny', 'tiny.example.com', { 'gatehouse.dev/max-body-size': '1k' }),
  ];
  writeFileSync(join(dir, 'all.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  const cli = parseCommandLine(['serve', '--manifests', dir, '--workers', '1', '--max-body-size', '1m', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0']);
  assert.equal(cli.kind, 'run');
  if (cli.kind !== 'run') return;
  assert.equal(cli.config.limits.maxBodySize, MiB, 'the flag is 1m');
  const logger = createLogger({
    level: 'info',
    write: (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === 'access') access.push(entry);
    },
  });
  gh = await startGatehouse(cli.config, logger, { accessLogWrite: (line) => void access.push(JSON.parse(line) as Record<string, unknown>) });
  port = gh.ports.http;
  await waitFor(() => gh.reconciler.table()?.virtualHosts.length === 3, 10_000, 'the route table of the three Ingresses');
});

after(async () => {
  await gh?.shutdown('test over');
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  status: number;
  /** Body bytes the backend received, when it answered. */
  received: number | undefined;
}

/** Sends a POST of `size` bytes, framed by Content-Length or chunked; the body only if Gatehouse has not answered after the head. */
async function upload(host: string, size: number, framing: 'content-length' | 'chunked'): Promise<Outcome> {
  const conn = await RawConnection.connect({ port, timeoutMs: 20_000 });
  try {
    const framingHeader = framing === 'content-length' ? `Content-Length: ${size}` : 'Transfer-Encoding: chunked';
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${host}\r\n${framingHeader}\r\nConnection: close\r\n\r\n`);
    const piece = Buffer.alloc(64 * 1024, 0x61);
    for (let sent = 0; sent < size && !conn.isEnded && conn.received.length === 0; sent += piece.length) {
      const n = Math.min(piece.length, size - sent);
      const bytes = n === piece.length ? piece : piece.subarray(0, n);
      await conn.send(framing === 'chunked' ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes);
    }
    if (framing === 'chunked' && !conn.isEnded && conn.received.length === 0) await conn.send('0\r\n\r\n');
    const r = await conn.readResponseOrTruncation();
    if (r === 'closed' || 'truncated' in r) throw new Error(`no complete response from ${host} (${framing}): ${r === 'closed' ? 'closed' : 'truncated'}`);
    const received = r.status === 200 ? (JSON.parse(r.body.toString('utf8')) as EchoReply).bodyBytes : undefined;
    return { status: r.status, received };
  } finally {
    conn.destroy();
  }
}

test('an Ingress whose annotation allows 2m accepts a 1.5 MiB body while the flag default is 1m', async () => {
  assert.deepEqual(await upload('uploads.example.com', BODY, 'content-length'), { status: 200, received: BODY });
  assert.deepEqual(await upload('uploads.example.com', BODY, 'chunked'), { status: 200, received: BODY });
});

test('an Ingress without the annotation keeps the flag: 413, before the body is read when Content-Length says so', async () => {
  const requestsBefore = backend.count();
  assert.deepEqual(await upload('plain.example.com', BODY, 'content-length'), { status: 413, received: undefined });
  assert.equal(backend.count(), requestsBefore, 'the backend never saw the refused request');
  const line = access.findLast((l) => l.host === 'plain.example.com');
  assert.equal(line?.status, 413);
  assert.equal(line?.limit, 'max-body-size');
  assert.equal(line?.bytesIn, 0, 'no body byte was read');
  assert.equal((await upload('plain.example.com', BODY, 'chunked')).status, 413, 'a streamed body is cut off at the limit');
  assert.deepEqual(await upload('plain.example.com', MiB, 'content-length'), { status: 200, received: MiB }, 'exactly the limit passes');
});

test('an annotation lower than the flag lowers the limit for its Ingress only', async () => {
  assert.equal((await upload('tiny.example.com', 2048, 'content-length')).status, 413);
  assert.deepEqual(await upload('tiny.example.com', 1024, 'content-length'), { status: 200, received: 1024 });
  assert.deepEqual(await upload('plain.example.com', 2048, 'content-length'), { status: 200, received: 2048 });
});
