// Bodies stream through with back-pressure both ways and are never held whole: 100 MiB each way
// through a DataPlane running in its own process, whose peak RSS must stay far below the body
// size. Failures mid-body are visible to the client, and a client that leaves aborts the upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { startDataPlaneProcess, type DataPlaneProcess } from '../support/data-plane-process.ts';
import { startDataPlane, waitFor, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

const MiB = 1024 * 1024;
const BIG = 100 * MiB;
/** Peak RSS growth allowed while 100 MiB crosses: well under the body, room for buffers and GC lag. */
const RSS_BUDGET = 48 * MiB;

let echo: EchoBackend;
let watcher: EchoBackend;
let proc: DataPlaneProcess;
let fx: DataPlaneFixture;
const watched = { requestClosedEarly: 0, responseClosedEarly: 0 };

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  // A backend that watches for the proxy going away: /hang never answers, /endless never ends.
  watcher = await startEchoBackend({
    address: '127.0.0.3',
    name: 'watcher',
    handler: (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/hang')) {
        req.resume();
        res.on('close', () => {
          if (!res.writableFinished) watched.requestClosedEarly++;
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => {
        if (!res.writableFinished) watched.responseClosedEarly++;
      });
      pump();
    },
  });
  const table = routeTable({
    hosts: { 'stream.test': { routes: [{ path: '/', backend: 'default/echo:80' }, { path: '/hang', backend: 'default/watcher:80' }, { path: '/endless', backend: 'default/watcher:80' }] } },
    backends: { 'default/echo:80': [`127.0.0.2:${echo.port}`], 'default/watcher:80': [`127.0.0.3:${watcher.port}`] },
  });
  proc = await startDataPlaneProcess(table);
  fx = await startDataPlane(table);
});

after(async () => {
  await proc.stop();
  await fx.stop();
  await echo.close();
  await watcher.close();
});

/**
 * The first large transfer grows a fresh process by a fixed amount (heap and allocator settling in,
 * measured ~50 MiB whatever the size); after it, peak RSS stays flat whether 100 or 300 MiB cross.
 * Measuring after a 64 MiB warm-up each way makes the budget below test buffering, not warm-up.
 */
async function warmUp(port: number): Promise<void> {
  await httpRequest(port, { host: 'stream.test', path: '/', method: 'POST', body: generated(64 * MiB, createHash('sha256')), timeoutMs: 60_000 });
  await httpRequest(port, { host: 'stream.test', path: `/?echo-bytes=${64 * MiB}`, timeoutMs: 60_000 });
}

/** Generates `total` bytes in 64 KiB chunks on demand, hashing as it goes. */
function generated(total: number, hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - sent);
      const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
      sent += n;
      hash.update(piece);
      this.push(piece);
    },
  });
}

test('a 100 MiB upload streams through with its bytes intact and the proxy’s RSS bounded', async () => {
  await warmUp(proc.port);
  const baseline = proc.peakRss();
  const hash = createHash('sha256');
  const r = await httpRequest(proc.port, { host: 'stream.test', path: '/upload', method: 'POST', body: generated(BIG, hash), timeoutMs: 120_000 });
  assert.equal(r.status, 200);
  const reply = json<EchoReply>(r);
  assert.equal(reply.bodyBytes, BIG);
  assert.equal(reply.bodySha256, hash.digest('hex'));
  assert.equal(reply.headers['transfer-encoding'], 'chunked', 'a chunked upload stays chunked upstream');
  const growth = proc.peakRss() - baseline;
  assert.ok(growth < RSS_BUDGET, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB while 100 MiB went up`);
});

test('a 100 MiB download streams through to a slow reader with the proxy’s RSS bounded', async () => {
  await warmUp(proc.port);
  const baseline = proc.peakRss();
  const received = await new Promise<{ bytes: number; length: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proc.port, path: `/?echo-bytes=${BIG}`, headers: { host: 'stream.test' }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let bytes = 0;
      let n = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        // A reader slower than the backend: every 64th chunk, stop reading for a moment.
        if (++n % 64 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('aborted', () => reject(new Error('aborted')));
      res.on('end', () => resolve({ bytes, length: res.headers['content-length'] }));
    });
    req.end();
  });
  assert.equal(received.bytes, BIG);
  assert.equal(received.length, String(BIG), 'the backend’s Content-Length is kept');
  const growth = proc.peakRss() - baseline;
  assert.ok(growth < RSS_BUDGET, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB while 100 MiB came down`);
});

test('a client that stops reading exerts back-pressure on the backend instead of growing the proxy', async () => {
  const before = watched.responseClosedEarly;
  let got = 0;
  const req = request({ host: '127.0.0.1', port: fx.port, path: '/endless', headers: { host: 'stream.test' }, agent: false });
  req.on('error', () => {});
  req.end();
  const res = await new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
  res.on('data', (c: Buffer) => {
    got += c.length;
    res.pause();
  });
  // Paused after the first chunk: the backend keeps writing only until socket buffers fill.
  await new Promise((r) => setTimeout(r, 500));
  const heapAfterPause = process.memoryUsage().arrayBuffers;
  await new Promise((r) => setTimeout(r, 500));
  const growth = process.memoryUsage().arrayBuffers - heapAfterPause;
  assert.ok(growth < 16 * MiB, `buffers grew by ${(growth / MiB).toFixed(1)} MiB while the client was paused`);
  assert.ok(got > 0);
  req.destroy();
  await waitFor(() => watched.responseClosedEarly > before, 5000, 'the backend response to be aborted');
});

test('a client that disconnects while waiting aborts the upstream request, and the log says 499', async () => {
  const before = watched.requestClosedEarly;
  // The backend's count is cumulative (earlier tests): wait for this request to reach it, or the
  // client could leave while the request still waits for its upstream connection (then nothing
  // reaches the backend to be aborted).
  const seen = watcher.count();
  const req = request({ host: '127.0.0.1', port: fx.port, path: '/hang/x', headers: { host: 'stream.test' }, agent: false });
  req.on('error', () => {});
  req.end();
  await waitFor(() => watcher.count() > seen && fx.dataPlane.inFlightRequests > 0, 5000, 'request in flight');
  req.destroy();
  await waitFor(() => watched.requestClosedEarly > before, 5000, 'the upstream request to be aborted');
  await waitFor(() => fx.accessLogs().some((l) => l.path === '/hang/x'), 5000, 'access line');
  const line = fx.accessLogs().find((l) => l.path === '/hang/x')!;
  assert.equal(line.status, 499);
  assert.equal(line.aborted, true);
});

/** Fetches a URL and reports whether the body ended cleanly or the response was aborted. */
function fetchOutcome(port: number, path: string): Promise<{ status: number; bytes: number; outcome: 'end' | 'aborted' }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'stream.test' }, agent: false });
    req.on('response', (res) => {
      let bytes = 0;
      let settled = false;
      const done = (outcome: 'end' | 'aborted'): void => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, bytes, outcome });
      };
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => done(res.complete ? 'end' : 'aborted'));
      res.on('aborted', () => done('aborted'));
      res.on('error', () => done('aborted'));
      res.on('close', () => done(res.complete ? 'end' : 'aborted'));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a backend that dies mid-body gives the client an aborted response, never a clean short one', async () => {
  for (const chunked of [false, true]) {
    const r = await fetchOutcome(fx.port, `/?echo-bytes=${8 * MiB}&echo-die-after=${MiB}${chunked ? '&echo-chunked=1' : ''}`);
    assert.equal(r.status, 200);
    assert.equal(r.outcome, 'aborted', `chunked=${chunked}: got ${r.bytes} bytes and a clean end`);
    assert.ok(r.bytes <= MiB);
  }
  // And the proxy keeps serving.
  const ok = await fetchOutcome(fx.port, `/?echo-bytes=${MiB}`);
  assert.deepEqual(ok, { status: 200, bytes: MiB, outcome: 'end' });
});
