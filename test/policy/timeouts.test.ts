// Per-Ingress timeouts and the body limit through a real DataPlane on real sockets, set by real
// annotations: connect, read and send timeouts answer 504 and the access log names the one that
// fired; a body over max-body-size answers 413, before reading when Content-Length says so.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import type { EchoBackend } from '../support/echo-backend.ts';
import { waitFor } from '../support/data-plane-fixture.ts';
import { endpointOf, HOST, policyFrom, send, startBackends, startPolicyPlane, tableFor, type PolicyPlane } from './plane.ts';

const backends: EchoBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

async function echo(first: number): Promise<EchoBackend> {
  const [b] = await startBackends(1, first);
  backends.push(b!);
  return b!;
}

function lastAccess(plane: PolicyPlane): Record<string, unknown> {
  return plane.fx.accessLogs().at(-1)!;
}

/** Raw bytes in; the whole response (until the proxy closes the connection) out. */
function rawExchange(port: number, write: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(15_000, () => socket.destroy(new Error('raw exchange timed out')));
    socket.on('connect', () => write(socket));
  });
}

/**
 * A listening socket that never accepts, in a child process whose event loop is blocked: once its
 * accept queue (backlog 1) is full, the kernel drops new SYNs, so connecting to it times out.
 */
async function blackhole(address: string): Promise<{ port: number; fillers: Socket[]; child: ChildProcess }> {
  const script = `
    const s = require('node:net').createServer();
    s.listen({ host: ${JSON.stringify(address)}, port: 0, backlog: 1 }, () => {
      process.stdout.write(String(s.address().port) + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
      process.exit(0);
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('blackhole child exited')));
  });
  // Fill the accept queue with connections nobody accepts.
  const fillers: Socket[] = [];
  let established = 0;
  for (let i = 0; i < 4; i++) {
    const s = connect({ host: address, port });
    s.on('error', () => {});
    s.on('connect', () => established++);
    fillers.push(s);
  }
  await waitFor(() => established >= 2, 5000, 'the accept queue to fill');
  return { port, fillers, child };
}

test('connect-timeout: 504 and the access log says connect-timeout', async () => {
  const hole = await blackhole('127.0.0.30');
  const plane = await startPolicyPlane(
    tableFor([{ address: '127.0.0.30', port: hole.port, ready: true, serving: true, terminating: false }], policyFrom({ 'gatehouse.dev/connect-timeout': '200ms' })),
  );
  try {
    const answer = await send(plane.port);
    assert.equal(answer.status, 504);
    assert.equal(lastAccess(plane).limit, 'connect-timeout');
    assert.equal(lastAccess(plane).status, 504);
  } finally {
    await plane.stop();
    for (const s of hole.fillers) s.destroy();
    hole.child.kill('SIGKILL');
  }
});

test('read-timeout (and the ingress-nginx proxy-read-timeout in seconds): 504, access log read-timeout', async () => {
  const b = await echo(31);
  const cases: Record<string, string>[] = [{ 'gatehouse.dev/read-timeout': '300ms' }, { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1' }];
  for (const annotations of cases) {
    const plane = await startPolicyPlane(tableFor([endpointOf(b)], policyFrom(annotations)));
    try {
      assert.equal((await send(plane.port, { path: '/?echo-delay-ms=50' })).status, 200, 'in time');
      const answer = await send(plane.port, { path: '/?echo-delay-ms=3000' });
      assert.equal(answer.status, 504, JSON.stringify(annotations));
      assert.equal(lastAccess(plane).limit, 'read-timeout');
    } finally {
      await plane.stop();
    }
  }
});

test('send-timeout: a client that stops sending its body gets 504, access log send-timeout', async () => {
  const b = await echo(32);
  const plane = await startPolicyPlane(tableFor([endpointOf(b)], policyFrom({ 'gatehouse.dev/send-timeout': '300ms' })));
  try {
    const response = await rawExchange(plane.port, (s) => {
      s.write(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1000\r\n\r\n` + 'x'.repeat(100));
      // ...and nothing more: the proxy must give up on the upstream, not wait for the client timeout.
    });
    assert.match(response, /^HTTP\/1\.1 504 /);
    await waitFor(() => plane.fx.accessLogs().length > 0, 5000, 'the access log line');
    assert.equal(lastAccess(plane).limit, 'send-timeout');
  } finally {
    await plane.stop();
  }
});

test('max-body-size: 413 before reading when Content-Length says so; 413 once a streamed body passes it', async () => {
  const b = await echo(33);
  const plane = await startPolicyPlane(tableFor([endpointOf(b)], policyFrom({ 'gatehouse.dev/max-body-size': '1k' })));
  try {
    const fits = await send(plane.port, { method: 'POST', body: 'y'.repeat(1024) });
    assert.equal(fits.status, 200);
    assert.equal(JSON.parse(fits.body).bodyBytes, 1024);

    const seen = b.count();
    const declared = await rawExchange(plane.port, (s) => s.write(`POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 2048\r\n\r\n`));
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.match(declared, /\r\nconnection: close\r\n/i);
    assert.equal(b.count(), seen, 'the backend never saw it');
    assert.equal(lastAccess(plane).limit, 'max-body-size');

    const chunk = `200\r\n${'z'.repeat(512)}\r\n`;
    const streamed = await rawExchange(plane.port, (s) => s.write(`POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}0\r\n\r\n`));
    assert.match(streamed, /^HTTP\/1\.1 413 /);
    await waitFor(() => lastAccess(plane).status === 413, 5000, 'the access log line');
    assert.equal(lastAccess(plane).limit, 'max-body-size');
  } finally {
    await plane.stop();
  }
});
